// The user scripts run as, checked as keepalived 2.2.7 checks it while reading: `script_user` naming a
// user (or group) this host does not have fails, and so do, with enable_script_security, scripts left to
// the default user when `keepalived_script` does not exist; a vrrp_script without a user is then removed
// (its trackers no longer find it). Whether a user or group exists is a host fact.
import { blockEnd } from '../../blocks.js';
import type { ConfigNode } from '../../types.js';
import type { GlobalDefs } from '../global/global.js';
import type { VrrpScript } from '../vrrp/script.js';
import type { BuildContext } from './values.js';

/** The user keepalived falls back to when there is no `script_user`. */
const DEFAULT_SCRIPT_USER = 'keepalived_script';

export class ScriptUsers {
  /** Whether the default user has been settled (keepalived looks it up once). */
  private settled = false;
  private defaultFails = false;

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
    const at = node.children?.find((c) => c.keyword === 'script_user');
    if (g.scriptUser === undefined || at === undefined) return;
    this.settled = true;
    this.defaultFails = !this.exists(g.scriptUser);
    if (this.defaultFails) this.ctx.diags.error(at, at.keyword, 'Error setting global script uid/gid');
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
    if (!this.settled) {
      this.settled = true;
      if (g.enableScriptSecurity && !this.exists(DEFAULT_SCRIPT_USER)) {
        this.defaultFails = true;
        this.ctx.diags.error(
          end,
          'script_user',
          `Unable to set default user ${DEFAULT_SCRIPT_USER} for script`,
        );
      }
    }
    if (!this.defaultFails) return s;
    this.ctx.diags.error(
      end,
      node.keyword,
      `Unable to set default user for vrrp script ${s.name} - removing`,
    );
    return undefined;
  }
}
