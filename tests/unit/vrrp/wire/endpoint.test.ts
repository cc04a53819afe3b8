// A router's wire side (vrrp/wire/endpoint.ts): the datagrams of a send-advert action, and the engine
// events a received packet becomes, as the daemon and the simulator both use them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineEvent, SendAdvertAction } from '../../../../src/vrrp/engine/events.js';
import { instanceSpec, type InstanceSpec } from '../../../../src/vrrp/engine/spec.js';
import { defaultWireSettings } from '../../../../src/vrrp/wire/datagram.js';
import { AdvertEndpoint, type ReceivedPacket, type UnknownVrid } from '../../../../src/vrrp/wire/endpoint.js';
import { unknownVridMessage } from '../../../../src/daemon/vrrp/advert-io.js';
import { IPPROTO_AH, IPPROTO_VRRP } from '../../../../src/vrrp/wire/ipv4.js';

function endpoint(spec: InstanceSpec, receiveOn = [spec.interface], own: string[] = []): AdvertEndpoint {
  const e = new AdvertEndpoint();
  e.configure([{ spec, settings: defaultWireSettings(spec.family), receiveOn }], () => own);
  return e;
}

function send(spec: InstanceSpec, priority: number): SendAdvertAction {
  return {
    type: 'send-advert',
    instance: spec.name,
    ifname: spec.interface,
    family: spec.family,
    to: spec.unicastPeers.length > 0 ? spec.unicastPeers : 'multicast',
    advert: {
      version: spec.version,
      vrid: spec.vrid,
      priority,
      intervalCs: spec.advertIntervalCs,
      addresses: spec.addresses.map((a) => a.address),
      authType: spec.authType,
    },
  };
}

/** What `from` sends, as `to` receives it on `ifname`. */
function deliver(
  from: AdvertEndpoint,
  a: SendAdvertAction,
  source: string,
  to: AdvertEndpoint,
  ifname: string,
) {
  const events: EngineEvent[] = [];
  for (const d of from.datagrams(a, source, 0) ?? []) {
    const p: ReceivedPacket =
      a.family === 4
        ? { family: 4, ifname, data: d.bytes }
        : { family: 6, ifname, data: d.bytes, source, destination: d.destination, hopLimit: 255 };
    events.push(...to.receive(p, 0));
  }
  return events;
}

const base = { vrid: 7, addresses: [{ address: '10.0.0.100', prefix: 24 }] };

