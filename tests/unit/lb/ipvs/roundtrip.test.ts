// Property tests of the IPVS codec: whatever is encoded decodes to itself (messages as the kernel would
// write them, and table entries through keepalived's mapping), and no byte sequence makes a decoder
// throw. The fuzz counts how far each case got through the decoding stages and fails when too few
// cases get deep: mutated valid messages, not just noise, so the later stages are really exercised.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { attr, decodeMessages, encodeMessage, NLM_F_MULTI } from '../../../../src/net/netlink/codec.js';
import { decodeGenlMessage, encodeGenlPayload } from '../../../../src/net/netlink/genetlink.js';
import {
  AF_INET,
  AF_INET6,
  IPVS_CMD_ATTR_DAEMON,
  IPVS_CMD_ATTR_DEST,
  IPVS_CMD_ATTR_SERVICE,
  IPVS_CMD_NEW_DAEMON,
  IPVS_CMD_NEW_DEST,
  IPVS_CMD_NEW_SERVICE,
  IPVS_CMD_SET_CONFIG,
  IPVS_CMD_SET_INFO,
} from '../../../../src/lb/ipvs/constants.js';
import {
  encodeDaemonAttrs,
  encodeInfoAttrs,
  encodeTimeoutAttrs,
  type IpvsDaemon,
} from '../../../../src/lb/ipvs/daemon.js';
import { encodeDestinationAttrs, type IpvsDestination } from '../../../../src/lb/ipvs/destination.js';
import { decodeIpvsReply, type IpvsReply } from '../../../../src/lb/ipvs/messages.js';
import { encodeServiceAttrs, type IpvsService } from '../../../../src/lb/ipvs/service.js';
import type { IpvsStats } from '../../../../src/lb/ipvs/stats.js';
import {
  destinationFromWire,
  destinationToWire,
  serviceFromWire,
  serviceToWire,
} from '../../../../src/lb/ipvs/table-wire.js';
import { bytesToAddress } from '../../../../src/common/inet.js';
import type { Destination, ServiceAttributes, ServiceKey } from '../../../../src/lb/table/types.js';
import { LVS_SCHEDULERS, type LvsSchedFlag } from '../../../../src/config/model/lvs/types.js';

const FAMILY = 0x23;
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const u32n = fc.bigInt({ min: 0n, max: 0xffffffffn });
const v4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => bytesToAddress(b) as string);
const v6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => bytesToAddress(b) as string);
const name = fc.stringMatching(/^[a-z0-9_-]{1,15}$/);

/** Optional fields as fast-check records them (absent, never undefined). */
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });
/** fast-check's records have no prototype; decoded objects do, and deepEqual compares prototypes. */
function plain<T extends object>(o: T): T {
  return { ...o };
}
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const stats32: fc.Arbitrary<IpvsStats> = fc
  .record({
    conns: u32n,
    inpkts: u32n,
    outpkts: u32n,
    inbytes: u64,
    outbytes: u64,
    cps: u32n,
    inpps: u32n,
    outpps: u32n,
    inbps: u32n,
    outbps: u32n,
  })
  .map(plain);
const stats64: fc.Arbitrary<IpvsStats> = fc
  .record({
    conns: u64,
    inpkts: u64,
    outpkts: u64,
    inbytes: u64,
    outbytes: u64,
    cps: u64,
    inpps: u64,
    outpps: u64,
    inbps: u64,
    outbps: u64,
  })
  .map(plain);

const afAndAddress = fc.oneof(
  v4.map((address) => ({ af: AF_INET, address })),
  v6.map((address) => ({ af: AF_INET6, address })),
);

const service: fc.Arbitrary<IpvsService> = fc
  .record({
    id: fc.oneof(
      fc.record({ af: fc.constantFrom(AF_INET, AF_INET6), fwmark: fc.integer({ min: 1, max: 0xffffffff }) }),
      fc
        .tuple(afAndAddress, u16, u16)
        .map(([a, protocol, port]) => ({ af: a.af, protocol, address: a.address, port })),
    ),
    schedName: opt(name),
    peName: opt(name),
    flags: opt(fc.tuple(u32, u32)),
    timeout: opt(u32),
    netmask: opt(u32),
    stats: opt(stats32),
    stats64: opt(stats64),
  })
  .map(
    ({ id, flags, ...rest }) =>
      compact({ ...id, ...rest, flags: flags?.[0], flagsMask: flags?.[1] }) as IpvsService,
  );

