// unicast_ttl and check_unicast_src as keepalived 2.2.7/2.4.3 apply them (vrrp.c vrrp_build_ip4,
// vrrp_build_ancillary_data, vrrp_check_packet): the TTL written into IPv4 adverts / the hop limit of IPv6
// unicast ones, and unicast adverts refused from a source that is not a unicast_peer or outside its
// min_ttl..max_ttl. From the configuration text to the wire.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../../src/config/index.js';
import type { EngineEvent, SendAdvertAction } from '../../../../src/vrrp/engine/events.js';
import { vrrpSetupFromModel } from '../../../../src/vrrp/from-model.js';
import { AdvertEndpoint } from '../../../../src/vrrp/wire/endpoint.js';
import { MemoryHost } from '../../config/memory-host.js';

function configured(text: string): AdvertEndpoint {
  const { model } = loadModel('/k.conf', new MemoryHost({ '/k.conf': text }), { configId: 'n' });
  const e = new AdvertEndpoint();
  e.configure(
    [...vrrpSetupFromModel(model).instances.values()].map((i) => ({
      spec: i.spec,
      settings: i.wire,
      receiveOn: [i.spec.interface],
    })),
    () => [],
  );
  return e;
}

const config = (family: 4 | 6, extra: string, peers = family === 4 ? ['10.0.0.2'] : ['fd00::2']) => `
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 7
  priority 100
  ${extra}
  ${peers.length > 0 ? `unicast_peer {\n    ${peers.join('\n    ')}\n  }` : ''}
  virtual_ipaddress {
    ${family === 4 ? '10.0.0.100/24' : 'fd00::100/64'}
  }
}`;

function advert(family: 4 | 6, to: string[] | 'multicast'): SendAdvertAction {
  return {
    type: 'send-advert',
    instance: 'VI_1',
    ifname: 'eth0',
    family,
    to,
    advert: {
      version: family === 4 ? 2 : 3,
      vrid: 7,
      priority: 150,
      intervalCs: 100,
      addresses: [family === 4 ? '10.0.0.100' : 'fd00::100'],
      authType: 'none',
    },
  };
}

/** An IPv4 advert from `source` with TTL `ttl`, as the instance of `receiver` judges it. */
function judge4(receiver: AdvertEndpoint, source: string, ttl: number): EngineEvent[] {
  const sender = configured(config(4, '', ['10.0.0.1']));
  const [d] = sender.datagrams(advert(4, ['10.0.0.1']), source, 0) ?? [];
  const bytes = Uint8Array.from(d!.bytes);
  bytes[8] = ttl;
  // the IPv4 header checksum is not checked by the judge (the kernel did), so the changed TTL stands
  return receiver.receive({ family: 4, ifname: 'eth0', data: bytes }, 0);
}

const kind = (events: EngineEvent[]): string =>
  events.map((e) => (e.type === 'advert-dropped' ? `dropped ${e.reason}` : e.type)).join(',') || 'nothing';

describe('unicast_ttl', () => {
  test('IPv4: without it adverts carry TTL 255; with it, that TTL', () => {
    const plain = configured(config(4, ''));
    assert.equal(plain.datagrams(advert(4, ['10.0.0.2']), '10.0.0.1', 0)?.[0]?.bytes[8], 255);
    const ttl = configured(config(4, 'unicast_ttl 5'));
    assert.equal(ttl.datagrams(advert(4, ['10.0.0.2']), '10.0.0.1', 0)?.[0]?.bytes[8], 5);
    assert.equal(ttl.repeatableDatagrams(advert(4, ['10.0.0.2']), '10.0.0.1')?.[0]?.bytes[8], 5);
  });

  test('IPv6: the hop limit of unicast adverts, on every send (also from the cache); not repeatable', () => {
    const e = configured(config(6, 'unicast_ttl 9'));
    for (let i = 0; i < 2; i++)
      assert.equal(e.datagrams(advert(6, ['fd00::2']), 'fd00::1', 0)?.[0]?.hopLimit, 9);
    assert.equal(e.repeatableDatagrams(advert(6, ['fd00::2']), 'fd00::1'), undefined);
    const plain = configured(config(6, ''));
    assert.equal(plain.datagrams(advert(6, ['fd00::2']), 'fd00::1', 0)?.[0]?.hopLimit, undefined);
  });

  test('without unicast peers keepalived says so and resets it to 0 (the TTL of its IPv4 adverts)', () => {
    const text = config(4, 'unicast_ttl 5', []);
    const { diagnostics } = loadModel('/k.conf', new MemoryHost({ '/k.conf': text }), { configId: 'n' });
    const said = diagnostics.filter((d) => d.keyword === 'unicast_ttl' && d.severity === 'warning');
    assert.deepEqual(
      said.map((d) => d.message),
      ['(VI_1): Cannot use unicast_ttl without unicast peers - resetting'],
    );
    assert.equal(configured(text).datagrams(advert(4, 'multicast'), '10.0.0.1', 0)?.[0]?.bytes[8], 0);
  });
});

describe('check_unicast_src', () => {
  test('without it an advert from any unicast source is judged; with it, only from a peer', () => {
    assert.equal(kind(judge4(configured(config(4, '')), '10.0.0.9', 255)), 'advert');
    const checking = configured(config(4, 'check_unicast_src'));
    assert.equal(kind(judge4(checking, '10.0.0.2', 255)), 'advert');
    assert.equal(kind(judge4(checking, '10.0.0.9', 255)), 'dropped unicast_peer_unknown');
  });

  test('vrrp_check_unicast_src in global_defs does the same for every instance', () => {
    const e = configured(`global_defs {\n  vrrp_check_unicast_src\n}\n${config(4, '')}`);
    assert.equal(kind(judge4(e, '10.0.0.9', 255)), 'dropped unicast_peer_unknown');
  });

  test("a peer's min_ttl/max_ttl bound the TTL its adverts may arrive with", () => {
    const e = configured(config(4, '', ['10.0.0.2 min_ttl 250 max_ttl 254']));
    assert.equal(kind(judge4(e, '10.0.0.2', 252)), 'advert');
    assert.equal(kind(judge4(e, '10.0.0.2', 255)), 'dropped ip_ttl_err');
    assert.equal(kind(judge4(e, '10.0.0.2', 249)), 'dropped ip_ttl_err');
  });
});
