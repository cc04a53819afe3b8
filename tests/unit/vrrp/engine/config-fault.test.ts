// A configuration fault (keepalived's num_config_faults; unicast_fault_no_peer without peers): the instance
// starts in FAULT without an "Entering FAULT STATE" line but with its FAULT notifies, and stays there
// whatever its trackers do, until a reload gives it a configuration it can run with.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, type Action } from '../../../../src/vrrp/engine/engine.js';
import { instanceSpec, type EngineSpec, type InstanceSpec } from '../../../../src/vrrp/engine/spec.js';

const NO_PEER = 'Cannot use unicast without any peers - going to fault state';

function spec(...instances: InstanceSpec[]): EngineSpec {
  return { instances, syncGroups: [], scripts: [], trackFiles: [], trackProcesses: [] };
}

const faulty = (extra: Partial<InstanceSpec> = {}): InstanceSpec =>
  instanceSpec({
    name: 'VI_1',
    vrid: 74,
    priority: 200,
    sourceAddress: '10.7.0.1',
    addresses: [{ address: '10.7.0.174', prefix: 24 }],
    notify: { generic: { command: '/bin/notify' } },
    configFault: NO_PEER,
    ...extra,
  });

const logs = (out: Action[]): string[] => out.flatMap((a) => (a.type === 'log' ? [a.message] : []));

void describe('configuration fault', () => {
  void test('starts in FAULT: the reason logged, no state line, the FAULT notify sent', () => {
    const e = new Engine(spec(faulty(), instanceSpec({ name: 'VI_2', vrid: 75, sourceAddress: '10.7.0.1' })));
    const out = e.handle(0, { type: 'start' });
    assert.deepEqual(
      logs(out).filter((l) => l.startsWith('(VI_1)')),
      [`(VI_1) ${NO_PEER}`],
    );
    assert.ok(logs(out).includes('(VI_2) Entering BACKUP STATE (init)'));
    assert.deepEqual(
      out.flatMap((a) => (a.type === 'notify' && a.name === 'VI_1' ? [a.state] : [])),
      ['FAULT'],
    );
    const [vi1] = e.snapshot().instances;
    assert.equal(vi1?.state, 'FAULT');
    assert.deepEqual(vi1?.faults, ['config']);
  });

  void test('stays in FAULT through tracker changes and adverts; never sends', () => {
    const e = new Engine(spec(faulty()));
    e.handle(0, { type: 'start' });
    e.handle(10, { type: 'link', ifname: 'eth0', up: false });
    const up = e.handle(20, { type: 'link', ifname: 'eth0', up: true });
    assert.equal(e.snapshot().instances[0]?.state, 'FAULT');
    assert.ok(!up.some((a) => a.type === 'send-advert'));
    assert.equal(e.nextDeadline(), undefined);
  });

  void test('a reload that removes the fault brings it up; one that adds it takes it down', () => {
    const e = new Engine(spec(faulty()));
    e.handle(0, { type: 'start' });
    const { configFault: _, ...fixed } = faulty();
    e.handle(100, { type: 'reload', spec: spec(fixed) });
    assert.equal(e.snapshot().instances[0]?.state, 'BACKUP');
    const out = e.handle(200, { type: 'reload', spec: spec(faulty()) });
    assert.equal(e.snapshot().instances[0]?.state, 'FAULT');
    assert.ok(out.some((a) => a.type === 'notify' && a.state === 'FAULT'));
  });
});