const destination: fc.Arbitrary<IpvsDestination> = fc
  .record({
    at: afAndAddress,
    port: u16,
    fwdMethod: opt(u32),
    weight: opt(u32),
    uThreshold: opt(u32),
    lThreshold: opt(u32),
    tunType: opt(fc.integer({ min: 0, max: 255 })),
    tunPort: opt(u16),
    tunFlags: opt(u16),
    activeConns: opt(u32),
    inactConns: opt(u32),
    persistConns: opt(u32),
    stats: opt(stats32),
    stats64: opt(stats64),
  })
  .map(({ at, ...rest }) => compact({ ...at, ...rest }) as IpvsDestination);

const daemon: fc.Arbitrary<IpvsDaemon> = fc
  .record({
    state: u32,
    mcastIfn: opt(name),
    syncId: opt(u32),
    syncMaxlen: opt(u16),
    mcastGroup: opt(fc.oneof(v4, v6)),
    mcastPort: opt(u16),
    mcastTtl: opt(fc.integer({ min: 0, max: 255 })),
  })
  .map(compact);

/** A reply as the kernel would write it, and what it must decode to. */
const reply: fc.Arbitrary<{ reply: IpvsReply; bytes: Buffer }> = fc.oneof(
  service.map((s) => ({
    reply: { kind: 'service' as const, service: s },
    bytes: message(IPVS_CMD_NEW_SERVICE, [attr.nested(IPVS_CMD_ATTR_SERVICE, encodeServiceAttrs(s))]),
  })),
  destination.map((d) => ({
    reply: { kind: 'destination' as const, destination: d },
    bytes: message(IPVS_CMD_NEW_DEST, [attr.nested(IPVS_CMD_ATTR_DEST, encodeDestinationAttrs(d))]),
  })),
  daemon.map((d) => ({
    reply: { kind: 'daemon' as const, daemon: d },
    bytes: message(IPVS_CMD_NEW_DAEMON, [attr.nested(IPVS_CMD_ATTR_DAEMON, encodeDaemonAttrs(d))]),
  })),
  fc.record({ tcp: opt(u32), tcpFin: opt(u32), udp: opt(u32) }).map((t) => ({
    reply: { kind: 'timeouts' as const, timeouts: compact(t) },
    bytes: message(IPVS_CMD_SET_CONFIG, encodeTimeoutAttrs(t)),
  })),
  fc.record({ version: u32, connTabSize: u32 }).map((i) => ({
    reply: { kind: 'info' as const, info: plain(i) },
    bytes: message(IPVS_CMD_SET_INFO, encodeInfoAttrs(i)),
  })),
);

function message(cmd: number, attrs: Parameters<typeof encodeGenlPayload>[0]['attrs']): Buffer {
  return encodeMessage({
    type: FAMILY,
    flags: NLM_F_MULTI,
    seq: 9,
    pid: 0,
    payload: encodeGenlPayload({ cmd, version: 1, attrs }),
  });
}

type Stage = 'framing' | 'genl' | 'command' | 'attributes' | 'fields' | 'decoded';
const STAGES: readonly Stage[] = ['framing', 'genl', 'command', 'attributes', 'fields', 'decoded'];

/** The last stage a datagram got through: 'framing' means netlink framing failed already. */
function stageReached(bytes: Buffer): Stage {
  const msgs = decodeMessages(bytes);
  if (!msgs.ok || msgs.value.length === 0) return 'framing';
  const g = decodeGenlMessage(msgs.value[0]!);
  if (!g.ok) return 'genl';
  const r = decodeIpvsReply(g.value, AF_INET);
  if (r.ok) {
    // What the table layer does with a decoded entry must not throw either.
    if (r.value.kind === 'service') serviceFromWire(r.value.service);
    if (r.value.kind === 'destination') destinationFromWire(r.value.destination);
    return 'decoded';
  }
  return r.stage;
}