describe('AdvertEndpoint', () => {
  test('unicast instances sharing a VRID: a packet is judged once, by the instance its sender is a peer of', () => {
    const peerOf = (name: string, peer: string) =>
      instanceSpec({ name, ...base, sourceAddress: '10.9.0.1', unicastPeers: [peer] });
    const a = peerOf('A', '10.9.0.2');
    const b = peerOf('B', '10.9.0.3');
    const refused: string[] = [];
    const to = new AdvertEndpoint();
    to.configure(
      [a, b].map((spec) => ({ spec, settings: defaultWireSettings(4), receiveOn: ['eth0'] })),
      () => ['10.9.0.1'],
    );
    const sender = instanceSpec({ name: 'S', ...base, unicastPeers: ['10.9.0.1'] });
    const judged = (source: string): EngineEvent[] => {
      const events: EngineEvent[] = [];
      for (const d of endpoint(sender).datagrams(send(sender, 150), source, 0) ?? [])
        events.push(
          ...to.receive({ family: 4, ifname: 'eth0', data: d.bytes }, 0, (r) => refused.push(r.instance)),
        );
      return events;
    };
    const fromB = judged('10.9.0.3');
    assert.equal(fromB.length, 1);
    assert.equal(fromB[0]?.type === 'advert' ? fromB[0].received.source : '', '10.9.0.3');
    assert.equal(judged('10.9.0.2').length, 1);
    assert.deepEqual(judged('10.9.0.99'), [], 'a sender that is no peer of either reaches neither');
    assert.deepEqual(refused, []);
  });

  test('an advert from a peer is accepted; one for a VRID we do not run is not ours to judge', () => {
    const a = instanceSpec({ name: 'A', ...base });
    const b = instanceSpec({ name: 'B', ...base });
    const [event] = deliver(endpoint(a), send(a, 150), '10.0.0.1', endpoint(b), 'eth0');
    assert.equal(event?.type, 'advert');
    assert.equal(event?.type === 'advert' ? event.received.advert.priority : 0, 150);
    const other = instanceSpec({ name: 'O', vrid: 8 });
    assert.deepEqual(deliver(endpoint(other), send(other, 100), '10.0.0.1', endpoint(b), 'eth0'), []);
  });

  test('log_unknown_vrids: a VRID no instance runs is reported where keepalived listens, even malformed', () => {
    const mine = instanceSpec({ name: 'M', ...base });
    const to = endpoint(mine);
    const unknown: UnknownVrid[] = [];
    const datagram = (spec: InstanceSpec, source: string): Uint8Array => {
      const [d] = endpoint(spec).datagrams(send(spec, 100), source, 0) ?? [];
      assert.ok(d);
      return d.bytes;
    };
    const hear = (ifname: string, data: Uint8Array, at = to): EngineEvent[] =>
      at.receive({ family: 4, ifname, data }, 0, undefined, (u) => unknown.push(u));
    const other = datagram(instanceSpec({ name: 'O', vrid: 9 }), '10.0.0.9');
    assert.deepEqual(hear('eth0', other), []);
    assert.equal(hear('eth0', datagram(mine, '10.0.0.1'))[0]?.type, 'advert');
    // no instance on eth1: keepalived has no socket there
    assert.deepEqual(hear('eth1', datagram(mine, '10.0.0.1')), []);
    // a bad checksum: keepalived reads the VRID before any check
    const corrupt = other.slice();
    corrupt[corrupt.length - 1] ^= 0xff;
    hear('eth0', corrupt);
    // with use_vmac keepalived listens on the VMAC only (we read the interface too)
    const vmac = new AdvertEndpoint();
    vmac.configure(
      [{ spec: mine, settings: defaultWireSettings(4), receiveOn: ['eth0', 'vrrp.7'], listenOn: 'vrrp.7' }],
      () => [],
    );
    hear('eth0', other, vmac);
    hear('vrrp.7', other, vmac);
    assert.deepEqual(unknown, [
      { vrid: 9, ifname: 'eth0' },
      { vrid: 9, ifname: 'eth0' },
      { vrid: 9, ifname: 'vrrp.7' },
    ]);
    assert.equal(unknownVridMessage(unknown[0]!), 'Unknown VRID(9) received on interface(eth0). ignoring...');
    assert.equal(
      unknownVridMessage({ vrid: 7, ifname: 'eth0', source: '10.9.0.99' }),
      'Unknown VRID(7) received on interface(eth0) from 10.9.0.99. ignoring...',
    );
  });

  test('log_unknown_vrids: unicast instances sharing a VRID report a source that is no peer of theirs', () => {
    const peerOf = (name: string, peer: string) =>
      instanceSpec({ name, ...base, sourceAddress: '10.9.0.1', unicastPeers: [peer] });
    const to = new AdvertEndpoint();
    to.configure(
      [peerOf('A', '10.9.0.2'), peerOf('B', '10.9.0.3')].map((spec) => ({
        spec,
        settings: defaultWireSettings(4),
        receiveOn: ['eth0'],
      })),
      () => ['10.9.0.1'],
    );
    const sender = instanceSpec({ name: 'S', ...base, unicastPeers: ['10.9.0.1'] });
    const unknown: UnknownVrid[] = [];
    for (const source of ['10.9.0.2', '10.9.0.99'])
      for (const d of endpoint(sender).datagrams(send(sender, 150), source, 0) ?? [])
        to.receive({ family: 4, ifname: 'eth0', data: d.bytes }, 0, undefined, (u) => unknown.push(u));
    assert.deepEqual(unknown, [{ vrid: 7, ifname: 'eth0', source: '10.9.0.99' }]);
  });

  test("a refused advert becomes advert-dropped with keepalived's reason; our own is not counted", () => {
    const a = instanceSpec({ name: 'A', ...base, authType: 'pass', authPass: 'one' });
    const b = instanceSpec({ name: 'B', ...base, authType: 'pass', authPass: 'two' });
    const to = endpoint(b, undefined, ['10.0.0.2']);
    const drop = deliver(endpoint(a), send(a, 150), '10.0.0.1', to, 'eth0');
    assert.deepEqual(drop, [
      {
        type: 'advert-dropped',
        ifname: 'eth0',
        family: 4,
        vrid: 7,
        source: '10.0.0.1',
        reason: 'auth_failure',
      },
    ]);
    const refused: string[] = [];
    const [d] = endpoint(a).datagrams(send(a, 150), '10.0.0.1', 0) ?? [];
    to.receive({ family: 4, ifname: 'eth0', data: d!.bytes }, 0, (r) =>
      refused.push(`${r.instance} ${r.detail}`),
    );
    assert.deepEqual(refused, ['B invalid password']);
    const own = deliver(endpoint(a), send(a, 150), '10.0.0.2', to, 'eth0');
    assert.deepEqual(own, [], 'our own address');
    const [short] = to.receive({ family: 4, ifname: 'eth0', data: new Uint8Array(10) }, 0);
    assert.equal(short?.type === 'advert-dropped' ? short.reason : '', 'packet_len_err', 'malformed');
  });

  test('an advert arriving on the VMAC reaches the instance by its interface', () => {
    const a = instanceSpec({ name: 'A', ...base });
    const b = instanceSpec({ name: 'B', ...base });
    const [event] = deliver(endpoint(a), send(a, 150), '10.0.0.1', endpoint(b, ['eth0', 'vrrp.7']), 'vrrp.7');
    assert.equal(event?.type === 'advert' ? event.received.ifname : '', 'eth0');
  });

  test('skip_check_adv_addr: the address list is checked only when the master changes', () => {
    const a = instanceSpec({ name: 'A', ...base, addresses: [{ address: '10.0.0.99', prefix: 24 }] });
    const b = instanceSpec({ name: 'B', ...base, skipCheckAdvAddr: true });
    const from = endpoint(a);
    const to = endpoint(b);
    const notes = (source: string): readonly string[] => {
      const [e] = deliver(from, send(a, 150), source, to, 'eth0');
      return e?.type === 'advert' ? (e.notes ?? []) : ['dropped'];
    };
    assert.deepEqual(notes('10.0.0.1'), ['addr_list_err'], 'a new master: checked (counted, accepted)');
    assert.deepEqual(notes('10.0.0.1'), [], 'the same master: skipped');
    assert.deepEqual(notes('10.0.0.3'), ['addr_list_err'], 'another master: checked again');
  });

  test('unicast: one datagram per peer; the IPv4 id counts up while the rest of the bytes repeat', () => {
    const a = instanceSpec({ name: 'A', ...base, unicastPeers: ['10.0.0.2', '10.0.0.3'] });
    const e = endpoint(a);
    const first = e.datagrams(send(a, 150), '10.0.0.1', 0) ?? [];
    assert.deepEqual(
      first.map((d) => d.destination),
      ['10.0.0.2', '10.0.0.3'],
    );
    const ids = first.map((d) => (d.bytes[4]! << 8) | d.bytes[5]!);
    const again = (e.datagrams(send(a, 150), '10.0.0.1', 0) ?? []).map(
      (d) => (d.bytes[4]! << 8) | d.bytes[5]!,
    );
    assert.deepEqual(ids, [1, 2]);
    assert.deepEqual(again, [3, 4]);
  });

  test('AH: numbered per advert, one counter per instance for sending and receiving', () => {
    const a = instanceSpec({ name: 'A', ...base, authType: 'ah', authPass: 'secret' });
    const b = instanceSpec({ name: 'B', ...base, authType: 'ah', authPass: 'secret' });
    const from = endpoint(a);
    const to = endpoint(b);
    const [d] = from.datagrams(send(a, 150), '10.0.0.1', 0) ?? [];
    assert.equal(d?.protocol, IPPROTO_AH);
    assert.equal(from.repeatableDatagrams(send(a, 150), '10.0.0.1'), undefined, 'AH cannot repeat');
    assert.equal(deliver(from, send(a, 150), '10.0.0.1', to, 'eth0')[0]?.type, 'advert');
    // a replayed (old) sequence is refused
    const replay = to.receive({ family: 4, ifname: 'eth0', data: d!.bytes }, 0);
    assert.equal(replay[0]?.type === 'advert-dropped' ? replay[0].reason : '', 'auth_failure');
  });

  test('IPv6: the VRRP payload only; repeatable datagrams for the timed sender', () => {
    const a = instanceSpec({
      name: 'A',
      vrid: 7,
      family: 6,
      version: 3,
      addresses: [{ address: 'fe80::100', prefix: 64 }],
    });
    const e = endpoint(a);
    const [d] = e.repeatableDatagrams(send(a, 150), 'fe80::1') ?? [];
    assert.equal(d?.protocol, IPPROTO_VRRP);
    assert.equal(d?.destination, 'ff02::12');
    assert.equal(d?.bytes.length, 8 + 16);
    const [event] = deliver(e, send(a, 150), 'fe80::1', endpoint({ ...a, name: 'B' }), 'eth0');
    assert.equal(event?.type, 'advert');
  });
});
