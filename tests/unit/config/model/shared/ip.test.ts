// Addresses and prefixes as the config model keeps them (the address text itself: tests/unit/common).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isLinkLocal6, parseIp, parsePrefix } from '../../../../../src/config/model/shared/ip.js';

void describe('ip', () => {
  void test('IPv6 text is kept in its canonical form; a zone is refused', () => {
    assert.deepEqual(parseIp('2001:DB8:0:0:1:0:0:1'), { family: 6, address: '2001:db8::1:0:0:1' });
    assert.deepEqual(parseIp('::ffff:c000:201'), { family: 6, address: '::ffff:192.0.2.1' });
    assert.equal(parseIp('fe80::1%eth0'), undefined);
  });

  void test('IPv4 dotted quads only', () => {
    fc.assert(
      fc.property(fc.ipV4(), (a) => assert.deepEqual(parseIp(a), { family: 4, address: a })),
      { numRuns: 200 },
    );
    for (const bad of [
      '10.1',
      '10.0.0.256',
      '1.2.3.4.5',
      '01.2.3.4x',
      '',
      'eth0',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
    ])
      assert.equal(parseIp(bad), undefined, bad);
  });

  void test('prefixes', () => {
    assert.deepEqual(parsePrefix('10.0.0.1/24'), {
      family: 4,
      address: '10.0.0.1',
      prefix: 24,
      hasPrefix: true,
    });
    assert.deepEqual(parsePrefix('2001:DB8::0:1'), {
      family: 6,
      address: '2001:db8::1',
      prefix: 128,
      hasPrefix: false,
    });
    assert.equal(parsePrefix('10.0.0.1/33'), undefined);
    assert.equal(parsePrefix('::/129'), undefined);
    assert.equal(parsePrefix('10.0.0.1/'), undefined);
  });

  void test('link-local IPv6', () => {
    assert.equal(isLinkLocal6('fe80::1'), true);
    assert.equal(isLinkLocal6('febf::1'), true);
    assert.equal(isLinkLocal6('fec0::1'), false);
    assert.equal(isLinkLocal6('2001:db8::1'), false);
  });
});
