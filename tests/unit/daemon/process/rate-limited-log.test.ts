// A logger's per-packet lines through the rate limit: what reaches the log file, including the summary
// written by the timer when a window ends with nothing after it, and at close.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '../../../../src/daemon/process/log.js';
import { RateLimitedLog } from '../../../../src/daemon/process/rate-limited-log.js';

function withLogFile(body: (log: Logger, lines: () => string[]) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kts-ratelog-'));
  const file = join(dir, 'log');
  const log = new Logger({
    console: false,
    syslog: false,
    facility: 'daemon',
    detail: true,
    ident: 'T',
    file,
  });
  const lines = (): string[] => {
    try {
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/^.*?: /, ''));
    } catch {
      return [];
    }
  };
  return body(log, lines).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('RateLimitedLog', () => {
  test('a burst logged, the rest summed up by the timer once the window ends', () =>
    withLogFile(async (log, lines) => {
      const r = new RateLimitedLog(log, { burst: 2, windowMs: 100 });
      for (let i = 0; i < 50; i++) r.write('debug', '(VI_1) dropped advert: auth_failure', `bad ${i}`);
      r.write('info', 'other', 'other 0');
      assert.deepEqual(lines(), ['bad 0', 'bad 1', 'other 0']);
      await sleep(250);
      assert.deepEqual(lines(), [
        'bad 0',
        'bad 1',
        'other 0',
        '(VI_1) dropped advert: auth_failure: suppressed 48 similar messages',
      ]);
      // a new window: logged again
      r.write('debug', '(VI_1) dropped advert: auth_failure', 'bad again');
      assert.equal(lines().at(-1), 'bad again');
      r.close();
    }));

  test('close() writes what is still owed', () =>
    withLogFile(async (log, lines) => {
      const r = new RateLimitedLog(log, { burst: 1, windowMs: 60_000 });
      for (let i = 0; i < 5; i++) r.write('info', 'k', `m ${i}`);
      r.close();
      assert.deepEqual(lines(), ['m 0', 'k: suppressed 4 similar messages']);
      await Promise.resolve();
    }));
});
