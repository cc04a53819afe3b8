// The notify FIFOs as keepalived 2.2.7 runs them (lib/notify.c fifo_open / fifo_close, global_data.c): each
// process creates its FIFOs (mode 0644, owned by the user named after the path, else script_user's), starts
// the FIFO's script with the FIFO's path as its last argument, then holds the FIFO open read-write, so lines
// written while no reader is there wait in the pipe instead of being lost; at the end the script gets
// SIGTERM (keepalived sets PR_SET_PDEATHSIG), a FIFO it created is removed, and the descriptor closed.
// Which FIFOs a process opens: the global notify_fifo and its own (vrrp_ or lvs_) unless both name the same
// path (keepalived ignores the second); the global FIFO's script runs in one process only, the checker's
// when there is one; when the VRRP and LVS FIFOs are the same path, the LVS script is ignored.
import { spawnSync } from 'node:child_process';
import { chownSync, closeSync, constants as fsc, existsSync, openSync, unlinkSync, writeSync } from 'node:fs';
import type { GlobalDefs } from '../../config/model/global/global.js';
import type { ScriptCommand } from '../../config/model/shared/script-command.js';
import { lookupUser } from '../../system/users.js';
import type { Logger } from './log.js';
import type { FifoWriter, Notifier } from './notifier.js';

export interface NotifyFifoSpec {
  /** '' (notify_fifo), 'vrrp_' or 'lvs_': how keepalived names it in its messages. */
  kind: '' | 'vrrp_' | 'lvs_';
  path: string;
  /** `notify_fifo PATH [user [group]]`: who owns a FIFO we create. */
  owner?: { user: string; group?: string };
  /** *_notify_fifo_script, run with the path appended (as its user, else the default script user). */
  script?: ScriptCommand;
}

function spec(
  kind: NotifyFifoSpec['kind'],
  text: string | undefined,
  script?: ScriptCommand,
): NotifyFifoSpec[] {
  const [path, user, group] = (text ?? '').trim().split(/\s+/);
  if (path === undefined || path === '') return [];
  return [
    {
      kind,
      path,
      ...(user !== undefined ? { owner: { user, ...(group !== undefined ? { group } : {}) } } : {}),
      ...(script !== undefined ? { script } : {}),
    },
  ];
}

/** The FIFOs the VRRP process (`checkerRunning`: a checker process runs too) or the checker opens. */
export function notifyFifoSpecs(
  g: GlobalDefs,
  process: 'vrrp' | 'checker',
  checkerRunning: boolean,
  log?: Logger,
): NotifyFifoSpec[] {
  const runsGlobalScript = process === 'checker' || !checkerRunning;
  const global = spec('', g.notifyFifo, runsGlobalScript ? g.notifyFifoScript : undefined);
  const globalPath = global[0]?.path;
  let own: NotifyFifoSpec[];
  if (process === 'vrrp') own = spec('vrrp_', g.vrrpNotifyFifo, g.vrrpNotifyFifoScript);
  else {
    const vrrpPath = spec('vrrp_', g.vrrpNotifyFifo)[0]?.path;
    own = spec('lvs_', g.lvsNotifyFifo, g.lvsNotifyFifoScript);
    const lvs = own[0];
    if (lvs?.script !== undefined && lvs.path === vrrpPath && g.vrrpNotifyFifoScript !== undefined) {
      log?.info('LVS notify FIFO and vrrp FIFO are the same both with scripts - ignoring LVS FIFO script');
      own = [{ kind: lvs.kind, path: lvs.path, ...(lvs.owner ? { owner: lvs.owner } : {}) }];
    }
  }
  const first = own[0];
  if (first !== undefined && first.path === globalPath) {
    const which = process === 'vrrp' ? 'vrrp' : 'LVS';
    log?.info(
      `notify FIFO ${first.path} has been specified for global and ${which} FIFO - ignoring ${which} FIFO`,
    );
    own = [];
  }
  return [...global, ...own];
}

interface OpenFifo {
  spec: NotifyFifoSpec;
  fd: number;
  created: boolean;
}

/** Creates a FIFO (mode 0644); false when something is already at `path`. Throws when it cannot. */
function makeFifo(path: string): boolean {
  if (existsSync(path)) return false;
  // Node has no mkfifo(3); coreutils' mkfifo makes the same call.
  const r = spawnSync('mkfifo', ['-m', '0644', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error((r.stderr || r.error?.message || `mkfifo exited ${r.status}`).trim());
  return true;
}

export class NotifyFifos implements FifoWriter {
  private open: OpenFifo[] = [];
  private readonly scripts = new AbortController();

  constructor(
    private readonly specs: readonly NotifyFifoSpec[],
    private readonly log: Logger,
  ) {}

  /** Creates and opens every FIFO, starting its script first (with `notifier`'s script policy). */
  start(notifier: Notifier, label: 'vrrp' | 'lvs'): void {
    for (const s of this.specs) {
      const kind = s.kind;
      let created = false;
      try {
        created = makeFifo(s.path);
        if (created && s.owner !== undefined) {
          const ids = lookupUser(s.owner.user, s.owner.group);
          if (ids === undefined) this.log.info(`Failed to set uid:gid for fifo ${s.path}`);
          else chownSync(s.path, ids.uid, ids.gid);
        }
      } catch (e) {
        this.log.info(`Unable to create ${kind}notify fifo ${s.path}: ${(e as Error).message}`);
        continue;
      }
      if (s.script !== undefined) {
        const user =
          s.script.user === undefined ? undefined : notifier.lookupUser(s.script.user, s.script.group);
        void notifier.runUntilAborted(s.script.command, [s.path], this.scripts.signal, user).then((r) => {
          if (r.aborted !== true) this.log.info(`${label} notify fifo script terminated`);
        });
      }
      try {
        const fd = openSync(s.path, fsc.O_RDWR | fsc.O_NONBLOCK | fsc.O_NOFOLLOW);
        this.open.push({ spec: s, fd, created });
      } catch (e) {
        this.log.info(
          `Unable to open ${kind}notify fifo ${s.path} - ${(e as NodeJS.ErrnoException).code ?? e}`,
        );
        if (created) unlinkSync(s.path);
      }
    }
  }

  /** One line to every FIFO; a full pipe (no reader for a long while) drops it, as keepalived's write. */
  write(line: string): void {
    for (const f of this.open) {
      try {
        writeSync(f.fd, line);
      } catch {
        // EAGAIN: the pipe is full
      }
    }
  }

  /** Removes the FIFOs we created (first, so a looping reader cannot reopen them), closes them, and stops
   * their scripts. */
  close(): void {
    for (const f of this.open) {
      if (f.created) {
        try {
          unlinkSync(f.spec.path);
        } catch {
          // already gone
        }
      }
      closeSync(f.fd);
    }
    this.open = [];
    this.scripts.abort();
  }
}
