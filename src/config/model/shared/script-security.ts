// keepalived's "SECURITY VIOLATION": scripts it would execute while enable_script_security is off. It
// counts a script once the file it names is found on this host (a bare name through PATH), and says so
// once for the VRRP side and once for the checkers; -t then exits 6. Whether a file exists is a host fact.
import type { SourceLocation } from '../../types.js';
import type { GlobalDefs } from '../global/global.js';
import type { VirtualServer } from '../lvs/types.js';
import type { VrrpInstance } from '../vrrp/instance.js';
import type { VrrpScript } from '../vrrp/script.js';
import type { SyncGroup } from '../vrrp/sync-group.js';
import type { ScriptCommand } from './script-command.js';
import type { BuildContext } from './values.js';

/** The parts of the model that name scripts. */
interface Model {
  global: GlobalDefs;
  vrrpScripts: readonly VrrpScript[];
  instances: readonly VrrpInstance[];
  syncGroups: readonly SyncGroup[];
  virtualServers: readonly VirtualServer[];
}

interface Candidate {
  command: string;
  at: SourceLocation;
}

/** The program a command line runs: its first word, unquoted; undefined for keepalived's `</file` test. */
function program(command: string): string | undefined {
  const first = command
    .trim()
    .split(/\s+/)[0]
    ?.replace(/^["']|["']$/g, '');
  if (first === undefined || first === '' || /^<\s*\//.test(command.trim())) return undefined;
  return first;
}

function notifyCandidates(notify: object, at: SourceLocation): Candidate[] {
  return Object.values(notify)
    .filter((s): s is ScriptCommand => typeof s === 'object' && s !== null && 'command' in s)
    .map((s) => ({ command: s.command, at }));
}

function vrrpCandidates(m: Model): Candidate[] {
  if (m.instances.length === 0) return [];
  const g = m.global;
  const globalAt = g.location ?? { file: '', line: 0 };
  return [
    ...m.vrrpScripts.flatMap((s) => (s.script !== undefined ? [{ command: s.script, at: s.location }] : [])),
    ...m.instances.flatMap((i) => notifyCandidates(i.notify, i.location)),
    ...m.syncGroups.flatMap((sg) => notifyCandidates(sg.notify, sg.location)),
    ...[g.notifyFifoScript, g.vrrpNotifyFifoScript].flatMap((c) =>
      c !== undefined ? [{ command: c.command, at: globalAt }] : [],
    ),
  ];
}

function checkerCandidates(m: Model): Candidate[] {
  const g = m.global;
  const globalAt = g.location ?? { file: '', line: 0 };
  return [
    ...m.virtualServers.flatMap((vs) => [
      ...[vs.quorumUp, vs.quorumDown].flatMap((s) => (s ? [{ command: s.command, at: s.at }] : [])),
      ...vs.realServers.flatMap((rs) => [
        ...[rs.notifyUp, rs.notifyDown].flatMap((s) => (s ? [{ command: s.command, at: s.at }] : [])),
        ...rs.checkers.flatMap((c) =>
          c.kind === 'MISC_CHECK' && c.path ? [{ command: c.path.command, at: c.path.at }] : [],
        ),
      ]),
    ]),
    ...[g.notifyFifoScript, g.lvsNotifyFifoScript].flatMap((c) =>
      c !== undefined && m.virtualServers.length > 0 ? [{ command: c.command, at: globalAt }] : [],
    ),
  ];
}

/**
 * keepalived checks every vrrp_script's program (script_security or not) and disables, as an ordinary
 * config error, one whose file is not there: "Disabling track script NAME since not found/accessible".
 */
function reportMissingTrackScripts(
  scripts: readonly VrrpScript[],
  ctx: BuildContext,
  found: (program: string) => boolean,
): void {
  for (const s of scripts) {
    const p = s.script !== undefined ? program(s.script) : undefined;
    if (p !== undefined && !found(p))
      ctx.diags.warn(s.location, 'script', `Disabling track script ${s.name} since not found/accessible`);
  }
}

/** `vrrpStops`: keepalived's VRRP process stops before its check (a missing interface), so no VRRP report. */
export function checkScriptSecurity(m: Model, ctx: BuildContext, o: { vrrpStops: boolean }): void {
  const found = ctx.hostFacts?.scriptFound;
  if (found === undefined) return;
  if (!o.vrrpStops && m.instances.length > 0) reportMissingTrackScripts(m.vrrpScripts, ctx, found);
  if (m.global.enableScriptSecurity) return;
  const report = (what: string, candidates: Candidate[]): void => {
    const hit = candidates.find((c) => {
      const p = program(c.command);
      return p !== undefined && found(p);
    });
    if (hit)
      ctx.diags.ranked(
        'security',
        'warning',
        hit.at,
        'enable_script_security',
        `SECURITY VIOLATION - ${what} are being executed but script_security not enabled`,
      );
  };
  if (!o.vrrpStops) report('scripts', vrrpCandidates(m));
  report('check scripts', checkerCandidates(m));
  const g = m.global;
  report(
    'start/shutdown scripts',
    [g.startupScript, g.shutdownScript].flatMap((c) =>
      c !== undefined ? [{ command: c.command, at: g.location ?? { file: '', line: 0 } }] : [],
    ),
  );
}
