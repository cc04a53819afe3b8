// What a vrrp_instance or vrrp_sync_group tracks (interfaces, scripts, files, processes, BFD sessions)
// and the notify scripts both can run. Shared by instance.ts and sync-group.ts.
import type { ConfigNode, SourceLocation } from '../../types.js';
import { type BuildContext, blockChildren } from '../shared/values.js';
import { formatScriptCommand, readScriptCommand, type ScriptCommand } from '../shared/script-command.js';

export type { ScriptCommand } from '../shared/script-command.js';

export interface TrackRef {
  location: SourceLocation;
  /** Interface name, or name of the vrrp_script / track_file / track_process / bfd_instance. */
  name: string;
  /** undefined: the tracked object's own default weight applies. */
  weight?: number;
  reverse: boolean;
}

export interface Trackers {
  interfaces: TrackRef[];
  scripts: TrackRef[];
  files: TrackRef[];
  processes: TrackRef[];
  bfds: TrackRef[];
}

export const emptyTrackers = (): Trackers => ({
  interfaces: [],
  scripts: [],
  files: [],
  processes: [],
  bfds: [],
});

/** Weight ranges per tracker kind, as keepalived's man page gives them. */
const WEIGHT_LIMIT: Record<keyof Trackers, number> = {
  interfaces: 253,
  scripts: 253,
  files: 254,
  processes: 254,
  bfds: 253,
};

/** Reads `track_xxx { NAME [weight N [reverse|noreverse]] ... }` into `out`. */
export function readTrackBlock(
  node: ConfigNode,
  ctx: BuildContext,
  kind: keyof Trackers,
  out: Trackers,
): void {
  const limit = WEIGHT_LIMIT[kind];
  for (const child of blockChildren(node, ctx)) {
    const ref: TrackRef = {
      location: { file: child.file, line: child.line },
      name: child.keyword,
      reverse: false,
    };
    let ok = true;
    for (let i = 0; i < child.args.length; i++) {
      const w = child.args[i];
      if (w === 'weight') {
        const text = child.args[i + 1];
        i++;
        if (text === undefined || !/^[+-]?\d+$/.test(text)) {
          ctx.diags.error(child, node.keyword, `${ref.name}: weight needs an integer`);
          ok = false;
        } else if (Math.abs(Number(text)) > limit) {
          ctx.diags.error(
            child,
            node.keyword,
            `${ref.name}: weight ${text} is out of range -${limit}..${limit}`,
          );
          ok = false;
        } else ref.weight = Number(text);
      } else if (w === 'reverse') ref.reverse = true;
      else if (w === 'noreverse') ref.reverse = false;
      else {
        ctx.diags.error(child, node.keyword, `${ref.name}: unknown option '${w ?? ''}'`);
        ok = false;
      }
    }
    if (ok) out[kind].push(ref);
  }
}

const TRACK_KEYWORDS: Record<keyof Trackers, string> = {
  interfaces: 'track_interface',
  scripts: 'track_script',
  files: 'track_file',
  processes: 'track_process',
  bfds: 'track_bfd',
};

/** Handlers for the five track_xxx blocks. */
export function trackHandlers(
  ctx: BuildContext,
  out: Trackers | (() => Trackers),
): Record<string, (n: ConfigNode) => void> {
  const get = typeof out === 'function' ? out : () => out;
  const handlers: Record<string, (n: ConfigNode) => void> = {};
  for (const kind of Object.keys(TRACK_KEYWORDS) as Array<keyof Trackers>)
    handlers[TRACK_KEYWORDS[kind]] = (n) => readTrackBlock(n, ctx, kind, get());
  return handlers;
}

export function printTrackers(t: Trackers): string[] {
  const lines: string[] = [];
  for (const kind of Object.keys(TRACK_KEYWORDS) as Array<keyof Trackers>) {
    if (t[kind].length === 0) continue;
    lines.push(`${TRACK_KEYWORDS[kind]} {`);
    for (const r of t[kind]) {
      let line = `  ${r.name}`;
      if (r.weight !== undefined) line += ` weight ${r.weight}`;
      if (r.reverse) line += ' reverse';
      lines.push(line);
    }
    lines.push('}');
  }
  return lines;
}

export interface NotifyScripts {
  master?: ScriptCommand;
  backup?: ScriptCommand;
  fault?: ScriptCommand;
  stop?: ScriptCommand;
  /** notify_deleted: present (possibly without a script) means DELETED is reported instead of FAULT. */
  deleted?: ScriptCommand | true;
  masterRxLowerPri?: ScriptCommand;
  any?: ScriptCommand;
}

const NOTIFY_KEYWORDS: Array<[keyof NotifyScripts, string]> = [
  ['master', 'notify_master'],
  ['backup', 'notify_backup'],
  ['fault', 'notify_fault'],
  ['stop', 'notify_stop'],
  ['deleted', 'notify_deleted'],
  ['masterRxLowerPri', 'notify_master_rx_lower_pri'],
  ['any', 'notify'],
];

/** The notify_* keywords of an instance or sync group. keepalived keeps the first of a repeated keyword and
 * reports the others (`owner` names the block as its message does: "(VI_1)", "vrrp group G1:"). */
export function notifyHandlers(
  ctx: BuildContext,
  target: NotifyScripts | (() => NotifyScripts),
  owner: () => string,
): Record<string, (n: ConfigNode) => void> {
  const get = typeof target === 'function' ? target : () => target;
  const handlers: Record<string, (n: ConfigNode) => void> = {};
  for (const [field, keyword] of NOTIFY_KEYWORDS) {
    handlers[keyword] = (n) => {
      const out = get();
      if (out[field] !== undefined) {
        const what = field === 'deleted' ? keyword : `${keyword} script`;
        ctx.diags.warn(n, keyword, `${owner()} ${what} already specified - ignoring ${n.args[0] ?? ''}`);
        return;
      }
      if (field === 'deleted' && n.args.length === 0) {
        out.deleted = true;
        return;
      }
      const s = readScriptCommand(n, ctx, 'vrrp');
      if (s) out[field] = s;
      // notify_deleted holds even when its script is dropped (an unknown user), as in keepalived.
      else if (field === 'deleted' && n.args.length > 0) out.deleted = true;
    };
  }
  return handlers;
}

export function printNotify(n: NotifyScripts): string[] {
  const lines: string[] = [];
  for (const [field, keyword] of NOTIFY_KEYWORDS) {
    const v = n[field];
    if (v === undefined) continue;
    lines.push(v === true ? keyword : formatScriptCommand(keyword, v));
  }
  return lines;
}
