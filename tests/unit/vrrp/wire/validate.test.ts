// Per-instance acceptance, following keepalived's vrrp_check_packet, on packets built by the codec.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Advert } from '../../../../src/vrrp/advert.js';
import { authData } from '../../../../src/vrrp/wire/auth-ah.js';
import {
  newHmacReceiveState,
  newHmacSendState,
  type HmacConfig,
} from '../../../../src/vrrp/wire/auth-hmac.js';
import {
  buildIpv4Packet,
  decodeIpv4Packet,
  decodeVrrp,
  encodeAdvert,
  type Ipv4PacketOptions,
} from '../../../../src/vrrp/wire/packet.js';
import { countAccepted, countDrop, countSent, newStats } from '../../../../src/vrrp/engine/stats.js';
import { OutcomeTally } from '../../../helpers/outcome-tally.js';
import {
  compileExpectations,
  validateAdvert,
  type AdvertExpectations,
  type ValidationContext,
  type ValidationResult,
} from '../../../../src/vrrp/wire/validate.js';

const base: Advert = {
  version: 3,
  vrid: 10,
  priority: 100,
  intervalCs: 100,
  addresses: ['192.0.2.10', '192.0.2.11'],
  authType: 'none',
};
const expectBase: AdvertExpectations = {
  vrid: 10,
  version: 3,
  family: 4,
  authType: 'none',
  intervalCs: 100,
  vips: ['192.0.2.11', '192.0.2.10'],
};

function run(
  advert: Partial<Advert>,
  exp: Partial<AdvertExpectations> = {},
  packet: Partial<Ipv4PacketOptions> = {},
  ctx: ValidationContext = {},
): ValidationResult {
  const bytes = buildIpv4Packet(
    { ...base, ...advert },
    { source: '192.0.2.1', destination: '224.0.0.18', id: 1, ...packet },
  );
  const decoded = decodeIpv4Packet(bytes, 'eth0', { keepBadV3Checksum: true });
  if (!decoded.ok) assert.fail(`decode: ${decoded.reason}`);
  return validateAdvert(decoded.received, decoded.wire, compileExpectations({ ...expectBase, ...exp }), ctx);
}
const reasonOf = (r: ValidationResult): string => (r.ok ? 'ok' : r.reason);

describe('multicast v3 instance', () => {
  test('a matching advert is accepted with no notes', () => {
    const r = run({});
    assert.ok(r.ok);
    if (r.ok) {
      assert.deepEqual(r.notes, []);
      assert.equal(r.intervalMismatch, false);
      assert.equal(r.checksumForm, 'rfc');
    }
  });
  test('TTL must be 255', () => assert.equal(reasonOf(run({}, {}, { ttl: 254 })), 'ip_ttl_err'));
  test('version and vrid', () => {
    assert.equal(reasonOf(run({ version: 2 })), 'version_err');
    assert.equal(reasonOf(run({ vrid: 11 })), 'vrid_mismatch');
  });
  test('another interval is accepted and flagged (the backup learns it)', () => {
    const r = run({ intervalCs: 250 });
    assert.ok(r.ok && r.intervalMismatch);
  });
  test('address list problems are counted but the advert is accepted', () => {
    const other = run({ addresses: ['192.0.2.10', '192.0.2.99'] });
    assert.ok(other.ok);
    if (other.ok) assert.deepEqual(other.notes, ['addr_list_err']);
    const fewer = run({ addresses: ['192.0.2.10'] });
    assert.ok(fewer.ok && fewer.notes.length === 1);
  });
  test('skip_check_adv_addr skips the list check only for the same master, and strict mode ignores it', () => {
    const differing = { addresses: ['192.0.2.10', '192.0.2.99'] };
    const same = run(differing, { skipCheckAdvAddr: true }, {}, { sameMasterAsLast: true });
    assert.ok(same.ok && same.notes.length === 0);
    const changed = run(differing, { skipCheckAdvAddr: true }, {}, { sameMasterAsLast: false });
    assert.ok(changed.ok && changed.notes.length === 1);
    const strict = run(differing, { skipCheckAdvAddr: true, strict: true }, {}, { sameMasterAsLast: true });
    assert.ok(strict.ok && strict.notes.length === 1);
  });
  test('checksum forms: message-only needs v3_checksum_as_v2, which also forgives bad ones', () => {
    assert.equal(reasonOf(run({}, {}, { checksumMode: 'v2-style' })), 'checksum_err');
    assert.equal(reasonOf(run({}, { v3ChecksumAsV2: true }, { checksumMode: 'v2-style' })), 'ok');
    assert.equal(reasonOf(run({}, { v3ChecksumAsV2: true })), 'ok');
  });
  test('a unicast destination is refused by a multicast instance', () => {
    assert.equal(reasonOf(run({}, {}, { destination: '192.0.2.2' })), 'addr_list_err');
  });
  test('our own adverts are recognised', () => {
    assert.equal(reasonOf(run({}, { ownAddresses: ['192.0.2.1'] })), 'own_packet');
  });
  test('a trailer without auth_hmac configured is a length error', () => {
    const config: HmacConfig = {
      keys: [{ id: 1, key: new Uint8Array(32) }],
      activeKeyId: 1,
      antiReplay: 'monotonic',
      timeWindowS: 5,
      mode: 'enforce',
    };
    const hmac = { config, state: newHmacSendState(), nowRealtimeMs: 1e12 };
    assert.equal(reasonOf(run({}, {}, { hmac })), 'packet_len_err');
  });
});

