// /metrics of a daemon checking 10,000 real servers (finding 2 of docs/reliability.md): the rendering
// must let the event loop turn every few hundred series, not hold it for a whole family of 10,000, and
// write what prom-client writes. Prints the longest turn of the loop while a scrape is rendered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { Counter, Gauge, Registry } from 'prom-client';
import { loadModel } from '../../../../src/config/index.js';
import { vrrpSetupFromModel } from '../../../../src/vrrp/from-model.js';
import { Engine } from '../../../../src/vrrp/engine/engine.js';
import { StatusService } from '../../../../src/daemon/vrrp/status-service.js';
import { Logger } from '../../../../src/daemon/process/log.js';
import type { CheckerReport } from '../../../../src/api/checker-status.js';
import { type ExpositionFamily, expositionPieces, SERIES_PER_TURN } from '../../../../src/api/metrics.js';
import { MemoryHost } from '../../config/memory-host.js';

const REAL_SERVERS = 10_000;
const INSTANCES = 100;

function service(): StatusService {
  const CONF = '/k.conf';
  let text = '';
  for (let i = 0; i < INSTANCES; i++)
    text += `vrrp_instance V${i} {\n  interface eth0\n  virtual_router_id ${i + 1}\n  priority 100\n  virtual_ipaddress {\n    10.0.${i}.1\n  }\n}\n`;
  const { model } = loadModel(CONF, new MemoryHost({ [CONF]: text }));
  const setup = vrrpSetupFromModel(model);
  const engine = new Engine(setup.engine);
  engine.handle(0, { type: 'start' });
  const s = new StatusService(
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
  const at = new Date(0).toISOString();
  const report: CheckerReport = {
    at,
    truncated: 0,
    virtualServers: Array.from({ length: REAL_SERVERS / 100 }, (_, v) => ({
      name: `10.1.${v >> 8}.${v & 255}:80`,
      realServers: Array.from({ length: 100 }, (_, r) => ({
        address: `10.2.${v}.${r}`,
        port: 8080,
        up: r % 7 !== 0,
        weight: 1,
        checkers: [
          {
            id: 'TCP_CHECK#1',
            kind: 'TCP_CHECK',
            up: r % 7 !== 0,
            last: { ok: true, detail: 'ok', durationMs: 1.5, at },
          },
        ],
      })),
    })),
  };
  s.checkerMessage({ type: 'checker-report', report });
  // each real server's first verdict (what a checker child's start-up sends)
  for (const vs of report.virtualServers)
    for (const rs of vs.realServers)
      s.checkerMessage({
        type: 'checker-event',
        event: {
          virtualServer: vs.name,
          realServer: `${rs.address}:${rs.port}`,
          up: rs.up,
          weight: 1,
          reason: 'r',
        },
      });
  return s;
}

/** Renders once while a setImmediate chain measures the loop's turns: how many, the longest on the clock
 * and in CPU time (the process's, GC threads included: on a loaded host the clock counts the time other
 * processes ran too), and the longest garbage collection. */
async function measured(
  s: StatusService,
): Promise<{ body: string; turns: number; longestMs: number; longestCpuMs: number; longestGcMs: number }> {
  let turns = 0;
  let longestMs = 0;
  let longestCpuMs = 0;
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let counting = true;
  const gcs: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push(e.duration);
  });
  obs.observe({ entryTypes: ['gc'] });
  const tick = (): void => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    longestMs = Math.max(longestMs, now - last);
    longestCpuMs = Math.max(longestCpuMs, (cpu.user + cpu.system) / 1000);
    last = now;
    lastCpu = process.cpuUsage();
    turns++;
    if (counting) setImmediate(tick);
  };
  setImmediate(tick);
  const { body } = await s.renderMetricsBytes();
  counting = false;
  obs.disconnect();
  return { body: body.toString(), turns, longestMs, longestCpuMs, longestGcMs: Math.max(0, ...gcs) };
}

test('a scrape of 10,000 real servers turns the loop every few hundred series', async () => {
  const s = service();
  await measured(s); // warm up (JIT)
  const runs = [await measured(s), await measured(s), await measured(s)];
  const body = runs[0]?.body ?? '';
  const series = body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  const longest = runs.map((r) => r.longestMs.toFixed(1)).join(' / ');
  const longestCpu = runs.map((r) => r.longestCpuMs.toFixed(1)).join(' / ');
  const longestGc = runs.map((r) => r.longestGcMs.toFixed(1)).join(' / ');
  console.log(
    `/metrics, ${REAL_SERVERS} real servers, ${INSTANCES} instances: ${series} series, ${body.length} bytes; ` +
      `loop turns ${runs.map((r) => r.turns).join(' / ')}, longest turn ${longest} ms (CPU ${longestCpu} ms), longest GC ${longestGc} ms`,
  );
  assert.equal(body.match(/^keepalived_checker_real_server_up\{/gm)?.length, REAL_SERVERS);
  assert.equal(body.match(/^keepalived_checker_verdicts_total\{/gm)?.length, REAL_SERVERS);
  // At most SERIES_PER_TURN series between two turns of the loop (plus the document's own slices).
  for (const r of runs)
    assert.ok(r.turns >= series / SERIES_PER_TURN, `${r.turns} turns for ${series} series`);
  await s.close();
});

test('the pieces make the text prom-client writes', async () => {
  const registry = new Registry();
  const gauge = new Gauge({
    name: 'g',
    help: 'a \\ help\nline',
    labelNames: ['a', 'b'],
    registers: [registry],
  });
  const counter = new Counter({ name: 'c_total', help: 'counts', labelNames: ['x'], registers: [registry] });
  new Gauge({ name: 'empty', help: 'nothing', labelNames: ['x'], registers: [registry] });
  const plain = new Gauge({ name: 'plain', help: 'no labels', registers: [registry] });
  const samples = Array.from({ length: 700 }, (_, i) => ({
    labels: { a: `v"${i % 600}\\\n`, b: String(i) },
    value: i === 3 ? Infinity : i / 3,
  }));
  // a repeated label set: a gauge keeps the last value, a counter sums
  samples.push({ labels: { a: 'v"0\\\n', b: '0' }, value: 42 });
  for (const x of samples) gauge.set(x.labels, x.value);
  for (let i = 0; i < 10; i++) counter.inc({ x: String(i % 4) }, i);
  plain.set(7);
  const expected = await registry.metrics();

  const metrics = registry.getMetricsAsArray() as unknown as { get(): Promise<ExpositionFamily> }[];
  const families = await Promise.all(metrics.map((m) => m.get()));
  const pieces = [...expositionPieces(families, 100)];
  assert.ok(pieces.length >= 8, `${pieces.length} pieces`);
  assert.equal(pieces.join(''), expected);
  // our own samples (not through prom-client) render the same
  const ours = [
    ...expositionPieces(
      [
        { name: 'g', help: 'a \\ help\nline', type: 'gauge', values: samples },
        {
          name: 'c_total',
          help: 'counts',
          type: 'counter',
          values: Array.from({ length: 10 }, (_, i) => ({ labels: { x: String(i % 4) }, value: i })),
        },
        { name: 'empty', help: 'nothing', type: 'gauge', values: [] },
        { name: 'plain', help: 'no labels', type: 'gauge', values: [{ labels: {}, value: 7 }] },
      ],
      100,
    ),
  ];
  assert.equal(ours.join(''), expected);
});
