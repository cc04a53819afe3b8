// Two unicast instances with one VRID on one interface, told apart by their peers as keepalived 2.2.7 does
// (vrrp_dispatcher_read): an advert goes to the instance whose peer sent it, never to the first one
// configured, and an advert from a stranger goes to none.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../../../src/vrrp/engine/engine.js';
import type { ReceivedAdvert } from '../../../../src/vrrp/advert.js';
import { instanceSpec } from '../../../../src/vrrp/engine/spec.js';
import { dispatchBySource } from '../../../../src/vrrp/dispatch.js';

const shared = (name: string, peer: string, vip: string) =>
  instanceSpec({
    name,
    vrid: 51,
    priority: 100,
    sourceAddress: '10.9.0.1',
    unicastPeers: [peer],
    addresses: [{ address: vip, prefix: 24 }],
  });

function engine(): Engine {
  return new Engine({
    instances: [shared('VI_A', '10.9.0.2', '10.1.1.1'), shared('VI_B', '10.9.0.3', '10.1.2.1')],
    syncGroups: [],
    scripts: [],
    trackFiles: [],
    trackProcesses: [],
  });
}

const advertFrom = (source: string, priority = 200): ReceivedAdvert => ({
  advert: { version: 2, vrid: 51, priority, intervalCs: 100, addresses: ['10.1.2.1'], authType: 'none' },
  family: 4,
  source,
  destination: '10.9.0.1',
  ttl: 255,
  ifname: 'eth0',
});

/** Runs `e` to `until` ms, feeding an advert from `source` every second (none when undefined). */
function run(e: Engine, until: number, source: string | undefined): void {
  e.handle(0, { type: 'start' });
  let now = 0;
  let nextAdvert = 100;
  for (;;) {
    const timer = e.nextDeadline();
    const advertAt = source === undefined ? Infinity : nextAdvert;
    const at = Math.min(timer ?? Infinity, advertAt);
    if (at > until) break;
    now = at;
    if (at === advertAt && source !== undefined) {
      e.handle(now, { type: 'advert', received: advertFrom(source) });
      nextAdvert += 1000;
    } else e.handle(now, { type: 'timer' });
  }
}

const states = (e: Engine): Record<string, string> =>
  Object.fromEntries(e.snapshot().instances.map((i) => [i.name, i.state]));

void describe('one VRID, two unicast instances', () => {
  void test("adverts from VI_B's peer keep VI_B backup, and VI_A, hearing nothing, becomes master", () => {
    const e = engine();
    run(e, 10_000, '10.9.0.3');
    assert.deepEqual(states(e), { VI_A: 'MASTER', VI_B: 'BACKUP' });
  });

  void test("adverts from VI_A's peer keep VI_A backup", () => {
    const e = engine();
    run(e, 10_000, '10.9.0.2');
    assert.deepEqual(states(e), { VI_A: 'BACKUP', VI_B: 'MASTER' });
  });

  void test('adverts from a host that is no peer reach neither', () => {
    const e = engine();
    run(e, 10_000, '10.9.0.99');
    assert.deepEqual(states(e), { VI_A: 'MASTER', VI_B: 'MASTER' });
  });
});

void describe('dispatchBySource', () => {
  const a = { name: 'a', unicastPeers: ['10.0.0.2'], lastSource: undefined as string | undefined };
  const b = { name: 'b', unicastPeers: ['10.0.0.3'], lastSource: undefined as string | undefined };
  void test('one candidate takes everything; several are chosen by peer, the last source first', () => {
    assert.equal(
      dispatchBySource([a], '10.0.0.9', (x) => x),
      a,
    );
    assert.equal(
      dispatchBySource([a, b], '10.0.0.3', (x) => x),
      b,
    );
    assert.equal(
      dispatchBySource([a, b], '10.0.0.9', (x) => x),
      undefined,
    );
    assert.equal(dispatchBySource([a, { ...b, lastSource: '10.0.0.2' }], '10.0.0.2', (x) => x)?.name, 'b');
  });
});
