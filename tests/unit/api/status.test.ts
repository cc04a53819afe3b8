// The /status document built from a real engine run: valid against docs/status.schema.json, each tracker's
// part in the priority, the master, timers and VIPs, the checker report, and no secret of the config.
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { loadModel } from '../../../src/config/index.js';
import { Engine } from '../../../src/vrrp/engine/engine.js';
import { vrrpSetupFromModel } from '../../../src/vrrp/from-model.js';
import { buildStatus, type StatusDocument } from '../../../src/api/status.js';
import { buildCheckerReport, MAX_REAL_SERVERS } from '../../../src/api/checker-status.js';
import { EventHistory } from '../../../src/api/events.js';
import { snapshotSamples } from '../../../src/api/metrics.js';
import { MemoryHost } from '../config/memory-host.js';

const CONF = '/etc/keepalived/keepalived.conf';
const KEY = 'k'.repeat(32) + 'HMACSECRET';
const TEXT = `global_defs {
  router_id lb1
}
status_http {
  listen 127.0.0.1 9650
  token TOKENSECRET
}
vrrp_script chk {
  script "/bin/true"
  weight -20
}
vrrp_instance V {
  interface eth0
  virtual_router_id 3
  priority 100
  mcast_src_ip 10.9.0.1
  track_script {
    chk
  }
  track_interface {
    eth1 weight 5
  }
  authentication {
    auth_type PASS
    auth_pass PASSSECR
  }
  virtual_ipaddress {
    10.9.9.9
    10.9.8.1/24 dev eth1 no_track
  }
  virtual_ipaddress_excluded {
    10.9.7.7
  }
}
vrrp_instance W {
  interface eth0
  virtual_router_id 4
  priority 50
  auth_hmac {
    key 1 ${KEY}
  }
  virtual_ipaddress {
    10.9.9.10
  }
}
vrrp_sync_group G {
  group {
    W
  }
}
virtual_server 10.9.9.9 80 {
  real_server 10.1.0.1 8080 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
  real_server 10.1.0.2 8080 {
  }
}
`;

const schema = JSON.parse(
  readFileSync(new URL('../../../../docs/status.schema.json', import.meta.url), 'utf8'),
) as object;
const ajv = new Ajv2020({ allErrors: true, strict: true });
// "format" is an annotation here: ajv-formats is not needed to check the shape
ajv.addFormat('date-time', true);
const validate = ajv.compile(schema);

/** `handoverAt`: ask V for a planned handover then, and build the document `until` later. */
function run(handoverAt?: number, until = 0): { doc: StatusDocument; history: EventHistory } {
  const { model, diagnostics } = loadModel(CONF, new MemoryHost({ [CONF]: TEXT }));
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const setup = vrrpSetupFromModel(model);
  const engine = new Engine(setup.engine);
  const history = new EventHistory(10);
  const record = (actions: ReturnType<Engine['handle']>, t: number): void => {
    for (const a of actions)
      if (a.type === 'state-change') {
        const priority =
          engine.snapshot().instances.find((i) => i.name === a.instance)?.effectivePriority ?? 0;
        history.push(
          { type: 'state-change', instance: a.instance, from: a.from, to: a.to, reason: a.reason, priority },
          new Date(t).toISOString(),
        );
      }
  };
  record(engine.handle(0, { type: 'start' }), 0);
  record(engine.handle(100, { type: 'script-result', name: 'chk', ok: false }), 100);
  record(engine.handle(5000, { type: 'timer' }), 5000);
  let now = 5000;
  if (handoverAt !== undefined) {
    engine.handle(handoverAt, { type: 'handover', instance: 'V', holdMs: 60_000 });
    for (now = handoverAt; now < handoverAt + until; now += 100)
      record(engine.handle(now, { type: 'timer' }), now);
  }
  const checker = buildCheckerReport(
    model.virtualServers,
    {
      server: (id) => (id.endsWith('10.1.0.1:8080') ? { up: false, weight: 1 } : undefined),
      checkers: (id) =>
        id.endsWith('10.1.0.1:8080')
          ? [
              {
                id: `${id} #1 TCP_CHECK`,
                kind: 'TCP_CHECK',
                up: false,
                last: {
                  ok: false,
                  detail: 'connection refused',
                  durationMs: 1.5,
                  at: new Date(0).toISOString(),
                },
              },
            ]
          : [],
    },
    new Date(4000).toISOString(),
  );
  const doc = buildStatus({
    snapshot: engine.snapshot(),
    specs: new Map([...setup.instances].map(([n, s]) => [n, s.spec])),
    detail: (n) => engine.instanceDetail(n),
    now,
    generatedAt: new Date(now).toISOString(),
    daemon: {
      implementation: 'keepalived-ts',
      version: '0.1.0',
      pid: 1,
      startedAt: new Date(0).toISOString(),
      routerId: 'lb1',
    },
    bfd: new Map([['b1', true]]),
    checker,
    transitions: history.all(),
  });
  return { doc, history };
}

