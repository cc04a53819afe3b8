// The user scripts run as, checked as keepalived 2.2.7 checks it while reading: `script_user` naming a
// user (or group) this host does not have fails, and so do, with enable_script_security, scripts left to
// the default user when `keepalived_script` does not exist; such scripts are then dropped (a vrrp_script
// or MISC_CHECK is removed, a notify script or FIFO ignored). Whether a user or group exists is a host fact.
//
// keepalived settles the default user once, at the first script that needs it, in the order its readers
// meet them: the parent's global_defs first, then the checker's virtual servers, then the VRRP process's
// instances and scripts (validate_config in -t); by then enable_script_security anywhere in global_defs
// counts. So the decision is made before the walk (prescan) and the one error lands where keepalived puts it.
import { blockEnd } from '../../blocks.js';
import type { ConfigNode, Diagnostics, SourceLocation } from '../../types.js';
import type { BuildContext } from './values.js';

/** The user keepalived falls back to when there is no `script_user`. */
const DEFAULT_SCRIPT_USER = 'keepalived_script';

/** Which of keepalived's readers meets a script: they read the file in this order. */
export type ScriptReader = 'global' | 'checker' | 'vrrp';
const READERS: readonly ScriptReader[] = ['global', 'checker', 'vrrp'];

/** global_defs keywords naming a script or FIFO that runs as (or is owned by) `[USER [GROUP]]` after it. */
export const GLOBAL_SCRIPT_KEYWORDS: ReadonlySet<string> = new Set([
  'startup_script',
  'shutdown_script',
  ...['', 'vrrp_', 'lvs_'].flatMap((p) => [`${p}notify_fifo`, `${p}notify_fifo_script`]),
]);

/** keepalived's default script user for one configuration read (lib/notify.c get_default_script_user). */
interface DefaultUser {
  /** Scripts without a user of their own are dropped. */
  fails: boolean;
  /** A global script_user failed: keepalived says that instead ("Error setting global script uid/gid"). */
  scriptUserFailed: boolean;
  /** The first script of each reader that asked for the default user. */
  sites: Partial<Record<ScriptReader, SourceLocation>>;
}

// One per configuration read: the contexts of its blocks share their Diagnostics.
const DEFAULT_USERS = new WeakMap<Diagnostics, DefaultUser>();

function userExistsHere(ctx: BuildContext, spec: string): boolean {
  const facts = ctx.hostFacts;
  if (facts?.userExists === undefined) return true;
  const [user = '', group] = spec.trim().split(/\s+/);
  const groupOk = group === undefined || facts.groupExists === undefined || facts.groupExists(group);
  return facts.userExists(user) && groupOk;
}

/**
 * The parent's read of global_defs, in file order: enable_script_security so far, a script_user (which
 * sets the default user, failing when it does not exist), a script or FIFO without a user (which settles
 * the default user if nothing did yet). What is still unsettled after it is settled by the first script
 * of the other readers, with script security as the whole file says.
 */
function prescan(nodes: readonly ConfigNode[], ctx: BuildContext): DefaultUser {
  const d: DefaultUser = { fails: false, scriptUserFailed: false, sites: {} };
  const facts = ctx.hostFacts;
  if (facts?.userExists === undefined) return d;
  const defaultFails = (): boolean => !facts.userExists!(DEFAULT_SCRIPT_USER);
  let security = false;
  let settled = false;
  for (const block of nodes) {
    if (block.keyword !== 'global_defs') continue;
    for (const n of block.children ?? []) {
      if (n.keyword === 'enable_script_security') security = true;
      else if (n.keyword === 'script_user' && n.args.length > 0) {
        settled = true;
        if (!userExistsHere(ctx, n.args.join(' '))) d.fails = d.scriptUserFailed = true;
      } else if (GLOBAL_SCRIPT_KEYWORDS.has(n.keyword) && n.args.length === 1 && !settled) {
        settled = true;
        if (security && defaultFails()) {
          d.fails = true;
          d.sites.global = { file: n.file, line: n.line };
        }
      }
    }
  }
  if (!settled && security && defaultFails()) d.fails = true;
  return d;
}

function defaultUser(ctx: BuildContext): DefaultUser {
  let d = DEFAULT_USERS.get(ctx.diags);
  if (d === undefined)
    DEFAULT_USERS.set(ctx.diags, (d = { fails: false, scriptUserFailed: false, sites: {} }));
  return d;
}

/**
 * keepalived's get_default_script_user for a script written without a user, met by `reader` at `at`:
 * true when the script keeps its place (false: keepalived drops it). Host facts unknown: true.
 */
export function defaultScriptUserUsable(
  ctx: BuildContext,
  at: SourceLocation,
  reader: ScriptReader,
): boolean {
  const d = defaultUser(ctx);
  if (d.fails) d.sites[reader] ??= { file: at.file, line: at.line };
  return !d.fails;
}

export class ScriptUsers {
  constructor(
    private readonly ctx: BuildContext,
    nodes: readonly ConfigNode[],
  ) {
    DEFAULT_USERS.set(ctx.diags, prescan(nodes, ctx));
  }

  /** After global_defs: a `script_user` (as global_defs left it) this host does not have. */
  global(node: ConfigNode, scriptUser: string | undefined): void {
    const at = node.children?.find((c) => c.keyword === 'script_user');
    if (scriptUser === undefined || at === undefined || userExistsHere(this.ctx, scriptUser)) return;
    this.ctx.diags.error(at, at.keyword, 'Error setting global script uid/gid');
  }

  /** A vrrp_script as its block closes: itself, or undefined when keepalived removes it. */
  vrrpScript<S extends { name: string; script?: string; user?: string }>(
    node: ConfigNode,
    s: S,
  ): S | undefined {
    if (this.ctx.hostFacts?.userExists === undefined) return s;
    if (s.user !== undefined) {
      if (userExistsHere(this.ctx, s.user)) return s;
      const at = node.children?.find((c) => c.keyword === 'user') ?? node;
      this.ctx.diags.error(at, 'user', `Unable to set uid/gid for script ${s.script ?? ''} - removing`);
      return undefined;
    }
    const end = blockEnd(node);
    if (defaultScriptUserUsable(this.ctx, end, 'vrrp')) return s;
    this.ctx.diags.error(
      end,
      node.keyword,
      `Unable to set default user for vrrp script ${s.name} - removing`,
    );
    return undefined;
  }

  /** Once all is read: keepalived's one "Unable to set default user", where its first reader met it. */
  finish(): void {
    const d = defaultUser(this.ctx);
    if (!d.fails || d.scriptUserFailed) return;
    const reader = READERS.find((r) => d.sites[r] !== undefined);
    const at = reader === undefined ? undefined : d.sites[reader];
    if (reader === undefined || at === undefined) return;
    this.ctx.diags.error(at, 'script_user', `Unable to set default user ${DEFAULT_SCRIPT_USER} for script`);
    const said = this.ctx.diags.items.at(-1);
    if (said !== undefined && reader === 'checker') said.checker = true;
    if (said !== undefined && reader === 'vrrp') said.vrrp = true;
  }
}
