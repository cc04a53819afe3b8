// Key files (auth_hmac `file:` keys): the key is the file's bytes; one trailing newline (as `echo` writes,
// or CR LF) is not part of the key.
import { readFileSync } from 'node:fs';

export function readKeyFileBytes(path: string): Uint8Array {
  const raw = readFileSync(path);
  let end = raw.length;
  if (end > 0 && raw[end - 1] === 0x0a) end--;
  if (end > 0 && raw[end - 1] === 0x0d) end--;
  return new Uint8Array(raw.subarray(0, end));
}