void describe('/status document', () => {
  void test('is valid against docs/status.schema.json', () => {
    const { doc } = run();
    assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
    // the schema is strict: a field it does not know fails
    const drift = structuredClone(doc) as unknown as { instances: Array<Record<string, unknown>> };
    (drift.instances[0] as Record<string, unknown>).surprise = 1;
    assert.equal(validate(drift), false);
  });

  void test('a planned handover shows (releasing, then held) and stays valid against the schema', () => {
    const releasing = run(5000).doc.instances.find((i) => i.name === 'V');
    assert.equal(releasing?.state, 'MASTER');
    assert.equal(releasing?.handover?.phase, 'releasing');
    assert.equal(releasing?.handover?.requestedAt, new Date(5000).toISOString());
    assert.ok((releasing?.handover?.deadlineInMs ?? 0) > 3000);
    const { doc } = run(5000, 6000);
    assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
    const held = doc.instances.find((i) => i.name === 'V');
    // nobody else here: the VIPs went at the deadline and the hold began
    assert.equal(held?.state, 'BACKUP');
    assert.equal(held?.handover?.phase, 'held');
    assert.equal(held?.handover?.newMaster, undefined);
    assert.ok((held?.handover?.holdEndsInMs ?? 0) > 50_000);
  });

  void test("each tracker's part in the effective priority, the master, timers and VIPs", () => {
    const { doc } = run();
    const v = doc.instances.find((i) => i.name === 'V');
    assert.ok(v);
    assert.equal(v.state, 'MASTER');
    assert.deepEqual(v.priority, {
      base: 100,
      // the failed script takes 20; eth1 is up (the engine's default view) and gives 5
      effective: 85,
      trackers: [
        {
          kind: 'interface',
          name: 'eth0',
          weight: 0,
          reverse: false,
          status: 'up',
          contribution: 0,
          fault: false,
        },
        {
          kind: 'interface',
          name: 'eth1',
          weight: 5,
          reverse: false,
          status: 'up',
          contribution: 5,
          fault: false,
        },
        {
          kind: 'script',
          name: 'chk',
          weight: -20,
          reverse: false,
          status: 'failed',
          contribution: -20,
          fault: false,
        },
      ],
    });
    assert.deepEqual(v.master, { self: true, address: '10.9.0.1', priority: 85 });
    assert.equal(v.timers.advertIntervalMs, 1000);
    assert.ok(v.timers.masterDownIntervalMs > 3000 && v.timers.masterDownIntervalMs < 4000);
    assert.deepEqual(v.vips, [
      { address: '10.9.9.9', prefix: 32, interface: 'eth0' },
      { address: '10.9.8.1', prefix: 24, interface: 'eth1' },
    ]);
    assert.deepEqual(v.excludedVips, [{ address: '10.9.7.7', prefix: 32, interface: 'eth0' }]);
    assert.equal(v.counters.become_master, 1);
    assert.equal(v.lastTransition?.to, 'MASTER');
    assert.equal(v.lastTransition?.reason, doc.transitions.at(-1)?.reason);
    assert.deepEqual(doc.syncGroups, [{ name: 'G', state: doc.syncGroups[0]?.state, members: ['W'] }]);
    assert.deepEqual(doc.bfd, [{ name: 'b1', up: true }]);
  });

  void test('real servers with their health and checkers', () => {
    const { doc } = run();
    assert.equal(doc.virtualServers.length, 1);
    const [a, b] = doc.virtualServers[0]?.realServers ?? [];
    assert.equal(a?.up, false);
    assert.equal(a?.checkers[0]?.last?.detail, 'connection refused');
    // no checkers: in the pool
    assert.deepEqual(b, { address: '10.1.0.2', port: 8080, up: true, weight: 1, checkers: [] });
  });

  void test('no secret of the configuration appears', () => {
    const { doc } = run();
    const text = JSON.stringify(doc);
    for (const secret of ['PASSSECR', 'HMACSECRET', 'TOKENSECRET']) assert.ok(!text.includes(secret), secret);
    const metrics = JSON.stringify([...snapshotSamples(doc, () => 0)]);
    for (const secret of ['PASSSECR', 'HMACSECRET', 'TOKENSECRET'])
      assert.ok(!metrics.includes(secret), secret);
  });

  void test('the checker report is bounded', () => {
    const { model } = loadModel(CONF, new MemoryHost({ [CONF]: TEXT }));
    const vs = model.virtualServers[0];
    assert.ok(vs);
    const many = Array.from({ length: MAX_REAL_SERVERS + 5 }, () => vs);
    const r = buildCheckerReport(many, { server: () => undefined, checkers: () => [] }, 'x');
    const kept = r.virtualServers.reduce((n, v) => n + v.realServers.length, 0);
    assert.equal(kept, MAX_REAL_SERVERS);
    assert.equal(r.truncated, (MAX_REAL_SERVERS + 5) * 2 - MAX_REAL_SERVERS);
  });
});

void describe('metrics from the document', () => {
  void test('exporter-compatible names and labels; one keepalived_vrrp_state sample per VIP', () => {
    const { doc } = run();
    const s = snapshotSamples(doc, () => 0.5);
    assert.deepEqual(s.get('keepalived_up'), [{ labels: {}, value: 1 }]);
    const states = s.get('keepalived_vrrp_state')?.filter((x) => x.labels.iname === 'V');
    assert.deepEqual(states, [
      { labels: { iname: 'V', intf: 'eth0', vrid: '3', ip_address: '10.9.9.9' }, value: 2 },
      { labels: { iname: 'V', intf: 'eth1', vrid: '3', ip_address: '10.9.8.1' }, value: 2 },
    ]);
    assert.deepEqual(
      s.get('keepalived_vrrp_excluded_state')?.map((x) => x.labels.ip_address),
      ['10.9.7.7'],
    );
    const sent = s.get('keepalived_advertisements_sent_total')?.find((x) => x.labels.iname === 'V');
    assert.deepEqual(sent?.labels, { iname: 'V', intf: 'eth0', vrid: '3' });
    assert.deepEqual(s.get('keepalived_script_status'), [{ labels: { name: 'chk' }, value: 0 }]);
    assert.deepEqual(
      s.get('keepalived_vrrp_tracker_priority_contribution')?.find((x) => x.labels.tracker === 'script:chk'),
      { labels: { iname: 'V', tracker: 'script:chk' }, value: -20 },
    );
    assert.equal(s.get('keepalived_checker_real_server_up')?.length, 2);
  });
});
