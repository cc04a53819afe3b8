// Figure for the status listener: what one GET /status and one GET /metrics cost the VRRP child's
// JavaScript thread with N instances (all MASTER, each with a weighted track script and two VIPs) and M
// real servers in the checker report: the document built and serialised, the Prometheus text rendered.
// No sockets: the same StatusService the daemon runs, timed in-process, without its 250 ms answer cache. Usage: status-api [N] [M] [ROUNDS]
import { performance } from 'node:perf_hooks';
import { loadModel } from '../src/config/index.js';
import { Engine } from '../src/vrrp/engine/engine.js';
import { vrrpSetupFromModel } from '../src/vrrp/from-model.js';
import { StatusService } from '../src/daemon/vrrp/status-service.js';
import { Logger } from '../src/daemon/process/log.js';
import { buildCheckerReport } from '../src/api/checker-status.js';
import { MemoryHost } from '../tests/unit/config/memory-host.js';

const [n = 1000, m = 1000, rounds = 200] = process.argv.slice(2).map(Number);

function config(instances: number, servers: number): string {
  const out = [
    'global_defs {',
    '  router_id bench',
    '}',
    'vrrp_script chk {',
    '  script /bin/true',
    '  weight -10',
    '}',
  ];
  for (let i = 0; i < instances; i++)
    out.push(
      `vrrp_instance VI_${i} {`,
      `  interface veth${Math.floor(i / 255)}`,
      `  virtual_router_id ${(i % 255) + 1}`,
      `  priority ${(i % 200) + 10}`,
      '  track_script {',
      '    chk',
      '  }',
      '  virtual_ipaddress {',
      `    10.${(i >> 8) & 255}.${i & 255}.1/24`,
      `    10.${(i >> 8) & 255}.${i & 255}.2/24`,
      '  }',
      '}',
    );
  for (let s = 0; s < servers; s += 10) {
    out.push(`virtual_server 192.168.${(s >> 8) & 255}.${s & 255} 80 {`, '  delay_loop 6', '  protocol TCP');
    for (let r = 0; r < 10; r++)
      out.push(
        `  real_server 10.200.${(s >> 8) & 255}.${(s + r) & 255} 8080 {`,
        '    TCP_CHECK {',
        '    }',
        '  }',
      );
    out.push('}');
  }
  return out.join('\n') + '\n';
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const file = '/bench/keepalived.conf';
  const { model } = loadModel(file, new MemoryHost({ [file]: config(n, m) }));
  const setup = vrrpSetupFromModel(model);
  const engine = new Engine(setup.engine);
  engine.handle(0, { type: 'start' });
  engine.handle(10, { type: 'script-result', name: 'chk', ok: true });
  engine.handle(10_000, { type: 'timer' });
  const specs = new Map([...setup.instances].map(([name, i]) => [name, i.spec]));
  const log = new Logger({
    console: false,
    syslog: false,
    facility: 'daemon',
    detail: false,
    ident: 'bench',
  });
  const service = new StatusService(
    {
      input: () => ({
        snapshot: engine.snapshot(),
        specs,
        detail: (name) => engine.instanceDetail(name),
        now: 10_000,
        daemon: {
          implementation: 'keepalived-ts',
          version: 'bench',
          pid: 1,
          startedAt: new Date().toISOString(),
        },
      }),
      garpDelayS: () => 5,
    },
    log,
  );
  const report = buildCheckerReport(
    model.virtualServers,
    {
      server: () => ({ up: true, weight: 1 }),
      checkers: (id) => [
        {
          id: `${id} #1 TCP_CHECK`,
          kind: 'TCP_CHECK',
          up: true,
          last: { ok: true, detail: 'connected', durationMs: 0.2, at: new Date().toISOString() },
        },
      ],
    },
    new Date().toISOString(),
  );
  service.checkerMessage({ type: 'checker-report', report });
  for (let i = 0; i < 100; i++)
    service.event({
      type: 'state-change',
      instance: `VI_${i % n}`,
      from: 'BACKUP',
      to: 'MASTER',
      reason: 'bench',
      priority: 100,
    });

  const time = async (what: string, f: () => Promise<number> | number): Promise<void> => {
    const ms: number[] = [];
    let bytes = 0;
    for (let i = 0; i < rounds; i++) {
      const t = performance.now();
      bytes = await f();
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    process.stdout.write(
      `${what}: p50 ${quantile(ms, 0.5).toFixed(2)} ms, p99 ${quantile(ms, 0.99).toFixed(2)} ms, ` +
        `${(bytes / 1024).toFixed(0)} KiB (${(1000 / quantile(ms, 0.5)).toFixed(0)} per second, one at a time)\n`,
    );
  };
  process.stdout.write(
    `${n} instances, ${report.virtualServers.reduce((k, v) => k + v.realServers.length, 0)} real servers, ${rounds} rounds\n`,
  );
  await time('GET /status  (build + JSON)', () => JSON.stringify(service.document()).length);
  await time(
    'GET /metrics (samples + prom-client text)',
    async () => (await service.renderMetrics()).body.length,
  );
  // the longest the event loop was held during a scrape: a 1 ms timer's worst lateness
  let worst = 0;
  let last = performance.now();
  const probe = setInterval(() => {
    const t = performance.now();
    worst = Math.max(worst, t - last - 1);
    last = t;
  }, 1);
  for (let i = 0; i < 10; i++) await service.renderMetrics();
  clearInterval(probe);
  process.stdout.write(`longest event-loop hold during /metrics: ${worst.toFixed(1)} ms\n`);
  await service.close();
  process.exit(0);
}

void main();
