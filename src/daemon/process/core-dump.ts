// Core dumps, as keepalived's -m / -M ask for them, and none otherwise. A core of a Node process holds its
// whole heap: the configuration's auth_pass, auth_hmac keys and SMTP credentials among it. So without -m
// the daemon's soft core size limit is 0 (its children, forked after, inherit it); keepalived leaves the
// inherited limit alone there (a difference the README states). With -m the limit is unlimited
// (keepalived's core_dump_init); -M also sets kernel.core_pattern (a host-wide setting) and puts the old
// one back at exit.
import { readFileSync, writeFileSync } from 'node:fs';
import { native } from '../../net/native.js';
import type { Logger } from './log.js';

const CORE_PATTERN = '/proc/sys/kernel/core_pattern';

/** The hard core size limit of this process from /proc/self/limits (-1: unlimited). */
function hardCoreLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max core file size'));
  const hard = line?.slice('Max core file size'.length).trim().split(/\s+/)[1];
  return hard === undefined || hard === 'unlimited' ? -1 : Number(hard);
}

/** Applies the core dump policy; the returned function undoes what must be undone at exit (-M). */
export function applyCoreDumpPolicy(
  o: { coreDump: boolean; coreDumpPattern?: string },
  log: Logger,
): () => void {
  const n = native();
  if (!o.coreDump) {
    try {
      n.setRlimit(n.constants.RLIMIT_CORE, 0, hardCoreLimit());
    } catch (e) {
      log.info(`Failed to set core file size - ${(e as Error).message}`);
    }
    return () => undefined;
  }
  let restore = (): void => undefined;
  if (o.coreDumpPattern !== undefined) {
    try {
      const previous = readFileSync(CORE_PATTERN, 'utf8').replace(/\n$/, '');
      writeFileSync(CORE_PATTERN, `${o.coreDumpPattern}\n`);
      restore = () => {
        try {
          writeFileSync(CORE_PATTERN, `${previous}\n`);
        } catch {
          log.info('Unable to read/write core_pattern');
        }
      };
    } catch {
      log.info('Unable to read/write core_pattern');
    }
  }
  try {
    n.setRlimit(n.constants.RLIMIT_CORE, -1, -1);
  } catch {
    log.info('Failed to set core file size');
  }
  return restore;
}
