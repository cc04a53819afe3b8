// The named objects VRRP instances and sync groups track: vrrp_script, track_file, vrrp_track_process.
import { blockEnd } from '../../blocks.js';
import type { ConfigNode, SourceLocation } from '../../types.js';
import { printSimple, type SimpleKeyword, simpleHandlers } from '../shared/table.js';
import {
  type BuildContext,
  blockChildren,
  choice,
  decimal,
  int,
  missingArgument,
  walk,
} from '../shared/values.js';

export interface VrrpScript {
  name: string;
  location: SourceLocation;
  /** Command line to run (the rest of the `script` line). */
  script?: string;
  /** Seconds between runs. */
  interval: number;
  /** Seconds before a run counts as failed; undefined means `interval`. */
  timeout?: number;
  weight: number;
  weightReverse: boolean;
  rise: number;
  fall: number;
  /** `user USER [[:]GROUP]` as written. */
  user?: string;
  initFail: boolean;
}

export interface TrackFile {
  name: string;
  location: SourceLocation;
  file?: string;
  weight: number;
  weightReverse: boolean;
  /** init_file [VALUE] [overwrite]: create/initialise the file at startup. */
  initFile?: { value: number; overwrite: boolean };
}

export interface TrackProcess {
  name: string;
  location: SourceLocation;
  /** Process name and optional parameters. */
  process: string[];
  paramMatch?: 'initial' | 'partial';
  weight: number;
  weightReverse: boolean;
  quorum: number;
  /** undefined: unlimited. */
  quorumMax?: number;
  forkDelay: number;
  terminateDelay: number;
  fullCommand: boolean;
}

const MAX_INT = 2147483647;

export const defaultVrrpScript = (name: string, location: SourceLocation): VrrpScript => ({
  name,
  location,
  interval: 1,
  weight: 0,
  weightReverse: false,
  rise: 1,
  fall: 1,
  initFail: false,
});

const SCRIPT_TABLE: readonly SimpleKeyword<VrrpScript>[] = [
  { keyword: 'script', field: 'script', spec: { kind: 'rest' } },
  // keepalived keeps timers in microseconds in 32 bits: at most UINT_MAX / TIMER_HZ = 4294 s
  { keyword: 'interval', field: 'interval', spec: { kind: 'decimal', min: 0.001, max: 4294 } },
  { keyword: 'timeout', field: 'timeout', spec: { kind: 'decimal', min: 0.001, max: 4294 } },
  { keyword: 'rise', field: 'rise', spec: { kind: 'int', min: 1, max: MAX_INT } },
  { keyword: 'fall', field: 'fall', spec: { kind: 'int', min: 1, max: MAX_INT } },
  { keyword: 'user', field: 'user', spec: { kind: 'rest' } },
  { keyword: 'init_fail', field: 'initFail', spec: { kind: 'flag' } },
];

/** `weight N [reverse|noreverse]`, N in [-limit, limit]. */
function readWeight(
  node: ConfigNode,
  ctx: BuildContext,
  limit: number,
  target: { weight: number; weightReverse: boolean },
): void {
  const w = int(node, ctx, -limit, limit);
  if (w === undefined) return;
  const opt = node.args[1];
  if (opt !== undefined && opt !== 'reverse' && opt !== 'noreverse') {
    ctx.diags.error(node, node.keyword, `unknown option '${opt}' (reverse, noreverse)`);
    return;
  }
  target.weight = w;
  target.weightReverse = opt === 'reverse';
}

function printWeight(t: { weight: number; weightReverse: boolean }): string[] {
  if (t.weight === 0 && !t.weightReverse) return [];
  return [`weight ${t.weight}${t.weightReverse ? ' reverse' : ''}`];
}

function nameOf(node: ConfigNode, ctx: BuildContext): string | undefined {
  const name = node.args[0];
  if (name === undefined) missingArgument(node, ctx, 'missing name');
  return name;
}

export function buildVrrpScript(node: ConfigNode, ctx: BuildContext): VrrpScript | undefined {
  const name = nameOf(node, ctx);
  if (name === undefined) return undefined;
  const s = defaultVrrpScript(name, { file: node.file, line: node.line });
  walk(
    blockChildren(node, ctx),
    ctx,
    { ...simpleHandlers(s, SCRIPT_TABLE, ctx), weight: (n) => readWeight(n, ctx, 253, s) },
    'vrrp_script',
  );
  if (s.script === undefined) {
    // keepalived checks the block as it closes, and drops the script: trackers naming it are told so.
    ctx.diags.error(blockEnd(node), node.keyword, `${name}: no script specified - removing`);
    return undefined;
  }
  return s;
}

export function printVrrpScript(s: VrrpScript): string[] {
  const body = [...printSimple(s, SCRIPT_TABLE, defaultVrrpScript(s.name, s.location)), ...printWeight(s)];
  return [`vrrp_script ${s.name} {`, ...body.map((l) => `  ${l}`), '}'];
}