describe('unicast instance', () => {
  const uni: Partial<AdvertExpectations> = {
    unicastPeers: [{ address: '192.0.2.1', minTtl: 250, maxTtl: 255 }, '192.0.2.3'],
  };
  test('any TTL without check_unicast_src; old-unicast checksum accepted', () => {
    assert.equal(reasonOf(run({}, uni, { destination: '192.0.2.2', ttl: 64 })), 'ok');
    const r = run({}, uni, { destination: '192.0.2.2', checksumMode: 'old-unicast' });
    assert.ok(r.ok && r.checksumForm === 'old-unicast');
    assert.equal(
      reasonOf(run({}, {}, { destination: '192.0.2.2', checksumMode: 'old-unicast' })),
      'checksum_err',
    );
  });
  test('multicast destination refused', () => assert.equal(reasonOf(run({}, uni)), 'addr_list_err'));
  test('check_unicast_src: source must be a peer and within its TTL range', () => {
    const checked = { ...uni, checkUnicastSource: true };
    assert.equal(reasonOf(run({}, checked, { destination: '192.0.2.2' })), 'ok');
    assert.equal(reasonOf(run({}, checked, { destination: '192.0.2.2', ttl: 200 })), 'ip_ttl_err');
    assert.equal(
      reasonOf(run({}, checked, { destination: '192.0.2.2', source: '192.0.2.9' })),
      'unicast_peer_unknown',
    );
  });
});

describe('v2 authentication and interval', () => {
  const v2: Partial<Advert> = { version: 2, authType: 'pass' };
  const v2exp: Partial<AdvertExpectations> = { version: 2, authType: 'pass', authPass: 'secret' };
  test('password', () => {
    assert.equal(reasonOf(run(v2, v2exp, { authPass: 'secret' })), 'ok');
    assert.equal(reasonOf(run(v2, v2exp, { authPass: 'secreT' })), 'auth_failure');
    assert.equal(reasonOf(run({ version: 2, authType: 'none' }, v2exp)), 'authtype_mismatch');
    // keepalived only sends and compares 8 bytes
    assert.equal(reasonOf(run(v2, { ...v2exp, authPass: 'secret12XYZ' }, { authPass: 'secret12' })), 'ok');
  });
  test('an interval mismatch is dropped in v2', () => {
    assert.equal(
      reasonOf(run({ ...v2, intervalCs: 200 }, v2exp, { authPass: 'secret' })),
      'advert_interval_err',
    );
  });
  test('IPSEC-AH with its replay guard', () => {
    const ah: Partial<Advert> = { version: 2, authType: 'ah' };
    const ahExp: Partial<AdvertExpectations> = { version: 2, authType: 'ah', authPass: 'k' };
    const state = { sequence: 0 };
    const send = (sequence: number, pass = 'k'): ValidationResult =>
      run(ah, ahExp, { authPass: pass, ah: { sequence, unicast: false } }, { ah: state });
    assert.equal(reasonOf(send(1)), 'ok');
    assert.equal(reasonOf(send(1)), 'auth_failure');
    assert.equal(reasonOf(send(2, 'x')), 'auth_failure');
    assert.equal(reasonOf(send(5)), 'ok');
    assert.equal(state.sequence, 5);
    assert.equal(reasonOf(run({ version: 2, authType: 'none' }, ahExp)), 'authtype_mismatch');
    assert.equal(authData('k')[0], 0x6b);
  });
});

