// An unweighted vrrp_script that fails its first run: keepalived (2.2.7 and 2.4.3, vrrp_init_state) has
// put the instance in FAULT already, without a line or a notify, while the script had no result; the first
// failure then finds it in FAULT: no "Entering FAULT STATE" line, but the FAULT notifies run
// (vrrp_state_leave_fault). Its first success later is an ordinary "Entering BACKUP STATE", notified.
// tests/netns/daemon-tracking.test.ts checks the same against keepalived 2.2.7 itself.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, type Action } from '../../../../src/vrrp/engine/engine.js';
import { instanceSpec, type EngineSpec } from '../../../../src/vrrp/engine/spec.js';

function spec(): EngineSpec {
  const vi1 = instanceSpec({
    name: 'VI_1',
    vrid: 74,
    priority: 200,
    sourceAddress: '10.7.0.1',
    addresses: [{ address: '10.7.0.174', prefix: 24 }],
    notify: { generic: { command: '/bin/notify' } },
    trackScripts: [{ name: 'chk' }],
  });
  return {
    instances: [vi1],
    syncGroups: [],
    scripts: [
      { name: 'chk', intervalMs: 1000, timeoutMs: 1000, rise: 1, fall: 1, weight: 0, reverse: false },
    ],
    trackFiles: [],
    trackProcesses: [],
  };
}

const logs = (out: Action[]): string[] => out.flatMap((a) => (a.type === 'log' ? [a.message] : []));
const notified = (out: Action[], name = 'VI_1'): string[] =>
  out.flatMap((a) => (a.type === 'notify' && a.name === name ? [a.state] : []));

void describe('an unweighted script failing from the start', () => {
  void test('FAULT without "Entering FAULT STATE", the FAULT notify sent', () => {
    const e = new Engine(spec());
    const start = e.handle(0, { type: 'start' });
    assert.deepEqual(notified(start), [], 'nothing notified before the script has a result');
    assert.ok(!logs(start).some((l) => l.includes('Entering')), logs(start).join('\n'));
    const failed = e.handle(100, { type: 'script-result', name: 'chk', ok: false, exitStatus: 1 });
    assert.equal(e.snapshot().instances[0]?.state, 'FAULT');
    assert.deepEqual(notified(failed), ['FAULT']);
    assert.ok(!logs(failed).some((l) => l.includes('Entering FAULT STATE')), logs(failed).join('\n'));
  });

  void test('its first success then enters BACKUP, logged and notified', () => {
    const e = new Engine(spec());
    e.handle(0, { type: 'start' });
    e.handle(100, { type: 'script-result', name: 'chk', ok: false, exitStatus: 1 });
    const ok = e.handle(1100, { type: 'script-result', name: 'chk', ok: true, exitStatus: 0 });
    assert.ok(logs(ok).includes('(VI_1) Entering BACKUP STATE'), logs(ok).join('\n'));
    assert.deepEqual(notified(ok), ['BACKUP']);
  });

  void test('a fault that comes later is logged as ever', () => {
    const e = new Engine(spec());
    e.handle(0, { type: 'start' });
    e.handle(100, { type: 'script-result', name: 'chk', ok: true, exitStatus: 0 });
    const failed = e.handle(1100, { type: 'script-result', name: 'chk', ok: false, exitStatus: 1 });
    assert.ok(logs(failed).includes('(VI_1) Entering FAULT STATE'), logs(failed).join('\n'));
    assert.deepEqual(notified(failed), ['FAULT']);
  });
});
