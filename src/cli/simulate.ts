// `keepalived-ts simulate`: run real configs as a simulated cluster and print what would happen.
import { splitLongOption } from './long-option.js';
import { basename, resolve } from 'node:path';
import { loadModel } from '../config/index.js';
import { formatDiagnostic } from '../config/types.js';
import { Cluster, type RouterConfig } from '../sim/cluster.js';
import { InvariantChecker } from '../sim/invariants.js';
import { parseScenarioEvent, type TimedEvent } from '../sim/scenario.js';
import { vrrpSetupFromModel, type VrrpSetup } from '../vrrp/from-model.js';
import { resolveHmacConfig } from '../vrrp/wire/hmac-keys.js';
import { readKeyFileBytes } from '../system/key-file.js';
import { FsConfigHost } from '../daemon/process/fs-config-host.js';

const USAGE = `usage: keepalived-ts simulate -f a.conf -f b.conf [...] [--duration SECONDS] [--seed N]
       [--loss P] [--delay MS] [--jitter MS] [--event 'T ACTION NODE [ARG]']... [--json]
  each config is one router named by its file's base name; interfaces of the same name share a LAN
  events: down, up, crash, start, stop NODE; fail/recover NODE TRACKER; partition a,b c; heal; loss P
`;

interface SimulateArgs {
  files: string[];
  durationS: number;
  seed: number;
  loss: number;
  delayMs: number;
  jitterMs: number;
  events: TimedEvent[];
  json: boolean;
}

function parseArgs(args: string[]): SimulateArgs | string {
  const out: SimulateArgs = {
    files: [],
    durationS: 60,
    seed: 1,
    loss: 0,
    delayMs: 0.2,
    jitterMs: 0.1,
    events: [],
    json: false,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const [name, attached] = splitLongOption(a);
    const value = (): string | undefined => attached ?? args[++i];
    const number = (what: string): number | string => {
      const v = value();
      const n = Number(v);
      return v === undefined || v === '' || !Number.isFinite(n) || n < 0
        ? `${what} needs a non-negative number`
        : n;
    };
    let n: number | string;
    switch (name) {
      case '-f':
      case '--use-file': {
        const v = value();
        if (v === undefined) return `${name} needs a file`;
        out.files.push(v);
        break;
      }
      case '--duration':
        if (typeof (n = number(name)) === 'string') return n;
        out.durationS = n;
        break;
      case '--seed':
        if (typeof (n = number(name)) === 'string') return n;
        out.seed = Math.floor(n);
        break;
      case '--loss':
        if (typeof (n = number(name)) === 'string') return n;
        if (n > 1) return '--loss is a probability between 0 and 1';
        out.loss = n;
        break;
      case '--delay':
        if (typeof (n = number(name)) === 'string') return n;
        out.delayMs = n;
        break;
      case '--jitter':
        if (typeof (n = number(name)) === 'string') return n;
        out.jitterMs = n;
        break;
      case '--event': {
        const v = value();
        if (v === undefined) return '--event needs a value';
        const e = parseScenarioEvent(v);
        if (typeof e === 'string') return e;
        out.events.push(e);
        break;
      }
      case '--json':
        out.json = true;
        break;
      case '-h':
      case '--help':
        return '';
      default:
        return `unknown argument '${a}'`;
    }
  }
  if (out.files.length === 0) return 'at least one -f config is needed';
  return out;
}

/** How each instance frames its adverts, auth_hmac keys read: the simulated routers judge adverts as the
 * daemon does. */
function wireOf(setup: VrrpSetup): RouterConfig['wire'] {
  return new Map(
    [...setup.instances].map(([name, inst]) => {
      const hmac =
        inst.authHmac === undefined
          ? undefined
          : resolveHmacConfig(inst.authHmac, inst.spec.advertIntervalCs, readKeyFileBytes).config;
      return [name, { settings: inst.wire, ...(hmac ? { hmac } : {}) }];
    }),
  );
}