void describe('IPVS codec properties', () => {
  void test('kernel-style replies decode to exactly what was encoded', () => {
    fc.assert(
      fc.property(reply, ({ reply: expected, bytes }) => {
        const msgs = decodeMessages(bytes);
        assert.ok(msgs.ok);
        const g = decodeGenlMessage(msgs.value[0]!);
        assert.ok(g.ok);
        const r = decodeIpvsReply(g.value);
        assert.ok(r.ok, r.ok ? '' : r.error);
        assert.deepEqual(r.value, expected);
      }),
      { numRuns: 500 },
    );
  });

  const key: fc.Arbitrary<ServiceKey> = fc.oneof(
    fc
      .record({
        kind: fc.constant('fwmark' as const),
        family: fc.constantFrom('inet' as const, 'inet6' as const),
        fwmark: fc.integer({ min: 1, max: 0xffffffff }),
      })
      .map(plain),
    fc
      .tuple(afAndAddress, fc.constantFrom('TCP' as const, 'UDP' as const, 'SCTP' as const), u16)
      .map(([a, protocol, port]) => ({
        kind: 'address' as const,
        family: a.af === AF_INET ? ('inet' as const) : ('inet6' as const),
        protocol,
        address: a.address,
        port,
      })),
  );

  void test('table services survive keepalived mapping, the wire and the way back', () => {
    const attrs: fc.Arbitrary<ServiceAttributes> = fc
      .record({
        key,
        scheduler: fc.constantFrom(...LVS_SCHEDULERS),
        flag3: fc.boolean(),
        sched1: fc.boolean(),
        sched2: fc.boolean(),
        onePacket: fc.boolean(),
        persistence: opt(
          fc.record({
            timeoutS: u32,
            prefix: fc.integer({ min: 0, max: 32 }),
            prefix6: fc.integer({ min: 0, max: 128 }),
          }),
        ),
        engine: opt(name),
      })
      .map((r) => {
        const named = r.scheduler === 'sh' || r.scheduler === 'mh';
        const schedFlags: LvsSchedFlag[] = [];
        // serviceFromWire's canonical names: sh and mh name their flags 1 and 2.
        if (r.sched1) schedFlags.push(named ? (`${r.scheduler}-fallback` as 'sh-fallback') : 'flag-1');
        if (r.sched2) schedFlags.push(named ? (`${r.scheduler}-port` as 'sh-port') : 'flag-2');
        if (r.flag3) schedFlags.push('flag-3');
        const out: ServiceAttributes = {
          key: r.key,
          scheduler: r.scheduler,
          schedFlags,
          onePacket: r.onePacket,
        };
        if (r.persistence) {
          const v6 = r.key.family === 'inet6';
          const mask = r.persistence.prefix === 0 ? 0 : (0xffffffff << (32 - r.persistence.prefix)) >>> 0;
          out.persistence = {
            timeoutS: r.persistence.timeoutS,
            granularity: v6
              ? String(r.persistence.prefix6)
              : [24, 16, 8, 0].map((s) => (mask >>> s) & 0xff).join('.'),
          };
          if (r.engine) out.persistenceEngine = r.engine;
        }
        return out;
      });
    fc.assert(
      fc.property(attrs, (s) => {
        const bytes = message(IPVS_CMD_NEW_SERVICE, [
          attr.nested(IPVS_CMD_ATTR_SERVICE, encodeServiceAttrs(serviceToWire(s, true))),
        ]);
        const msgs = decodeMessages(bytes);
        assert.ok(msgs.ok);
        const g = decodeGenlMessage(msgs.value[0]!);
        assert.ok(g.ok);
        const r = decodeIpvsReply(g.value);
        assert.ok(r.ok && r.value.kind === 'service');
        assert.deepEqual(serviceFromWire(r.value.service), s);
      }),
      { numRuns: 500 },
    );
  });

  void test('table destinations survive too (the kernel port rule applied for DR and TUN)', () => {
    const dest: fc.Arbitrary<[ServiceKey, Destination]> = fc
      .record({
        key,
        at: afAndAddress,
        port: u16,
        method: fc.constantFrom('NAT' as const, 'DR' as const, 'TUN' as const),
        tunnel: fc.oneof(
          fc.constant({ type: 'ipip' as const }),
          fc.record({
            type: fc.constant('gue' as const),
            port: u16,
            checksum: fc.constantFrom('nocsum' as const, 'csum' as const, 'remcsum' as const),
          }),
          fc.record({
            type: fc.constant('gre' as const),
            checksum: fc.constantFrom('nocsum' as const, 'csum' as const),
          }),
        ),
        weight: fc.integer({ min: 0, max: 0x7fffffff }),
        upperThreshold: u32,
        lowerThreshold: u32,
      })
      .map((r) => {
        const d: Destination = {
          family: r.at.af === AF_INET ? 'inet' : 'inet6',
          address: r.at.address,
          port: r.port,
          method: r.method,
          weight: r.weight,
          upperThreshold: r.upperThreshold,
          lowerThreshold: r.lowerThreshold,
        };
        if (r.method === 'TUN') d.tunnel = plain(r.tunnel);
        return [r.key, d];
      });
    fc.assert(
      fc.property(dest, ([k, d]) => {
        const wire = destinationToWire(k, d);
        const bytes = message(IPVS_CMD_NEW_DEST, [
          attr.nested(IPVS_CMD_ATTR_DEST, encodeDestinationAttrs(wire)),
        ]);
        const msgs = decodeMessages(bytes);
        assert.ok(msgs.ok);
        const g = decodeGenlMessage(msgs.value[0]!);
        assert.ok(g.ok);
        const r = decodeIpvsReply(g.value);
        assert.ok(r.ok && r.value.kind === 'destination');
        const port = d.method === 'NAT' ? d.port : k.kind === 'address' ? k.port : 0;
        assert.deepEqual(destinationFromWire(r.value.destination), { ...d, port });
      }),
      { numRuns: 500 },
    );
  });

  void test('no input makes the decoders throw; mutated replies reach every stage', (t) => {
    const reached = new Map<Stage, number>(STAGES.map((s) => [s, 0]));
    let cases = 0;
    // Valid replies with up to 3 bytes overwritten and, one time in five, cut short: mostly with
    // nlmsg_len fixed to match (so the cut reaches the attributes), sometimes not.
    const mutated = fc
      .tuple(
        reply,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.oneof(
          { arbitrary: fc.constant(undefined), weight: 4 },
          { arbitrary: fc.tuple(fc.nat(), fc.boolean()), weight: 1 },
        ),
      )
      .map(([{ bytes }, flips, cut]) => {
        let b = Buffer.from(bytes);
        for (const [pos, val] of flips) b[pos % b.length] = val;
        if (cut) {
          b = b.subarray(0, cut[0] % (b.length + 1));
          if (cut[1] && b.length >= 4) b.writeUInt32LE(b.length, 0);
        }
        return b;
      });
    const noise = fc.uint8Array({ maxLength: 256 }).map((u) => Buffer.from(u));
    fc.assert(
      fc.property(fc.oneof({ arbitrary: mutated, weight: 9 }, { arbitrary: noise, weight: 1 }), (bytes) => {
        const stage = stageReached(bytes);
        cases++;
        // A case that got to stage N also got through every stage before it.
        for (const s of STAGES.slice(0, STAGES.indexOf(stage) + 1)) reached.set(s, (reached.get(s) ?? 0) + 1);
      }),
      { numRuns: 5000 },
    );
    t.diagnostic(`cases ${cases}: ` + STAGES.map((s) => `${s} ${reached.get(s)}`).join(', '));
    const share = (s: Stage): number => (reached.get(s) ?? 0) / cases;
    assert.ok(share('genl') >= 0.6, 'most cases pass netlink framing');
    assert.ok(share('attributes') >= 0.4, 'many cases reach the IPVS attributes');
    assert.ok(share('decoded') >= 0.25, 'a good share decodes fully');
    assert.ok(share('decoded') < 0.95, 'the mutations really break some messages');
  });
});
