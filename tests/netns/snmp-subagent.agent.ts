// Our SNMP subagent on a fixed state, for tests/netns/snmp.test.ts: runs inside the test's namespace
// (`ip netns exec NS node snmp-subagent.agent.js`), builds the snapshot the daemon would build from our
// config model, this namespace's interfaces and a state given as keepalived's own dump files (so that both
// agents describe one state), connects to snmpd and serves it. One JSON command per stdin line, one JSON
// answer per line:
//   { op: 'start', config, socket, json, data, files: { name: value } } -> { ok, connected }
//   { op: 'state', instances: { NAME: STATE }, groups: { NAME: STATE } } -> { ok }   (update, no traps)
//   { op: 'trap', kind: 'instance' | 'group', name } -> { ok }
//   { op: 'close' } -> { ok }, then exits
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadModel } from '../../src/config/index.js';
import { FsConfigHost } from '../../src/daemon/process/fs-config-host.js';
import { VERSION_STRING } from '../../src/common/version.js';
import { snapshotFromModel, type HostFacts } from '../../src/snmp/from-model.js';
import { resolveCommandPath } from '../../src/system/script-path.js';
import { servedMibs, snmpSwitches } from '../../src/snmp/mib/serve.js';
import type { InterfaceInfo, ScriptResult } from '../../src/snmp/snapshot.js';
import { SnmpSubagent } from '../../src/snmp/subagent.js';
import type { EngineSnapshot, VrrpState } from '../../src/vrrp/engine/engine.js';
import { newStats, type VrrpStats } from '../../src/vrrp/engine/stats.js';
import { refuseOutsideSuiteNamespace } from '../helpers/namespace-guard.js';

refuseOutsideSuiteNamespace('snmp-subagent.agent.js');
const say = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
const giveUp = setTimeout(() => process.exit(3), 300_000);

/** This namespace's interfaces as keepalived sees them: index, MAC, first IPv4, IPv6 link-local. */
function hostInterfaces(): Map<string, InterfaceInfo> {
  const links = JSON.parse(execFileSync('ip', ['-j', 'addr', 'show'], { encoding: 'utf8' })) as Array<{
    ifname: string;
    ifindex: number;
    address?: string;
    addr_info: Array<{ family: string; local: string; scope: string }>;
  }>;
  return new Map(
    links.map((l) => {
      const info: InterfaceInfo = {
        name: l.ifname,
        index: l.ifindex,
        mac: Uint8Array.from(Buffer.from((l.address ?? '').replace(/:/g, ''), 'hex')),
      };
      const v4 = l.addr_info.find((a) => a.family === 'inet');
      const v6 = l.addr_info.find((a) => a.family === 'inet6' && a.scope === 'link');
      if (v4) info.ipv4 = v4.local;
      if (v6) info.ipv6 = v6.local;
      return [l.ifname, info];
    }),
  );
}

const STATE_BY_NUMBER: Record<number, VrrpState> = {
  0: 'INIT',
  1: 'BACKUP',
  2: 'MASTER',
  3: 'FAULT',
  98: 'STOP',
};

/** keepalived.json (instances, their states, priorities and counters) and keepalived.data (sync group
 * states, script results) as the engine snapshot and tracker states our daemon would have. */
function stateFromKeepalivedDumps(jsonPath: string, dataPath: string) {
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as Array<{
    data: {
      iname: string;
      state: number;
      wantstate: number;
      base_priority: number;
      effective_priority: number;
      master_adver_int: number;
    };
    stats: Partial<VrrpStats>;
  }>;
  const data = readFileSync(dataPath, 'utf8');
  const engine: EngineSnapshot = {
    instances: json.map(({ data: d, stats }) => ({
      name: d.iname,
      state: STATE_BY_NUMBER[d.state] ?? 'INIT',
      wantState: STATE_BY_NUMBER[d.wantstate] ?? 'INIT',
      basePriority: d.base_priority,
      effectivePriority: d.effective_priority,
      masterAdvertIntervalCs: Math.round(d.master_adver_int * 100),
      faults: [],
      counters: { ...newStats(), ...stats },
    })),
    groups: [...data.matchAll(/^ VRRP Sync Group = (\S+), (\w+)$/gm)].map((m) => ({
      name: m[1] as string,
      state: (m[2] as VrrpState) ?? 'INIT',
      members: [],
    })),
  };
  const scripts = new Map<string, ScriptResult>();
  for (const block of data.split(/^ VRRP Script = /m).slice(1)) {
    const name = block.split('\n')[0]?.trim() ?? '';
    const status = /^ {3}Status = (\w+)/m.exec(block)?.[1];
    scripts.set(name, status === 'GOOD' ? 'good' : status === 'BAD' ? 'bad' : 'init');
  }
  return { engine, scripts };
}

let agent: SnmpSubagent | undefined;
let rebuild: ((engine: EngineSnapshot) => void) | undefined;
let engine: EngineSnapshot = { instances: [], groups: [] };

type Command =
  | { op: 'start'; config: string; socket: string; json: string; data: string; files: Record<string, number> }
  | { op: 'state'; instances?: Record<string, VrrpState>; groups?: Record<string, VrrpState> }
  | { op: 'trap'; kind: 'instance' | 'group'; name: string }
  | { op: 'close' };

async function run(cmd: Command): Promise<unknown> {
  switch (cmd.op) {
    case 'start': {
      const { model, diagnostics } = loadModel(cmd.config, new FsConfigHost());
      const errors = diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0) throw new Error(`config: ${errors.map((e) => e.message).join('; ')}`);
      const state = stateFromKeepalivedDumps(cmd.json, cmd.data);
      engine = state.engine;
      const host: HostFacts = { interfaces: hostInterfaces() };
      const startedAtMs = Date.now();
      const g = model.global;
      agent = new SnmpSubagent({
        mibs: servedMibs(snmpSwitches(g), 'vrrp', false),
        log: (level, message) => process.stderr.write(`${level}: ${message}\n`),
      });
      rebuild = (e) =>
        agent?.update(
          snapshotFromModel({
            model,
            version: VERSION_STRING,
            host,
            engine: e,
            trackers: { scripts: state.scripts, files: new Map(Object.entries(cmd.files)) },
            resolveCommand: (w) => resolveCommandPath(w),
            startedAtMs,
            nowMs: Date.now(),
          }),
        );
      rebuild(engine);
      return { connected: await agent.start(cmd.socket) };
    }
    case 'state': {
      const set = <T extends { name: string; state: VrrpState }>(
        list: T[],
        states: Record<string, VrrpState> = {},
      ): T[] => list.map((x) => (states[x.name] ? { ...x, state: states[x.name] as VrrpState } : x));
      engine = {
        instances: set(engine.instances, cmd.instances).map((i) =>
          cmd.instances?.[i.name] ? { ...i, wantState: i.state } : i,
        ),
        groups: set(engine.groups, cmd.groups),
      };
      rebuild?.(engine);
      return {};
    }
    case 'trap':
      if (cmd.kind === 'instance') await agent?.instanceStateChanged(cmd.name);
      else await agent?.syncGroupStateChanged(cmd.name);
      return {};
    case 'close':
      await agent?.close();
      return {};
  }
}

let queue: Promise<void> = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line) as Command;
  queue = queue.then(async () => {
    try {
      say({ ok: true, ...((await run(cmd)) as object) });
    } catch (e) {
      say({ ok: false, message: (e as Error).message });
    }
    if (cmd.op === 'close') {
      clearTimeout(giveUp);
      process.exit(0);
    }
  });
});
process.stdin.on('end', () => void queue.then(() => process.exit(0)));
