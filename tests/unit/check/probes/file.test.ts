import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeTrackedValue } from '../../../../src/check/probes/file.js';

describe('FILE_CHECK verdict', () => {
  test('weight, reverse and the -254 fault line', () => {
    const o = { kind: 'FILE_CHECK' as const, path: '', weight: 10, reverse: false };
    assert.deepEqual(judgeTrackedValue(o, 3), { ok: true, detail: 'value 3', weightOffset: 30 });
    assert.equal(judgeTrackedValue({ ...o, reverse: true }, 3).weightOffset, -30);
    assert.equal(judgeTrackedValue(o, -25).ok, true);
    assert.equal(judgeTrackedValue(o, -26).ok, false);
    assert.equal(judgeTrackedValue({ ...o, weight: 0 }, 0).ok, true);
    assert.equal(judgeTrackedValue({ ...o, weight: 0 }, 1).ok, false);
  });
});
