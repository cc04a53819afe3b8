// The tracker's SNMP notification effects: where keepalived's checker calls check_snmp_rs_trap and
// check_snmp_quorum_trap (ipwrapper.c): do_rs_notifies, do_vs_notifies (before its omega test), and
// clear_service_rs at stop without omega.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualServerTracker, type LbEffect } from '../../../../src/lb/table/tracker.js';
import { lbConfig } from './helpers.js';

const id = (rs: string): string => `10.0.0.1:80/TCP -> ${rs}`;

const CONFIG = (omega: boolean): string => `virtual_server 10.0.0.1 80 {
  protocol TCP
  quorum 2
  ${omega ? 'omega' : ''}
  real_server 10.0.1.1 80 { }
  real_server 10.0.1.2 80 { }
}`;

function notes(effects: LbEffect[]): string[] {
  return effects.flatMap((e) =>
    e.type === 'notification'
      ? [
          `${e.server ?? 'quorum'} vs=${e.virtualServer} stopping=${e.stopping} up=${e.quorumUp} ` +
            `alive=${e.aliveServers.map((s) => s.slice(-11)).join(',')}`,
        ]
      : [],
  );
}

test('notifications: the quorum at start, a real server going down and the quorum it takes along', () => {
  const t = new VirtualServerTracker(lbConfig(CONFIG(false)));
  assert.deepEqual(notes(t.start()), ['quorum vs=0 stopping=false up=true alive=10.0.1.1:80,10.0.1.2:80']);
  assert.deepEqual(notes(t.serverState(id('10.0.1.1:80'), false, 1)), [
    `${id('10.0.1.1:80')} vs=0 stopping=false up=true alive=10.0.1.2:80`,
    'quorum vs=0 stopping=false up=false alive=10.0.1.2:80',
  ]);
  assert.deepEqual(notes(t.serverState(id('10.0.1.1:80'), true, 1)), [
    `${id('10.0.1.1:80')} vs=0 stopping=false up=false alive=10.0.1.1:80,10.0.1.2:80`,
    'quorum vs=0 stopping=false up=true alive=10.0.1.1:80,10.0.1.2:80',
  ]);
});

test('notifications at stop: every live real server, then the quorum, with or without omega', () => {
  for (const omega of [false, true]) {
    const t = new VirtualServerTracker(lbConfig(CONFIG(omega)));
    t.start();
    assert.deepEqual(
      notes(t.shutdown()),
      [
        `${id('10.0.1.1:80')} vs=0 stopping=true up=true alive=10.0.1.2:80`,
        `${id('10.0.1.2:80')} vs=0 stopping=true up=true alive=`,
        'quorum vs=0 stopping=true up=false alive=',
      ],
      `omega ${omega}`,
    );
  }
});
