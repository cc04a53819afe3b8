// What keepalived's processes do with the scripts of a configuration they have just read (check_script_secure,
// lib/notify.c; check_vrrp_script_security, vrrp.c; check_check_script_security, check_data.c): each script
// is looked at once, on this host, as the user that would run it. A vrrp_script that cannot be found, that
// its user cannot execute, or that script security refuses is removed, and with it every track_script
// naming it: the instance runs as if it tracked nothing there (it does not fault). A notify script in the
// same case is dropped (never run), a MISC_CHECK removed from its real server. Pure: the host's verdict on
// one script comes in as a function (system/script-verdict.ts), the lines keepalived logs go out.
import type { Model } from '../index.js';
import type { NotifyScripts, Trackers } from '../vrrp/tracking.js';
import type { ScriptCommand } from './script-command.js';

/** The host's answer for one script command (keepalived's SC_* flags). */
export interface ScriptVerdict {
  /** What keepalived logs while it checks it. */
  lines: string[];
  /** SC_NOTFOUND: not found in PATH, or its path cannot be resolved. */
  notFound: boolean;
  /** SC_INHIBIT: unsafe with enable_script_security, or its user cannot be taken on. */
  inhibited: boolean;
  /** SC_EXECUTABLE (or SC_SYSTEM, a `</file` test): its user can run it. */
  runnable: boolean;
}

/** Asks the host about `command`, as run by `user` / `group` when the script names them (else the default
 * script user). */
export type ScriptCheck = (command: string, owner: { user?: string; group?: string }) => ScriptVerdict;

const usable = (v: ScriptVerdict): boolean => v.runnable && !v.notFound && !v.inhibited;

function checked<T extends ScriptCommand>(
  script: T | undefined,
  check: ScriptCheck,
  lines: string[],
): T | undefined {
  if (script === undefined) return undefined;
  const v = check(script.command, owner(script));
  lines.push(...v.lines);
  return usable(v) ? script : undefined;
}

function owner(s: { user?: string; group?: string }): { user?: string; group?: string } {
  return {
    ...(s.user !== undefined ? { user: s.user } : {}),
    ...(s.group !== undefined ? { group: s.group } : {}),
  };
}

/** vrrp_script's `user USER [[:]GROUP]`, as written. */
function scriptOwner(user: string | undefined): { user?: string; group?: string } {
  if (user === undefined) return {};
  const [name, group] = user.trim().split(/\s+/);
  return { ...(name !== undefined ? { user: name } : {}), ...(group !== undefined ? { group } : {}) };
}

/** Notify scripts in keepalived's order of checking; a dropped notify_deleted script keeps its flag. */
function checkedNotify(
  n: NotifyScripts,
  check: ScriptCheck,
  lines: string[],
  instance: boolean,
): NotifyScripts {
  const out: NotifyScripts = { ...n };
  const set = <K extends keyof NotifyScripts>(key: K, value: NotifyScripts[K] | undefined): void => {
    if (value === undefined) delete out[key];
    else out[key] = value;
  };
  set('backup', checked(n.backup, check, lines));
  set('master', checked(n.master, check, lines));
  set('fault', checked(n.fault, check, lines));
  set('stop', checked(n.stop, check, lines));
  if (instance && typeof n.deleted === 'object') set('deleted', checked(n.deleted, check, lines) ?? true);
  set('any', checked(n.any, check, lines));
  if (instance) set('masterRxLowerPri', checked(n.masterRxLowerPri, check, lines));
  return out;
}

const withoutScripts = (t: Trackers, gone: ReadonlySet<string>): Trackers => ({
  ...t,
  scripts: t.scripts.filter((r) => !gone.has(r.name)),
});

/** The VRRP process's view: vrrp_scripts, instance and sync group notify scripts, the FIFO scripts. */
export function withUsableVrrpScripts(model: Model, check: ScriptCheck): { model: Model; lines: string[] } {
  if (model.instances.length === 0) return { model, lines: [] };
  const lines: string[] = [];
  const gone = new Set<string>();
  for (const s of model.vrrpScripts) {
    if (s.script === undefined) continue;
    const v = check(s.script, scriptOwner(s.user));
    lines.push(...v.lines);
    if (v.inhibited) lines.push(`Disabling track script ${s.name} due to insecure`);
    else if (v.notFound) lines.push(`Disabling track script ${s.name} since not found/accessible`);
    if (!usable(v)) gone.add(s.name);
  }
  const instances = model.instances.map((i) => ({
    ...i,
    notify: checkedNotify(i.notify, check, lines, true),
    track: withoutScripts(i.track, gone),
  }));
  const syncGroups = model.syncGroups.map((g) => ({
    ...g,
    notify: checkedNotify(g.notify, check, lines, false),
    track: withoutScripts(g.track, gone),
  }));
  const global = { ...model.global };
  const fifo = checked(global.notifyFifoScript, check, lines);
  if (fifo === undefined) delete global.notifyFifoScript;
  const vrrpFifo = checked(global.vrrpNotifyFifoScript, check, lines);
  if (vrrpFifo === undefined) delete global.vrrpNotifyFifoScript;
  return {
    model: {
      ...model,
      global,
      instances,
      syncGroups,
      vrrpScripts: model.vrrpScripts.filter((s) => !gone.has(s.name)),
    },
    lines,
  };
}

/** The checker process's view: MISC_CHECK scripts (the checker removed), quorum and real server notify
 * scripts, the FIFO scripts. */
export function withUsableCheckerScripts(
  model: Model,
  check: ScriptCheck,
): { model: Model; lines: string[] } {
  if (model.virtualServers.length === 0) return { model, lines: [] };
  const lines: string[] = [];
  // keepalived walks its queue of MISC_CHECKs first, then the notify scripts
  const miscKept = model.virtualServers.map((vs) =>
    vs.realServers.map((rs) =>
      rs.checkers.filter((c) => {
        if (c.kind !== 'MISC_CHECK' || c.path === undefined) return true;
        const v = check(c.path.command, owner(c.path));
        lines.push(...v.lines);
        const shown = c.path.command.trim().split(/\s+/).join(' ');
        if (v.inhibited) lines.push(`Disabling misc script ${shown} due to insecure`);
        else if (v.notFound) lines.push(`Disabling misc script ${shown} since not found/accessible`);
        return usable(v);
      }),
    ),
  );
  const virtualServers = model.virtualServers.map((vs, i) => {
    const out = { ...vs };
    const up = checked(vs.quorumUp, check, lines);
    if (up === undefined) delete out.quorumUp;
    const down = checked(vs.quorumDown, check, lines);
    if (down === undefined) delete out.quorumDown;
    out.realServers = vs.realServers.map((rs, j) => {
      const r = { ...rs, checkers: miscKept[i]?.[j] ?? rs.checkers };
      const nUp = checked(rs.notifyUp, check, lines);
      if (nUp === undefined) delete r.notifyUp;
      const nDown = checked(rs.notifyDown, check, lines);
      if (nDown === undefined) delete r.notifyDown;
      return r;
    });
    return out;
  });
  const global = { ...model.global };
  const fifo = checked(global.notifyFifoScript, check, lines);
  if (fifo === undefined) delete global.notifyFifoScript;
  const lvsFifo = checked(global.lvsNotifyFifoScript, check, lines);
  if (lvsFifo === undefined) delete global.lvsNotifyFifoScript;
  return { model: { ...model, global, virtualServers }, lines };
}