export function buildTrackFile(node: ConfigNode, ctx: BuildContext): TrackFile | undefined {
  const name = nameOf(node, ctx);
  if (name === undefined) return undefined;
  const t: TrackFile = {
    name,
    location: { file: node.file, line: node.line },
    weight: 1,
    weightReverse: false,
  };
  walk(
    blockChildren(node, ctx),
    ctx,
    {
      file: (n) => {
        const f = n.args[0];
        if (f === undefined) ctx.diags.error(n, n.keyword, 'missing argument');
        else if (t.file !== undefined)
          ctx.diags.error(n, n.keyword, `File already set for track file ${name} - ignoring ${f}`);
        else t.file = f;
      },
      weight: (n) => {
        // keepalived keeps the first weight other than its default 1
        if (t.weight !== 1 && n.args[0] !== undefined)
          ctx.diags.error(n, n.keyword, `Weight already set for track file ${name} - ignoring ${n.args[0]}`);
        else readWeight(n, ctx, MAX_INT, t);
      },
      init_file: (n) => {
        let value = 0;
        let overwrite = false;
        for (let i = 0; i < n.args.length; i++) {
          const w = n.args[i] ?? '';
          if (w === 'overwrite') overwrite = true;
          else if (i === 0) {
            const v = int(n, ctx, -MAX_INT, MAX_INT, 0);
            if (v === undefined) return;
            value = v;
          } else {
            ctx.diags.error(n, n.keyword, `unknown option '${w}'`);
            return;
          }
        }
        t.initFile = { value, overwrite };
      },
    },
    'track_file',
  );
  if (t.file === undefined) ctx.diags.error(node, node.keyword, `${name}: no file specified`);
  return t;
}

export function printTrackFile(t: TrackFile): string[] {
  const body: string[] = [];
  if (t.file !== undefined) body.push(`file "${t.file}"`);
  if (t.weight !== 1 || t.weightReverse) body.push(`weight ${t.weight}${t.weightReverse ? ' reverse' : ''}`);
  if (t.initFile) body.push(`init_file ${t.initFile.value}${t.initFile.overwrite ? ' overwrite' : ''}`);
  return [`track_file ${t.name} {`, ...body.map((l) => `  ${l}`), '}'];
}

export const defaultTrackProcess = (name: string, location: SourceLocation): TrackProcess => ({
  name,
  location,
  process: [],
  weight: 0,
  weightReverse: false,
  quorum: 1,
  forkDelay: 0,
  terminateDelay: 0,
  fullCommand: false,
});

export function buildTrackProcess(node: ConfigNode, ctx: BuildContext): TrackProcess | undefined {
  const name = nameOf(node, ctx);
  if (name === undefined) return undefined;
  const p = defaultTrackProcess(name, { file: node.file, line: node.line });
  // keepalived 2.2.7 reads these numbers without checking they are there: a missing one stops its parser
  const stops: BuildContext = { ...ctx, missingArgumentStops: true };
  walk(
    blockChildren(node, ctx),
    ctx,
    {
      process: (n) => {
        if (n.args.length === 0) ctx.diags.error(n, n.keyword, 'missing argument');
        else p.process = [...n.args];
      },
      param_match: (n) => {
        const v = choice(n, ctx, ['initial', 'partial'] as const);
        if (v) p.paramMatch = v;
      },
      weight: (n) => readWeight(n, ctx, 254, p),
      quorum: (n) => {
        const v = int(n, stops, 1, 65535);
        if (v !== undefined) p.quorum = v;
      },
      quorum_max: (n) => {
        const v = int(n, stops, 0, 65535);
        if (v !== undefined) p.quorumMax = v;
      },
      fork_delay: (n) => {
        const v = decimal(n, stops, 0, 65535);
        if (v !== undefined) p.forkDelay = v;
      },
      terminate_delay: (n) => {
        const v = decimal(n, stops, 0, 65535);
        if (v !== undefined) p.terminateDelay = v;
      },
      delay: (n) => {
        const v = decimal(n, stops, 0, 65535);
        if (v !== undefined) p.forkDelay = p.terminateDelay = v;
      },
      full_command: (n) => {
        p.fullCommand = n.args[0] === undefined ? true : n.args[0] !== 'false';
      },
    },
    'vrrp_track_process',
  );
  if (p.process.length === 0) ctx.diags.error(node, node.keyword, `${name}: no process specified`);
  const [processName = ''] = p.process;
  // keepalived compares a name with the process's comm, which the kernel cuts to 15 characters and which
  // never holds a path: such a name matches only with full_command (or parameters, which imply it).
  if (!p.fullCommand && p.process.length === 1 && (processName.includes('/') || processName.length > 15))
    ctx.diags.note(
      node,
      node.keyword,
      `${name}: '${processName}' is compared with the process name (comm, 15 characters, no path) and ` +
        'can never match; add full_command to compare the command (argv[0]) instead',
    );
  if (p.quorumMax !== undefined && p.quorumMax < p.quorum)
    ctx.diags.error(node, node.keyword, `${name}: quorum_max ${p.quorumMax} is below quorum ${p.quorum}`);
  return p;
}

export function printTrackProcess(p: TrackProcess): string[] {
  const body: string[] = [];
  if (p.process.length > 0)
    body.push(`process ${p.process.map((w) => (/\s/.test(w) ? `"${w}"` : w)).join(' ')}`);
  if (p.paramMatch) body.push(`param_match ${p.paramMatch}`);
  body.push(...printWeight(p));
  if (p.quorum !== 1) body.push(`quorum ${p.quorum}`);
  if (p.quorumMax !== undefined) body.push(`quorum_max ${p.quorumMax}`);
  if (p.forkDelay !== 0) body.push(`fork_delay ${p.forkDelay}`);
  if (p.terminateDelay !== 0) body.push(`terminate_delay ${p.terminateDelay}`);
  if (p.fullCommand) body.push('full_command');
  return [`vrrp_track_process ${p.name} {`, ...body.map((l) => `  ${l}`), '}'];
}
