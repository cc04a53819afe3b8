// Figure for the config issue: parse a generated config of 10,000 vrrp_instances and 2,000 virtual
// servers (target: under 1 s and 300 MB peak), side by side with keepalived -t when it is installed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadModel } from '../src/config/index.js';
import { buildModel } from '../src/config/model/index.js';
import { readConfig } from '../src/config/read.js';
import { Diagnostics } from '../src/config/types.js';
import { FsConfigHost } from '../src/daemon/process/fs-config-host.js';

function generate(instances: number, servers: number): string {
  const out: string[] = ['global_defs {', '  router_id bench', '}'];
  for (let i = 0; i < instances; i++) {
    const vrid = (i % 255) + 1;
    const ifname = `veth${Math.floor(i / 255)}`;
    out.push(
      `vrrp_instance VI_${i} {`,
      '  state BACKUP',
      `  interface ${ifname}`,
      `  virtual_router_id ${vrid}`,
      `  priority ${(i % 200) + 10}`,
      '  advert_int 1',
      '  authentication {',
      '    auth_type PASS',
      '    auth_pass secret',
      '  }',
      '  virtual_ipaddress {',
      `    10.${(i >> 8) & 255}.${i & 255}.1/24 dev ${ifname}`,
      '  }',
      '}',
    );
  }
  for (let s = 0; s < servers; s++) {
    out.push(
      `virtual_server 192.168.${(s >> 8) & 255}.${s & 255} 80 {`,
      '  delay_loop 6',
      '  lb_algo rr',
      '  lb_kind NAT',
      '  protocol TCP',
      `  real_server 172.16.${(s >> 8) & 255}.${s & 255} 8080 {`,
      '    weight 1',
      '    TCP_CHECK {',
      '      connect_timeout 3',
      '    }',
      '  }',
      '}',
    );
  }
  return out.join('\n') + '\n';
}

const dir = mkdtempSync(join(tmpdir(), 'kts-bench-parse-'));
try {
  const file = join(dir, 'keepalived.conf');
  const text = generate(10_000, 2_000);
  writeFileSync(file, text);
  const lines = text.split('\n').length;
  const runs: number[] = [];
  let peak = process.memoryUsage().rss;
  let errors = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const { diagnostics } = loadModel(file, new FsConfigHost(), { configId: 'bench' });
    runs.push(performance.now() - t0);
    peak = Math.max(peak, process.memoryUsage().rss);
    errors = diagnostics.filter((d) => d.severity === 'error').length;
  }
  runs.sort((a, b) => a - b);
  console.log(`config: 10,000 vrrp_instances + 2,000 virtual_servers, ${lines} lines`);
  console.log(
    `keepalived-ts: median ${runs[2]?.toFixed(0)} ms, best ${runs[0]?.toFixed(0)} ms, peak RSS ${(peak / 2 ** 20).toFixed(0)} MB (errors reported: ${errors})`,
  );
  // Where the time goes: reading (preprocess streamed into parseBlocks, as loadModel does) and
  // building the model, timed apart (median of 3 more runs).
  const phases: Array<[number, number]> = [];
  for (let r = 0; r < 3; r++) {
    const diags = new Diagnostics();
    const t0 = performance.now();
    const nodes = readConfig(file, new FsConfigHost(), { configId: 'bench' }, diags);
    const t1 = performance.now();
    buildModel(nodes, { diags });
    phases.push([t1 - t0, performance.now() - t1]);
  }
  const median = (i: 0 | 1): string =>
    phases
      .map((p) => p[i])
      .sort((a, b) => a - b)[1]
      .toFixed(0);
  // maxRSS is the kernel's high-water mark for the whole process, sampled or not.
  const maxRss = process.resourceUsage().maxRSS / 1024;
  console.log(
    `  phases (median of 3): preprocess+parseBlocks ${median(0)} ms, buildModel ${median(1)} ms; process max RSS ${maxRss.toFixed(0)} MB`,
  );
  // keepalived -t on the same file: it also checks interfaces, which do not exist here, so its run
  // includes error reporting; the figure is what a user would see timing `keepalived -t`.
  const t0 = performance.now();
  const k = spawnSync('/usr/sbin/keepalived', ['-t', '-f', file], { stdio: 'ignore' });
  const ms = performance.now() - t0;
  if (k.error === undefined) console.log(`keepalived 2.2.7 -t on the same file: ${ms.toFixed(0)} ms wall`);
  else console.log('keepalived: not installed, no side-by-side figure');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
