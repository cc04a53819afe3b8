// The hostile-input kernel test's traffic (tests/netns/hostile-packets.ts) judged by the pure wire side:
// every category lands under the verdict the kernel test expects of the daemons, packet for packet, and
// the wire tally accounts for every packet. The kernel test then checks the same on real sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GROUP6,
  HOSTILE_AH_KEY,
  HOSTILE_HMAC_KEY,
  HOSTILE_INSTANCES,
  HOSTILE_PASS,
  hostileCategories,
  floodShots,
  ROUTER_A4,
  ROUTER_A6,
  ROUTER_B4,
  ROUTER_B6,
  type Shot,
} from '../../../netns/hostile-packets.js';
import { instanceSpec } from '../../../../src/vrrp/engine/spec.js';
import { defaultWireSettings } from '../../../../src/vrrp/wire/datagram.js';
import { AdvertEndpoint, type WireCounts } from '../../../../src/vrrp/wire/endpoint.js';
import type { HmacConfig } from '../../../../src/vrrp/wire/auth-hmac.js';
import type { SendAdvertAction } from '../../../../src/vrrp/engine/events.js';

const HMAC: HmacConfig = {
  keys: [{ id: 1, key: new TextEncoder().encode(HOSTILE_HMAC_KEY) }],
  activeKeyId: 1,
  antiReplay: 'time',
  timeWindowS: 300,
  mode: 'enforce',
};

function router(priority: number, own4: string, own6: string): AdvertEndpoint {
  const e = new AdvertEndpoint();
  e.configure(
    HOSTILE_INSTANCES.map((h) => ({
      spec: instanceSpec({
        name: h.name,
        vrid: h.vrid,
        version: h.version,
        family: h.family,
        priority,
        authType: h.auth === 'pass' ? 'pass' : h.auth === 'ah' ? 'ah' : 'none',
        ...(h.auth === 'pass'
          ? { authPass: HOSTILE_PASS }
          : h.auth === 'ah'
            ? { authPass: HOSTILE_AH_KEY }
            : {}),
        addresses: [{ address: h.vip.split('/')[0]!, prefix: Number(h.vip.split('/')[1]) }],
      }),
      settings: defaultWireSettings(h.family),
      receiveOn: ['eth0'],
      ...(h.auth === 'hmac' ? { hmac: HMAC } : {}),
    })),
    // a MASTER holds the VIPs too: a packet from one of them is its own
    (family) => [
      ...(family === 4 ? [own4] : [own6, `fe80::${own4 === ROUTER_A4 ? 1 : 2}`]),
      ...(priority === 200
        ? HOSTILE_INSTANCES.filter((h) => h.family === family).map((h) => h.vip.split('/')[0]!)
        : []),
    ],
  );
  return e;
}

function deliver(e: AdvertEndpoint, s: Shot, now: number): void {
  e.receive(
    s.family === 4
      ? { ifname: 'eth0', family: 4, data: s.bytes }
      : {
          ifname: 'eth0',
          family: 6,
          data: s.bytes,
          source: s.source,
          destination: GROUP6,
          hopLimit: s.hopLimit,
        },
    now,
  );
}

const copy = (c: WireCounts): WireCounts => ({ ...c, dropped: { ...c.dropped } });

function delta(before: WireCounts, after: WireCounts): Record<string, number> {
  const out: Record<string, number> = {};
  if (after.accepted !== before.accepted) out.accepted = after.accepted - before.accepted;
  for (const [k, v] of Object.entries(after.dropped)) {
    const d = v - (before.dropped[k as keyof WireCounts['dropped']] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

test('every hostile category is dropped by both routers under its expected reason', () => {
  const now = Date.now();
  const a = router(200, ROUTER_A4, ROUTER_A6);
  const b = router(100, ROUTER_B4, ROUTER_B6);
  // a, MASTER, sends one advert of each authenticated IPv4 instance; b hears it; the sender captures it.
  const captured: { ah?: Uint8Array; hmac4?: Uint8Array } = {};
  for (const h of HOSTILE_INSTANCES.filter((x) => x.family === 4 && x.auth !== 'pass')) {
    const action: SendAdvertAction = {
      type: 'send-advert',
      instance: h.name,
      ifname: 'eth0',
      family: 4,
      to: 'multicast',
      advert: {
        version: h.version,
        vrid: h.vrid,
        priority: 200,
        intervalCs: 100,
        addresses: [h.vip.split('/')[0]!],
        authType: h.auth === 'ah' ? 'ah' : 'none',
      },
    };
    for (const _ of [1, 2]) {
      const [d] = a.datagrams(action, ROUTER_A4, now) ?? [];
      assert.ok(d);
      deliver(b, { family: 4, bytes: d.bytes }, now);
      if (h.auth === 'ah') captured.ah = d.bytes;
      else captured.hmac4 = d.bytes;
    }
  }
  assert.equal(b.tally.ipv4.accepted, 4, JSON.stringify(b.tally));
  const categories = hostileCategories(0.05, captured, now);
  assert.ok(categories.some((c) => c.name.includes('replayed')));
  for (const c of categories) {
    for (const [name, e] of [
      ['a', a],
      ['b', b],
    ] as const) {
      const family = c.family === 4 ? 'ipv4' : 'ipv6';
      const before = copy(e.tally[family]);
      // the receiving kernel drops these (IPV6_CHECKSUM); a martian source is the router's own address
      if (c.expect[name] === 'kernel') continue;
      const expected = c.expect[name] === 'martian' ? 'own_packet' : c.expect[name];
      for (const s of c.shots) deliver(e, s, now);
      assert.deepEqual(delta(before, e.tally[family]), { [expected]: c.shots.length }, `${name}: ${c.name}`);
    }
  }
  for (const e of [a, b])
    for (const counts of [e.tally.ipv4, e.tally.ipv6])
      assert.equal(
        counts.accepted + Object.values(counts.dropped).reduce((x, y) => x + y, 0),
        counts.received,
        'every packet under exactly one verdict',
      );
});

test('the flood is wrong-password adverts from 200 sources', () => {
  const b = router(100, ROUTER_B4, ROUTER_B6);
  const shots = floodShots(1000);
  for (const s of shots) deliver(b, s, Date.now());
  assert.deepEqual(b.tally.ipv4.dropped, { auth_failure: 1000 });
  assert.equal(new Set(shots.map((s) => Buffer.from(s.bytes.subarray(12, 16)).toString('hex'))).size, 200);
});
