// Notify scripts and FIFOs, as keepalived runs them: the state's own script (notify_master, ...) as
// written, then the generic `notify` script with four arguments appended (INSTANCE|GROUP, name, state,
// priority), and one line `INSTANCE "VI_1" MASTER 100` on the notify FIFOs. Scripts run detached with
// a timeout so that a hung one never holds the daemon.
import type { ScriptCommand } from '../../config/model/shared/script-command.js';
import type { Logger } from './log.js';
import { commandWords, runScript, scriptInsecurity, type ScriptResult } from '../../system/scripts.js';
import { lookupUser, type UserIds } from '../../system/users.js';
import { resolveCommandPath } from '../../system/script-path.js';
import type { GlobalDefs } from '../../config/model/global/global.js';
import type { Model } from '../../config/model/index.js';
import {
  withUsableCheckerScripts,
  withUsableVrrpScripts,
  type ScriptCheck,
} from '../../config/model/shared/script-availability.js';
import { scriptVerdict } from '../../system/script-verdict.js';

type ScriptSettings = Pick<
  GlobalDefs,
  'enableScriptSecurity' | 'scriptUser' | 'setSupplementaryGroups' | 'useSymlinkPaths'
>;

export interface ScriptPolicy {
  /** enable_script_security: refuse scripts that a non-root user could change. */
  secure: boolean;
  /** script_user / group, resolved (undefined: run as ourselves). */
  user?: UserIds;
  /** set_supplementary_groups: scripts run as a user get that user's supplementary groups too. */
  supplementaryGroups: boolean;
  /** use_symlink_paths: run a script by the path written, not the file a symbolic link leads to. */
  keepSymlinks: boolean;
}

/** keepalived's default script timeout for notify scripts (they have none, but we must never leak). */
const NOTIFY_TIMEOUT_MS = 60_000;

/** The script settings of global_defs, users looked up. */
export function scriptPolicy(g: ScriptSettings): ScriptPolicy {
  const supplementaryGroups = g.setSupplementaryGroups;
  const base = { secure: g.enableScriptSecurity, supplementaryGroups, keepSymlinks: g.useSymlinkPaths };
  if (g.scriptUser !== undefined) {
    const [name, group] = g.scriptUser.split(/\s+/);
    const user = name === undefined ? undefined : lookupUser(name, group, '', supplementaryGroups);
    // none: the configuration's reading said so and dropped the scripts left to it
    return { ...base, ...(user ? { user } : {}) };
  }
  // keepalived's default: keepalived_script if such a user exists, else root; with script security and no
  // such user the configuration's reading dropped every script left to it (config/model/shared/script-user.ts)
  const dflt = lookupUser('keepalived_script', undefined, '', supplementaryGroups);
  return { ...base, ...(dflt ? { user: dflt } : {}) };
}

/** The host's verdict on each script, as the user that would run it (its own, else the policy's). */
function scriptCheck(g: ScriptSettings): ScriptCheck {
  const policy = scriptPolicy(g);
  const self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  // keepalived says once, at the first script left to the default user, that keepalived_script is missing
  let noDefaultUser = g.scriptUser === undefined && policy.user === undefined;
  return (command, owner) => {
    const ids =
      owner.user !== undefined
        ? lookupUser(owner.user, owner.group, '', policy.supplementaryGroups)
        : policy.user;
    const v = scriptVerdict(command, ids ?? self, policy.secure);
    if (owner.user !== undefined || !noDefaultUser) return v;
    noDefaultUser = false;
    return { ...v, lines: ["Script user 'keepalived_script' does not exist", ...v.lines] };
  };
}

/**
 * What a child makes of a configuration's scripts before it runs them, as keepalived's VRRP and checker
 * processes do at start and at each reload: the ones this host cannot run are left out, and said.
 */
export function withRunnableScripts(side: 'vrrp' | 'checker', log: Logger): (model: Model) => Model {
  return (model) => {
    const check = scriptCheck(model.global);
    const r = side === 'vrrp' ? withUsableVrrpScripts(model, check) : withUsableCheckerScripts(model, check);
    for (const line of r.lines) log.info(line);
    return r.model;
  };
}

/** Where notification lines go (notify-fifos.ts). */
export interface FifoWriter {
  write(line: string): void;
}

const NO_FIFOS: FifoWriter = { write: () => undefined };

export class Notifier {
  private readonly running = new Set<Promise<ScriptResult>>();

