// The parent's copy of the configuration files, which its children read (keepalived 2.2.7 lib/parser.c:
// a memfd, or an unnamed file in tmp_config_directory). It is rewritten before each reload is passed on,
// so a reload still reads the files anew; a child started again after a crash reads the copy, and runs
// what its siblings run even when a file was edited since. The copy is an unnamed file (O_TMPFILE) of
// /dev/shm (memory, as a memfd) or of tmp_config_directory, mode 0600; a child opens it again through
// /proc/PARENT/fd/N, so no descriptor of it is inherited by anything a child starts (the copy holds the
// configuration's passwords). Where it cannot be made, each process reads the files as before.
import {
  closeSync,
  constants as fsc,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { isConfigSnapshot, type ConfigSnapshot } from '../../config/index.js';
import type { Logger } from './log.js';

/** Where a child finds the copy: the parent's descriptor number. */
export const CONFIG_SNAPSHOT_FD_ENV = 'KTS_CONFIG_SNAPSHOT_FD';

/** Linux's O_TMPFILE (__O_TMPFILE | O_DIRECTORY): Node passes numeric flags to open(2) as they are. */
const O_TMPFILE = 0o20200000;
/** keepalived's default is a memfd: /dev/shm is the same memory. */
const DEFAULT_DIRS = ['/dev/shm', '/tmp'];

export class ConfigSnapshotFile {
  private fd: number | undefined;
  /** Closed for good (a write failed, or the daemon stops): the children read the files from then on. */
  private closed = false;

  constructor(private readonly log: Logger) {}

  /** The descriptor the children are told of (undefined: they read the files themselves). */
  get descriptor(): number | undefined {
    return this.fd;
  }

  /**
   * Writes `snap` as the copy: the first time in `dir` (tmp_config_directory) or the default place, then
   * always in that same file, as keepalived places its copy at start only. The descriptor never changes:
   * the children know its number, and a number reused by another file must never be opened as the copy.
   */
  write(snap: ConfigSnapshot, dir: string | undefined): void {
    if (this.fd === undefined && !this.closed) this.fd = this.open(dir);
    if (this.fd === undefined) return;
    const data = Buffer.from(JSON.stringify(snap));
    try {
      ftruncateSync(this.fd, 0);
      let done = 0;
      while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, done);
    } catch (e) {
      this.log.warn(
        `cannot write the configuration copy (${(e as Error).message}); each process reads the files`,
      );
      this.close();
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.closed = true;
  }

  private open(dir: string | undefined): number | undefined {
    for (const d of dir !== undefined ? [dir] : DEFAULT_DIRS) {
      try {
        return openSync(d, O_TMPFILE | fsc.O_RDWR, 0o600);
      } catch {
        // a file system without O_TMPFILE: a named file, unlinked at once
        const path = join(d, `.keepalived-ts-config-${process.pid}`);
        try {
          const fd = openSync(path, fsc.O_RDWR | fsc.O_CREAT | fsc.O_EXCL, 0o600);
          unlinkSync(path);
          return fd;
        } catch (e) {
          if (dir !== undefined)
            this.log.warn(
              `tmp_config_directory ${dir}: ${(e as Error).message}; each process reads the files`,
            );
        }
      }
    }
    return undefined;
  }
}

let parentDescriptor: string | undefined;

/** In a child: the parent's copy, read afresh (it changes at each reload); undefined when there is none. */
export function inheritedConfigSnapshot(log?: Logger): ConfigSnapshot | undefined {
  // kept here and taken out of the environment, so that the scripts a child runs are not told of it
  parentDescriptor ??= process.env[CONFIG_SNAPSHOT_FD_ENV] ?? '';
  delete process.env[CONFIG_SNAPSHOT_FD_ENV];
  const n = parentDescriptor;
  if (n === undefined || !/^\d+$/.test(n)) return undefined;
  let fd: number | undefined;
  try {
    // non-blocking and a regular file only: should the parent have closed the copy, the number may name
    // another of its files by now (a pipe would block an ordinary open)
    fd = openSync(`/proc/${process.ppid}/fd/${n}`, fsc.O_RDONLY | fsc.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      log?.warn("the parent's configuration copy is gone; reading the files");
      return undefined;
    }
    const size = stat.size;
    const buf = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const r = readSync(fd, buf, got, size - got, got);
      if (r === 0) break;
      got += r;
    }
    const parsed: unknown = JSON.parse(buf.subarray(0, got).toString('utf8'));
    if (isConfigSnapshot(parsed)) return parsed;
    log?.warn("the parent's configuration copy is not readable; reading the files");
  } catch (e) {
    log?.warn(`cannot read the parent's configuration copy (${(e as Error).message}); reading the files`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return undefined;
}
