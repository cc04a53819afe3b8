// FRRouting daemons in a test namespace: a directory of their own owned by user `frr` (FRR runs as frr)
// holding configs, pid files, the vty sockets and zebra's client socket; zebra started first and waited
// for (a client started earlier retries only after 10 s), then the daemon under test (vrrpd, bfdd).
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, type LanMember } from './netns.js';
import { FRR_DIR, waitUntil, type VrrpDaemon, type VrrpLab } from './vrrp-lab.js';

export class FrrDaemons {
  readonly dir: string;
  zebra?: VrrpDaemon;

  constructor(
    private readonly lab: VrrpLab,
    readonly member: LanMember,
  ) {
    this.dir = join(lab.dir, 'frr');
    mkdirSync(this.dir, { recursive: true });
    const uid = Number(run(['id', '-u', 'frr']).trim());
    const gid = Number(run(['id', '-g', 'frr']).trim());
    chownSync(lab.dir, uid, gid);
    chownSync(this.dir, uid, gid);
  }

  /** The options every FRR daemon takes here: its files in our directory, debug logs on stdout. */
  private common(daemon: string): string[] {
    return [
      '-z',
      join(this.dir, 'zserv.api'),
      '--vty_socket',
      this.dir,
      '-i',
      join(this.dir, `${daemon}.pid`),
      '-f',
      join(this.dir, `${daemon}.conf`),
      '--log',
      'stdout',
      '--log-level',
      'debug',
    ];
  }

  /** Starts zebra and waits for its client socket. */
  async startZebra(): Promise<VrrpDaemon> {
    writeFileSync(join(this.dir, 'zebra.conf'), 'hostname frr\n');
    const zebra = this.lab.startOther('frr-zebra', this.member.ns, [
      join(FRR_DIR, 'zebra'),
      ...this.common('zebra'),
    ]);
    this.zebra = zebra;
    await zebra.waitForLog(/zebra \S+ starting/, 10_000);
    await waitUntil(() => existsSync(join(this.dir, 'zserv.api')), "zebra's zserv.api socket", 5000);
    return zebra;
  }

  /** Writes `daemon`'s config and starts it (`label` names its log). */
  start(daemon: 'vrrpd' | 'bfdd', config: string, label = `frr-${daemon}`, extra: string[] = []): VrrpDaemon {
    writeFileSync(join(this.dir, `${daemon}.conf`), config);
    return this.lab.startOther(label, this.member.ns, [
      join(FRR_DIR, daemon),
      ...this.common(daemon),
      ...extra,
    ]);
  }

  /** vtysh against `daemon`: one command, its output. */
  vtysh(daemon: string, command: string): string {
    return run([
      'ip',
      'netns',
      'exec',
      this.member.ns,
      'vtysh',
      '--vty_socket',
      this.dir,
      '-d',
      daemon,
      '-c',
      command,
    ]);
  }
}
