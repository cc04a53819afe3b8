// Address parsing of the config model, against node's own parsers as the oracle.
import { isIP } from 'node:net';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isLinkLocal6, parseIp, parsePrefix } from '../../../src/config/model/ip.js';

/** WHATWG URL serialises IPv6 hosts in RFC 5952 form. */
const canonical6 = (a: string) => new URL(`http://[${a}]/`).hostname.slice(1, -1);

void describe('ip', () => {
  void test('IPv6 text is canonicalised as RFC 5952 (URL serialiser as oracle)', () => {
    fc.assert(
      fc.property(fc.ipV6(), (a) => {
        const p = parseIp(a);
        assert.ok(p, a);
        assert.equal(p.family, 6);
        assert.equal(p.address, canonical6(a));
      }),
      { numRuns: 300 },
    );
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

  void test('agrees with net.isIP on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.ipV4Extended()), (s) => {
        const ours = parseIp(s)?.family ?? 0;
        // net.isIP accepts IPv4 with leading zeros ("01.2.3.4") only in some versions; compare families
        // where node is strict.
        if (ours === 0 && isIP(s) === 4 && /(^|\.)0\d/.test(s)) return;
        assert.equal(ours, isIP(s), s);
      }),
      { numRuns: 300 },
    );
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