  constructor(
    private readonly log: Logger,
    private policy: ScriptPolicy,
    private readonly fifos: FifoWriter = NO_FIFOS,
  ) {}

  /** A reload's script settings, for the scripts run from now on. */
  setPolicy(policy: ScriptPolicy): void {
    this.policy = policy;
  }

  /** A script's own `user USER [[:]GROUP]`, resolved under this policy's set_supplementary_groups. */
  lookupUser(user: string, group?: string): UserIds | undefined {
    return lookupUser(user, group, '', this.policy.supplementaryGroups);
  }

  /** Runs `command` (a config command line) with `extraArgs` appended; resolves when it ends. */
  run(
    command: string,
    extraArgs: string[] = [],
    timeoutMs = NOTIFY_TIMEOUT_MS,
    /** A vrrp_script's own `user` (else script_user). */
    user?: UserIds,
  ): Promise<ScriptResult> {
    const p = this.start(command, extraArgs, { timeoutMs, ...(user ? { user } : {}) });
    this.running.add(p);
    void p.then(() => this.running.delete(p));
    return p;
  }

  /** A script that runs as long as the daemon (a notify FIFO's reader): no timeout, stopped by `signal`,
   * not waited for by drain(). */
  runUntilAborted(
    command: string,
    extraArgs: string[],
    signal: AbortSignal,
    /** The script's own user (else script_user). */
    user?: UserIds,
  ): Promise<ScriptResult> {
    return this.start(command, extraArgs, { timeoutMs: 0, signal, ...(user ? { user } : {}) });
  }

  private start(
    command: string,
    extraArgs: string[],
    opts: { timeoutMs: number; signal?: AbortSignal; user?: UserIds },
  ): Promise<ScriptResult> {
    const words = commandWords(command);
    if (words === undefined || words.length === 0) {
      this.log.error(`cannot run '${command}': bad quoting`);
      return Promise.resolve({ code: undefined, signal: undefined, timedOut: false, error: 'bad quoting' });
    }
    if (this.policy.secure) {
      const why = scriptInsecurity(words[0] as string);
      if (why !== undefined) {
        this.log.error(`script ${words[0]} is not secure (${why}), not running it`);
        return Promise.resolve({ code: undefined, signal: undefined, timedOut: false, error: 'insecure' });
      }
    }
    const user = opts.user ?? this.policy.user;
    const argv = this.policy.keepSymlinks ? words : resolveCommandPath(words);
    const p = runScript([...argv, ...extraArgs], {
      timeoutMs: opts.timeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
      ...(user?.groups !== undefined ? { groups: user.groups } : {}),
    });
    void p.then((r) => {
      if (r.error !== undefined) this.log.error(`cannot run ${words[0]}: ${r.error}`);
      else if (r.timedOut) this.log.warn(`script ${words[0]} timed out`);
    });
    return p;
  }

  /** A configured script (notify_*, notify_up, quorum_up...) as the user written after it, else the
   * default script user; one whose user is gone since the configuration was read is not run. */
  runAs(script: ScriptCommand, extraArgs: string[] = []): Promise<ScriptResult> {
    if (script.user === undefined) return this.run(script.command, extraArgs);
    const ids = this.lookupUser(script.user, script.group);
    if (ids === undefined) {
      this.log.error(`cannot run ${script.command}: no user/group '${script.user} ${script.group ?? ''}'`);
      return Promise.resolve({ code: undefined, signal: undefined, timedOut: false, error: 'no such user' });
    }
    return this.run(script.command, extraArgs, NOTIFY_TIMEOUT_MS, ids);
  }

  /** The notifications of one state change: specific script, generic script, FIFO lines. */
  notify(
    kind: 'INSTANCE' | 'GROUP',
    name: string,
    state: string,
    priority: number,
    specific?: ScriptCommand,
    generic?: ScriptCommand,
  ): void {
    if (specific !== undefined) void this.runAs(specific);
    if (generic !== undefined) void this.runAs(generic, [kind, name, state, String(priority)]);
    this.writeFifos(`${kind} "${name}" ${state} ${priority}\n`);
  }

  writeFifos(line: string): void {
    this.fifos.write(line);
  }

  /** Waits for every script still running (at shutdown, so notify_stop completes). */
  async drain(limitMs: number): Promise<void> {
    const all = Promise.allSettled([...this.running]);
    await Promise.race([all, new Promise((r) => setTimeout(r, limitMs).unref())]);
  }
}
