// Which notify FIFOs (and scripts) each process opens, as keepalived 2.2.7 decides (global_data.c,
// vrrp.c vrrp_complete_init): duplicates of the global FIFO are ignored, the global FIFO's script runs in
// the checker when there is one, and of an LVS and a VRRP FIFO on one path only the VRRP script runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultGlobalDefs, type GlobalDefs } from '../../../../src/config/model/global/global.js';
import { notifyFifoSpecs } from '../../../../src/daemon/process/notify-fifos.js';

const g = (over: Partial<GlobalDefs>): GlobalDefs => ({ ...defaultGlobalDefs(), ...over });
const show = (specs: ReturnType<typeof notifyFifoSpecs>) =>
  specs.map((s) => `${s.kind}${s.path}${s.script !== undefined ? ` <- ${s.script.command}` : ''}`);

test('the global FIFO and the process own one, each with its script', () => {
  const globals = g({
    notifyFifo: '/run/all',
    notifyFifoScript: { command: '/bin/all' },
    vrrpNotifyFifo: '/run/vrrp',
    vrrpNotifyFifoScript: { command: '/bin/vrrp' },
    lvsNotifyFifo: '/run/lvs',
    lvsNotifyFifoScript: { command: '/bin/lvs' },
  });
  assert.deepEqual(show(notifyFifoSpecs(globals, 'vrrp', false)), [
    '/run/all <- /bin/all',
    'vrrp_/run/vrrp <- /bin/vrrp',
  ]);
  // With a checker process, it runs the global FIFO's script, not the VRRP process.
  assert.deepEqual(show(notifyFifoSpecs(globals, 'vrrp', true)), ['/run/all', 'vrrp_/run/vrrp <- /bin/vrrp']);
  assert.deepEqual(show(notifyFifoSpecs(globals, 'checker', true)), [
    '/run/all <- /bin/all',
    'lvs_/run/lvs <- /bin/lvs',
  ]);
});

test('a process FIFO on the global path is ignored; on one path LVS and VRRP scripts: the VRRP one', () => {
  const logged: string[] = [];
  const log = { info: (m: string) => logged.push(m) } as unknown as Parameters<typeof notifyFifoSpecs>[3];
  assert.deepEqual(
    show(notifyFifoSpecs(g({ notifyFifo: '/run/x', vrrpNotifyFifo: '/run/x' }), 'vrrp', false, log)),
    ['/run/x'],
  );
  assert.match(logged[0] ?? '', /specified for global and vrrp FIFO - ignoring vrrp FIFO/);
  const shared = g({
    vrrpNotifyFifo: '/run/s',
    vrrpNotifyFifoScript: { command: '/bin/v' },
    lvsNotifyFifo: '/run/s',
    lvsNotifyFifoScript: { command: '/bin/l' },
  });
  assert.deepEqual(show(notifyFifoSpecs(shared, 'checker', true)), ['lvs_/run/s']);
});

test('`notify_fifo PATH user group`: the path, and who owns the FIFO when it is created', () => {
  const [s] = notifyFifoSpecs(g({ notifyFifo: '/run/f nobody nogroup' }), 'vrrp', false);
  assert.deepEqual(s, { kind: '', path: '/run/f', owner: { user: 'nobody', group: 'nogroup' } });
});
