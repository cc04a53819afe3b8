// auth_hmac keys as written in keepalived.conf turned into the wire layer's HmacConfig.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveHmacConfig } from '../../../../src/vrrp/wire/hmac-keys.js';
import type { AuthHmac } from '../../../../src/config/model/vrrp/auth.js';

const ascii = 'an-ascii-key-of-thirty-two-bytes';
const model = (over: Partial<AuthHmac> = {}): AuthHmac => ({
  location: { file: 't.conf', line: 1 },
  keys: [{ id: 1, value: ascii }],
  activeKey: 1,
  antiReplay: 'time',
  mode: 'enforce',
  ...over,
});

describe('resolveHmacConfig', () => {
  test('ASCII, hex: and file: keys; default window from the advert interval', () => {
    const files: Record<string, Uint8Array> = { '/k3': new Uint8Array(40).fill(7) };
    const { config, problems } = resolveHmacConfig(
      model({
        keys: [
          { id: 1, value: ascii },
          { id: 2, value: `hex:${'ab'.repeat(32)}` },
          { id: 3, value: 'file:/k3' },
        ],
        activeKey: 2,
      }),
      300,
      (path) => files[path] ?? new Uint8Array(),
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(Buffer.from(config.keys[0]?.key ?? []).toString(), ascii);
    assert.deepEqual([...(config.keys[1]?.key ?? [])], new Array<number>(32).fill(0xab));
    assert.equal(config.keys[2]?.key.length, 40);
    assert.equal(config.activeKeyId, 2);
    assert.equal(config.timeWindowS, 9);
    assert.equal(config.mode, 'enforce');
  });
  test('an unreadable or too short key file is reported, and the config fails closed', () => {
    const missing = resolveHmacConfig(model({ keys: [{ id: 1, value: 'file:/nope' }] }), 100, () => {
      throw new Error('ENOENT');
    });
    assert.equal(missing.config.keys.length, 0);
    assert.ok(missing.problems.some((p) => p.includes('ENOENT')));
    assert.ok(missing.problems.some((p) => p.includes('active key 1')));
    const short = resolveHmacConfig(
      model({ keys: [{ id: 1, value: 'file:/short' }] }),
      100,
      () => new Uint8Array(8),
    );
    assert.ok(short.problems.some((p) => p.includes('8 bytes')));
  });
  test('an explicit time_window wins', () => {
    assert.equal(
      resolveHmacConfig(model({ timeWindow: 42 }), 100, () => new Uint8Array()).config.timeWindowS,
      42,
    );
  });
});