export async function runSimulate(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    if (args !== '') process.stderr.write(`keepalived-ts simulate: ${args}\n`);
    process.stderr.write(USAGE);
    return args === '' ? 0 : 2;
  }
  const routers: RouterConfig[] = [];
  let errors = 0;
  for (const file of args.files) {
    const name = basename(file).replace(/\.conf$/, '');
    const { model, diagnostics } = loadModel(resolve(file), new FsConfigHost(), { configId: name });
    for (const d of diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
    errors += diagnostics.filter((d) => d.severity === 'error').length;
    const setup = vrrpSetupFromModel(model);
    routers.push({ name, spec: setup.engine, wire: wireOf(setup) });
  }
  if (errors > 0) {
    process.stderr.write(`keepalived-ts simulate: ${errors} configuration error(s), not simulating\n`);
    return 5;
  }
  const names = new Set(routers.map((r) => r.name));
  for (const e of args.events) {
    const node = 'node' in e.event ? e.event.node : undefined;
    if (node !== undefined && !names.has(node)) {
      process.stderr.write(
        `keepalived-ts simulate: event names unknown router '${node}' (have ${[...names].join(', ')})\n`,
      );
      return 2;
    }
  }
  const cluster = new Cluster(routers, {
    seed: args.seed,
    network: { loss: args.loss, delayMs: args.delayMs, jitterMs: args.jitterMs },
  });
  for (const e of args.events) cluster.schedule(e.t, e.event);
  cluster.startAll();
  const violations: string[] = [];
  const invariants = new InvariantChecker(cluster);
  cluster.run(args.durationS * 1000, () => {
    if (violations.length < 100) violations.push(...invariants.check());
  });

  const final: Record<string, Record<string, string>> = {};
  for (const r of cluster.routers) {
    final[r.name] = Object.fromEntries(
      r.config.spec.instances.map((i) => [i.name, r.states.get(i.name) ?? 'INIT']),
    );
  }
  if (args.json) {
    const seconds = (t: number): number => Math.round(t) / 1000;
    const out = {
      seed: args.seed,
      duration: args.durationS,
      routers: routers.map((r) => r.name),
      transitions: cluster.transitions.map((t) => ({ ...t, t: seconds(t.t) })),
      vipMoves: cluster.vipMoves.map((m) => ({ ...m, t: seconds(m.t) })),
      final,
      violations,
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } else {
    printTimeline(cluster, args, violations, final);
  }
  return violations.length > 0 ? 1 : 0;
}

function printTimeline(
  cluster: Cluster,
  args: SimulateArgs,
  violations: string[],
  final: Record<string, Record<string, string>>,
): void {
  const lines: { t: number; text: string }[] = [];
  for (const e of args.events) lines.push({ t: e.t, text: `-- ${describe(e)}` });
  for (const t of cluster.transitions)
    lines.push({ t: t.t, text: `${t.node} ${t.instance}: ${t.from} -> ${t.to}` });
  for (const m of cluster.vipMoves) {
    lines.push({
      t: m.t,
      text: `${m.node} ${m.instance}: ${m.op === 'add' ? 'adds' : 'removes'} ${m.address}`,
    });
  }
  lines.sort((a, b) => a.t - b.t);
  process.stdout.write(
    `simulated ${args.durationS} s, ${cluster.routers.length} routers, seed ${args.seed}\n`,
  );
  for (const l of lines) process.stdout.write(`${(l.t / 1000).toFixed(3).padStart(9)}s  ${l.text}\n`);
  process.stdout.write('final states:\n');
  for (const [node, states] of Object.entries(final)) {
    process.stdout.write(
      `  ${node}: ${Object.entries(states)
        .map(([i, s]) => `${i} ${s}`)
        .join(', ')}\n`,
    );
  }
  process.stdout.write(
    violations.length === 0
      ? 'invariants: all held\n'
      : `invariant violations:\n  ${violations.join('\n  ')}\n`,
  );
}

function describe(e: TimedEvent): string {
  const ev = e.event;
  switch (ev.type) {
    case 'tracker':
      return `${ev.node}: tracker ${ev.name} ${ev.ok ? 'recovers' : 'fails'}`;
    case 'partition':
      return `partition ${ev.groups.map((g) => g.join(',')).join(' | ')}`;
    case 'heal':
      return 'partition healed';
    case 'network':
      return `network ${Object.entries(ev.conditions)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ')}`;
    default:
      return `${ev.node}: ${ev.type}`;
  }
}
