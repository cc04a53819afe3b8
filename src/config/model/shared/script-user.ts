// The user scripts run as, checked as keepalived 2.2.7 checks it while reading: `script_user` naming a
// user (or group) this host does not have fails, and so do, with enable_script_security, scripts left to
// the default user when `keepalived_script` does not exist; a vrrp_script without a user is then removed
// (its trackers no longer find it). Whether a user or group exists is a host fact.
import { blockEnd } from '../../blocks.js';
import type { ConfigNode, Diagnostics, SourceLocation } from '../../types.js';
import type { GlobalDefs } from '../global/global.js';
import type { VrrpScript } from '../vrrp/script.js';
import type { BuildContext } from './values.js';

/** The user keepalived falls back to when there is no `script_user`. */
const DEFAULT_SCRIPT_USER = 'keepalived_script';

/** keepalived's default script user, looked up once for the whole read (lib/notify.c). */
interface DefaultUser {
  /** enable_script_security read so far. */
  security: boolean;
  settled: boolean;
  fails: boolean;
}

// One per configuration read: the contexts of its blocks share their Diagnostics.
const DEFAULT_USERS = new WeakMap<Diagnostics, DefaultUser>();

function defaultUser(ctx: BuildContext): DefaultUser {
  let d = DEFAULT_USERS.get(ctx.diags);
  if (d === undefined) DEFAULT_USERS.set(ctx.diags, (d = { security: false, settled: false, fails: false }));
  return d;
}

/**
 * keepalived's get_default_script_user for a script written without a user: the first such script settles
 * it (with script security and no keepalived_script user: "Unable to set default user", once, there), and
 * when it failed every such script is dropped. True when the script keeps its place. Host facts unknown
 * (the daemon): true.
 */
export function defaultScriptUserUsable(ctx: BuildContext, at: SourceLocation): boolean {
  const userExists = ctx.hostFacts?.userExists;
  if (userExists === undefined) return true;
  const d = defaultUser(ctx);
  if (!d.settled) {
    d.settled = true;
    if (d.security && !userExists(DEFAULT_SCRIPT_USER)) {
      d.fails = true;
      ctx.diags.error(at, 'script_user', `Unable to set default user ${DEFAULT_SCRIPT_USER} for script`);
    }
  }
  return !d.fails;
}

export class ScriptUsers {
  constructor(private readonly ctx: BuildContext) {}

  /** `USER [GROUP]` exists here; true when this host's users are not known. */
  private exists(spec: string): boolean {
    const facts = this.ctx.hostFacts;
    if (facts?.userExists === undefined) return true;
    const [user = '', group] = spec.trim().split(/\s+/);
    const groupOk = group === undefined || facts.groupExists === undefined || facts.groupExists(group);
    return facts.userExists(user) && groupOk;
  }

  /** After global_defs: its `script_user`, when set, becomes the default user. */
  global(node: ConfigNode, g: GlobalDefs): void {
    const d = defaultUser(this.ctx);
    if (g.enableScriptSecurity) d.security = true;
    const at = node.children?.find((c) => c.keyword === 'script_user');
    if (g.scriptUser === undefined || at === undefined) return;
    d.settled = true;
    d.fails = !this.exists(g.scriptUser);
    if (d.fails) this.ctx.diags.error(at, at.keyword, 'Error setting global script uid/gid');
  }

  /** A vrrp_script as its block closes: itself, or undefined when keepalived removes it. */
  vrrpScript(node: ConfigNode, s: VrrpScript, g: GlobalDefs): VrrpScript | undefined {
    if (this.ctx.hostFacts?.userExists === undefined) return s;
    if (s.user !== undefined) {
      if (this.exists(s.user)) return s;
      const at = node.children?.find((c) => c.keyword === 'user') ?? node;
      this.ctx.diags.error(at, 'user', `Unable to set uid/gid for script ${s.script ?? ''} - removing`);
      return undefined;
    }
    const end = blockEnd(node);
    // enable_script_security counts once global_defs is read, wherever the script stands
    if (g.enableScriptSecurity) defaultUser(this.ctx).security = true;
    if (defaultScriptUserUsable(this.ctx, end)) return s;
    this.ctx.diags.error(
      end,
      node.keyword,
      `Unable to set default user for vrrp script ${s.name} - removing`,
    );
    return undefined;
  }
}
