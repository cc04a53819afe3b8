// `keepalived-ts handover`'s arguments: ours apart from the listener's.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHandoverArgs } from '../../../src/cli/handover-command.js';

void describe('keepalived-ts handover arguments', () => {
  void test('instance, --to, --hold, --wait; listener options passed on', () => {
    assert.deepEqual(
      parseHandoverArgs(['VI_1', '--to', '10.0.0.2', '--hold=30', '--wait', '--url', 'http://x:1']),
      {
        instance: 'VI_1',
        to: '10.0.0.2',
        holdSeconds: 30,
        wait: true,
        release: false,
        rest: ['--url', 'http://x:1'],
      },
    );
    assert.deepEqual(parseHandoverArgs(['--release', 'VI_1', '-f', 'k.conf']), {
      instance: 'VI_1',
      release: true,
      wait: false,
      rest: ['-f', 'k.conf'],
    });
  });
  void test('usage errors', () => {
    assert.equal(parseHandoverArgs([]), 'which instance?');
    assert.equal(parseHandoverArgs(['VI_1', '--hold', '-3']), '--hold needs a number of seconds');
    assert.equal(parseHandoverArgs(['VI_1', 'VI_2']), "unknown argument 'VI_2'");
    assert.equal(parseHandoverArgs(['--release', 'VI_1', '--to', 'a']), '--release takes no --to or --hold');
  });
});