describe('auth_hmac modes', () => {
  const config: HmacConfig = {
    keys: [{ id: 1, key: new Uint8Array(32).fill(7) }],
    activeKeyId: 1,
    antiReplay: 'time',
    timeWindowS: 5,
    mode: 'enforce',
  };
  const now = 1_750_000_000_000;
  test('enforce: a signed advert passes, an unsigned one is dropped', () => {
    const rx = newHmacReceiveState();
    const signed = { hmac: { config, state: newHmacSendState(), nowRealtimeMs: now } };
    assert.equal(reasonOf(run({}, { hmac: config }, signed, { hmac: rx, nowRealtimeMs: now })), 'ok');
    assert.equal(reasonOf(run({}, { hmac: config }, {}, { hmac: rx, nowRealtimeMs: now })), 'hmac_missing');
    const late = { hmac: { config, state: newHmacSendState(), nowRealtimeMs: now - 60_000 } };
    assert.equal(
      reasonOf(run({}, { hmac: config }, late, { hmac: rx, nowRealtimeMs: now })),
      'hmac_time_window',
    );
  });
  test('permissive: unsigned adverts pass, flagged', () => {
    const r = run(
      {},
      { hmac: { ...config, mode: 'permissive' } },
      {},
      { hmac: newHmacReceiveState(), nowRealtimeMs: now },
    );
    assert.ok(r.ok && r.unauthenticated === true);
  });
  test('IPv6 path through decodeVrrp', () => {
    const advert: Advert = {
      version: 3,
      vrid: 10,
      priority: 100,
      intervalCs: 100,
      addresses: ['2001:db8::10'],
      authType: 'none',
    };
    const pdu = encodeAdvert(advert, { family: 6, source: 'fe80::1', destination: 'ff02::12' });
    const meta = { family: 6 as const, source: 'fe80::1', destination: 'ff02::12', ttl: 255, ifname: 'eth0' };
    const d = decodeVrrp(pdu, meta);
    assert.ok(d.ok);
    if (!d.ok) return;
    const exp = compileExpectations({
      vrid: 10,
      version: 3,
      family: 6,
      authType: 'none',
      intervalCs: 100,
      vips: ['2001:DB8::10'],
    });
    const r = validateAdvert(d.received, d.wire, exp);
    assert.ok(r.ok && r.notes.length === 0);
    const hop = decodeVrrp(pdu, { ...meta, ttl: 1 });
    assert.ok(hop.ok);
    if (hop.ok) assert.equal(reasonOf(validateAdvert(hop.received, hop.wire, exp)), 'ip_ttl_err');
  });
});

describe('statistics', () => {
  test('drops land on keepalived counter names; accepted adverts count rcvd, notes and priority 0', () => {
    const s = newStats();
    countDrop(s, 'packet_len_err');
    countDrop(s, 'checksum_err');
    countDrop(s, 'hmac_digest_err');
    countDrop(s, 'own_packet');
    countAccepted(s, 0, ['addr_list_err']);
    countSent(s, 0);
    assert.equal(s.packet_len_err, 1);
    assert.equal(s.chk_err, 1);
    assert.equal(s.auth_ext_invalid_hmac, 1);
    assert.equal(s.advert_rcvd, 1);
    assert.equal(s.addr_list_err, 1);
    assert.equal(s.pri_zero_rcvd, 1);
    assert.equal(s.advert_sent, 1);
    assert.equal(s.pri_zero_sent, 1);
    assert.equal(
      Object.values(s).reduce((a, b) => a + b, 0),
      8,
    );
  });
});

describe('validation never throws', () => {
  const config: HmacConfig = {
    keys: [{ id: 1, key: new Uint8Array(32) }],
    activeKeyId: 1,
    antiReplay: 'time',
    timeWindowS: 5,
    mode: 'enforce',
  };
  const instances = [
    compileExpectations(expectBase),
    compileExpectations({ ...expectBase, version: 2, authType: 'ah', authPass: 'k' }),
    compileExpectations({
      ...expectBase,
      version: 2,
      authType: 'pass',
      authPass: 'k',
      unicastPeers: ['192.0.2.1'],
    }),
    compileExpectations({
      ...expectBase,
      hmac: config,
      unicastPeers: ['192.0.2.1'],
      checkUnicastSource: true,
    }),
  ];
  test('on whatever the decoder lets through', () => {
    const seed = buildIpv4Packet(base, { source: '192.0.2.1', destination: '224.0.0.18', id: 1 });
    const mutated = fc
      .tuple(fc.array(fc.tuple(fc.nat(seed.length - 1), fc.nat(255)), { maxLength: 3 }), fc.nat(40))
      .map(([flips, extra]) => {
        const b = new Uint8Array(seed.length + (extra >= 28 ? 28 : 0));
        b.set(seed);
        for (const [at, v] of flips) b[at] = v;
        return b;
      });
    const tally = new OutcomeTally();
    fc.assert(
      fc.property(mutated, (bytes) => {
        const d = decodeIpv4Packet(bytes, 'e', { keepBadV3Checksum: true });
        if (!d.ok) return tally.add(`decoder: ${d.reason}`);
        for (const exp of instances) {
          const r = validateAdvert(d.received, d.wire, exp, {
            ah: { sequence: 0 },
            hmac: newHmacReceiveState(),
            nowRealtimeMs: 0,
          });
          assert.equal(typeof r.ok, 'boolean');
          tally.add(r.ok ? 'accepted' : r.reason);
        }
      }),
      { numRuns: 500 },
    );
    // The cases must reach the validator and exercise several of its rules, accepting some.
    tally.atLeast('accepted', 50);
    tally.distinct(6);
  });
});
