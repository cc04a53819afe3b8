// The status service across reloads: the same block keeps its sockets, a changed one reopens them, none
// closes them; the history carries on; events invalidate the shared answers; metrics render through
// prom-client with the exporter's names.
import { request } from 'node:http';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../../src/config/index.js';
import { Engine } from '../../../../src/vrrp/engine/engine.js';
import { vrrpSetupFromModel } from '../../../../src/vrrp/from-model.js';
import { StatusService } from '../../../../src/daemon/vrrp/status-service.js';
import { Logger } from '../../../../src/daemon/process/log.js';
import type { StatusHttpConfig } from '../../../../src/config/model/global/status-http.js';
import { MemoryHost } from '../../config/memory-host.js';

const CONF = '/k.conf';
const TEXT = `vrrp_instance V {
  interface eth0
  virtual_router_id 9
  priority 100
  virtual_ipaddress {
    10.9.9.9
  }
}
`;

function listenOn(port: number): StatusHttpConfig {
  return {
    location: { file: CONF, line: 1 },
    listen: [{ location: { file: CONF, line: 2 }, address: '127.0.0.1', family: 4, port }],
  };
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      res.setEncoding('utf8');
      let body = '';
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A free loopback port: bind to 0 and read it back through the service itself. */
function port(service: StatusService): number {
  const p = (
    service as unknown as { server?: { addresses(): Array<{ port: number }> } }
  ).server?.addresses()[0]?.port;
  assert.ok(p !== undefined && p > 0);
  return p;
}

test('reloads keep, reopen or close the sockets; history, caching and metrics', async () => {
  const { model } = loadModel(CONF, new MemoryHost({ [CONF]: TEXT }));
  const setup = vrrpSetupFromModel(model);
  const engine = new Engine(setup.engine);
  engine.handle(0, { type: 'start' });
  const service = new StatusService(
    {
      input: () => ({
        snapshot: engine.snapshot(),
        specs: new Map([...setup.instances].map(([n, i]) => [n, i.spec])),
        detail: (n) => engine.instanceDetail(n),
        now: 0,
        daemon: {
          implementation: 'keepalived-ts',
          version: 't',
          pid: 1,
          startedAt: new Date(0).toISOString(),
        },
      }),
      garpDelayS: () => 5,
    },
    new Logger({ console: false, syslog: false, facility: 'daemon', detail: false, ident: 't' }),
  );
  try {
    await service.configure(listenOn(0));
    const first = port(service);
    service.event({
      type: 'state-change',
      instance: 'V',
      from: 'INIT',
      to: 'BACKUP',
      reason: 'init',
      priority: 100,
    });
    const a = JSON.parse((await get(first, '/status')).body) as { instances: Array<{ state: string }> };
    assert.equal(a.instances[0]?.state, 'BACKUP');

    // the same block: the same sockets
    await service.configure(listenOn(0));
    assert.equal(port(service), first);

    // an event invalidates the shared answer: the next /status shows it at once
    engine.handle(5000, { type: 'timer' });
    service.event({
      type: 'state-change',
      instance: 'V',
      from: 'BACKUP',
      to: 'MASTER',
      reason: 'master-down timer',
      priority: 100,
    });
    const b = JSON.parse((await get(first, '/status')).body) as {
      instances: Array<{ state: string }>;
      transitions: Array<{ seq: number }>;
    };
    assert.equal(b.instances[0]?.state, 'MASTER');
    assert.deepEqual(
      b.transitions.map((t) => t.seq),
      [1, 2],
    );

    const m = (await get(first, '/metrics')).body;
    assert.match(m, /^keepalived_vrrp_state\{iname="V",intf="eth0",vrid="9",ip_address="10\.9\.9\.9"\} 2$/m);
    assert.match(m, /^keepalived_vrrp_transitions_total\{iname="V",from="BACKUP",to="MASTER"\} 1$/m);
    assert.match(m, /^# TYPE keepalived_advertisements_sent_total counter$/m);

    // a changed block (another port): the old socket is closed, the history carries on
    await service.configure({ ...listenOn(0), token: 't' });
    const second = port(service);
    await assert.rejects(get(first, '/status'));
    assert.equal((await get(second, '/status')).status, 401);
    assert.equal(service.history.lastSeq, 2);

    // no block: closed
    await service.configure(undefined);
    await assert.rejects(get(second, '/status'));
  } finally {
    await service.close();
  }
});

test('answers of thousands of instances are built in slices of the event loop, with the same text', async () => {
  const instances = 1200;
  let text = '';
  for (let i = 0; i < instances; i++)
    text += `vrrp_instance V${i} {\n  interface eth${Math.floor(i / 250)}\n  virtual_router_id ${(i % 250) + 1}\n  priority 100\n  virtual_ipaddress {\n    10.${i >> 8}.${i & 255}.1\n  }\n}\n`;
  const { model } = loadModel(CONF, new MemoryHost({ [CONF]: text }));
  const setup = vrrpSetupFromModel(model);
  const engine = new Engine(setup.engine);
  engine.handle(0, { type: 'start' });
  const service = new StatusService(
    {
      input: () => ({
        snapshot: engine.snapshot(),
        specs: new Map([...setup.instances].map(([n, i]) => [n, i.spec])),
        detail: (n) => engine.instanceDetail(n),
        now: 0,
        daemon: {
          implementation: 'keepalived-ts',
          version: 't',
          pid: 1,
          startedAt: new Date(0).toISOString(),
        },
      }),
      garpDelayS: () => 5,
    },
    new Logger({ console: false, syslog: false, facility: 'daemon', detail: false, ident: 't' }),
  );
  // turns of the event loop that ran while an answer was being built
  let turns = 0;
  let counting = true;
  const tick = (): void => {
    turns++;
    if (counting) setImmediate(tick);
  };
  setImmediate(tick);
  const sliced = (await service.renderStatus()).toString();
  const statusTurns = turns;
  const metrics = (await service.renderMetrics()).body;
  counting = false;
  const whole = service.document();
  const parsed = JSON.parse(sliced) as { generatedAt: string; instances: unknown[] };
  assert.equal(parsed.instances.length, instances);
  assert.equal(sliced, JSON.stringify({ ...whole, generatedAt: parsed.generatedAt }));
  assert.ok(statusTurns > 1, `the loop turned ${statusTurns} times while /status was built`);
  assert.ok(turns - statusTurns > 1, `the loop turned ${turns - statusTurns} times while /metrics was built`);
  assert.equal(metrics.match(/^keepalived_vrrp_state\{/gm)?.length, instances);
  await service.close();
});
