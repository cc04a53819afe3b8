// A tracked file's value (vrrp_track_file, and FILE_CHECK in the checker): the one reader of both. The
// daemon polls it once a second: cheap, and robust to files being replaced by rename, which inotify
// watches on the old inode would miss.
import { readFileSync } from 'node:fs';

/** keepalived reads the file's leading integer; a missing, empty or non-numeric file counts as 0. */
export function readTrackFileValue(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return 0;
  }
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}
