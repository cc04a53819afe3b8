/*
 * Preloaded (LD_PRELOAD) into the daemon's children: lets V8 give pages back while the process is locked in
 * memory (*_no_swap, mlockall).
 *
 * V8 returns unused heap pages with madvise(MADV_DONTNEED) and aborts when that fails. The kernel refuses
 * MADV_DONTNEED with EINVAL on locked mappings, and after mlockall(MCL_FUTURE) every mapping is locked, so a
 * child with *_no_swap could abort whenever its heap shrank. Linux 5.18 added MADV_DONTNEED_LOCKED, the same
 * discard allowed on locked pages (they are locked again as they are faulted back in); older kernels get
 * the range unlocked and then discarded. Any other call goes to the kernel unchanged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif

int madvise(void *addr, size_t length, int advice) {
  if (syscall(SYS_madvise, addr, length, advice) == 0) return 0;
  if (errno != EINVAL || advice != MADV_DONTNEED) return -1;
  if (syscall(SYS_madvise, addr, length, MADV_DONTNEED_LOCKED) == 0) return 0;
  if (errno != EINVAL || munlock(addr, length) != 0) {
    errno = EINVAL;
    return -1;
  }
  return (int)syscall(SYS_madvise, addr, length, MADV_DONTNEED);
}
