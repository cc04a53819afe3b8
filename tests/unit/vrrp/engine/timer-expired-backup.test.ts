// timer_expired_backup (keepalived 2.4, vrrp.c vrrp_thread_timeout_handler): after the daemon's timers ran
// late past the quickest takeover, a MASTER whose last advert is older than 3 x advert_int + the skew of
// the highest other priority goes to BACKUP at once, without a priority-0 advert.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../../../src/vrrp/engine/engine.js';
import { engineSpecFromModel } from '../../../../src/vrrp/from-model.js';
import { instanceSpec, type EngineSpec, type InstanceSpec } from '../../../../src/vrrp/engine/spec.js';
import { expiryThresholdMs } from '../../../../src/vrrp/engine/timer-expired-backup.js';
import { build } from '../../config/model-helpers.js';

const spec = (inst: Partial<InstanceSpec>): EngineSpec => ({
  instances: [
    instanceSpec({
      name: 'VI',
      vrid: 1,
      preempt: false,
      addresses: [{ address: '10.0.0.100', prefix: 24 }],
      ...inst,
    }),
  ],
  syncGroups: [],
  scripts: [],
  trackFiles: [],
  trackProcesses: [],
});

const state = (e: Engine) => e.snapshot().instances[0]!.state;

/** A MASTER whose last advert left at 4000 ms (advert_int 1 s). */
function master(inst: Partial<InstanceSpec>): Engine {
  const e = new Engine(spec(inst));
  e.handle(0, { type: 'start' });
  e.handle(4000, { type: 'timer' });
  assert.equal(state(e), 'MASTER');
  return e;
}

void describe('timer_expired_backup', () => {
  void test('threshold: 2 x advert_int + the skew of the highest other priority (v2: (256 - p) / 256 s)', () => {
    assert.equal(expiryThresholdMs(spec({ timerExpiredBackup: 254 }).instances), 2007.812); // skew in whole microseconds, as keepalived
    assert.equal(expiryThresholdMs(spec({ timerExpiredBackup: 128 }).instances), 2500);
    assert.equal(expiryThresholdMs(spec({}).instances), undefined);
  });

  void test('a MASTER stalled past its takeover goes to BACKUP, releasing its VIPs without priority 0', () => {
    const e = master({ timerExpiredBackup: 254 });
    // its next advert was due at 5000; the daemon woke at 9000, 4 s late
    const out = e.handle(9000, { type: 'timers-late', lateMs: 4000 });
    assert.equal(state(e), 'BACKUP');
    assert.ok(out.some((a) => a.type === 'remove-addresses'));
    assert.ok(!out.some((a) => a.type === 'send-advert'));
    assert.ok(
      out.some((a) => a.type === 'log' && /VRRP thread timer expired 4\.000000 seconds ago/.test(a.message)),
    );
  });

  void test('late, but the last advert not old enough, or late less than the threshold: stays MASTER', () => {
    const e = master({ timerExpiredBackup: 254 });
    // 3 x 1 s + 7.8 ms after the last advert (4000) is 7007.8: not yet at 7000
    e.handle(7000, { type: 'timers-late', lateMs: 2500 });
    assert.equal(state(e), 'MASTER');
    const f = master({ timerExpiredBackup: 254 });
    f.handle(9000, { type: 'timers-late', lateMs: 1500 });
    assert.equal(state(f), 'MASTER');
  });

  void test('without the keyword nothing happens', () => {
    const e = master({});
    e.handle(9000, { type: 'timers-late', lateMs: 4000 });
    assert.equal(state(e), 'MASTER');
  });

  void test("the keyword needs nopreempt: reset with keepalived's error otherwise", () => {
    const conf = (extra: string) => `
vrrp_instance VI {
  interface eth0
  virtual_router_id 1
  priority 100
  ${extra}
  virtual_ipaddress {
    10.0.0.100/24
  }
}`;
    const ok = build(conf('nopreempt\n  timer_expired_backup 200'));
    assert.equal(engineSpecFromModel(ok.model).instances[0]!.timerExpiredBackup, 200);
    const bare = build(conf('nopreempt\n  timer_expired_backup'));
    assert.equal(engineSpecFromModel(bare.model).instances[0]!.timerExpiredBackup, 254);
    const bad = build(conf('timer_expired_backup 200'));
    assert.equal(engineSpecFromModel(bad.model).instances[0]!.timerExpiredBackup, undefined);
    assert.ok(bad.messages.some((m) => /\(VI\) expired_timer_backup requires nopreempt - resetting/.test(m)));
    const old = build(conf('nopreempt\n  thread_timer_expired 100'));
    assert.equal(engineSpecFromModel(old.model).instances[0]!.timerExpiredBackup, 100);
    assert.ok(old.messages.some((m) => /please replace with keyword 'timer_expired_backup'/.test(m)));
  });
});
