// A writer for the cpio "newc" format (SVR4 without CRC), the format the Linux kernel unpacks as an
// initramfs. Each entry is a 110-byte ASCII header (magic 070701 and 13 eight-digit hex fields), the NUL-
// terminated name padded to 4 bytes, then the data padded to 4 bytes; the archive ends with an entry
// named TRAILER!!!. Only what an initramfs needs: directories, regular files, symlinks, device nodes.

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Buffer | string; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function header(fields: {
  ino: number;
  mode: number;
  nlink: number;
  size: number;
  rdevMajor: number;
  rdevMinor: number;
  nameSize: number;
}): string {
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  return (
    '070701' +
    [
      fields.ino,
      fields.mode,
      0,
      0,
      fields.nlink,
      0,
      fields.size,
      0,
      0,
      fields.rdevMajor,
      fields.rdevMinor,
      fields.nameSize,
      0,
    ]
      .map(hex)
      .join('')
  );
}

function record(
  ino: number,
  path: string,
  mode: number,
  data: Buffer,
  rdev: [number, number] = [0, 0],
): Buffer {
  const name = Buffer.from(path.replace(/^\/+/, '') + '\0');
  const isDir = (mode & 0o170000) === S_IFDIR;
  const head = Buffer.from(
    header({
      ino,
      mode,
      nlink: isDir ? 2 : 1,
      size: data.length,
      rdevMajor: rdev[0],
      rdevMinor: rdev[1],
      nameSize: name.length,
    }),
    'ascii',
  );
  return Buffer.concat([head, name, pad4(head.length + name.length), data, pad4(data.length)]);
}

/** The archive's bytes. Parents must come before their children (the kernel creates entries in order). */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const entry of entries) {
    switch (entry.kind) {
      case 'dir':
        parts.push(record(ino++, entry.path, S_IFDIR | (entry.mode ?? 0o755), Buffer.alloc(0)));
        break;
      case 'file': {
        const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : entry.data;
        parts.push(record(ino++, entry.path, S_IFREG | (entry.mode ?? 0o644), data));
        break;
      }
      case 'symlink':
        parts.push(record(ino++, entry.path, S_IFLNK | 0o777, Buffer.from(entry.target)));
        break;
      case 'chardev':
        parts.push(
          record(ino++, entry.path, S_IFCHR | (entry.mode ?? 0o600), Buffer.alloc(0), [
            entry.major,
            entry.minor,
          ]),
        );
        break;
    }
  }
  parts.push(record(0, 'TRAILER!!!', 0, Buffer.alloc(0)));
  return Buffer.concat(parts);
}
