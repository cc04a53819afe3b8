// lvs_sync_daemon: the kernel's IPVS connection-sync daemon follows a VRRP instance, as keepalived's VRRP
// process drives it: BACKUP from the start, MASTER while the instance is MASTER (the backup role is stopped
// first), BACKUP again when it leaves, stopped at shutdown. The sync id defaults to the instance's VRID.
// Where the kernel has no IPVS this says so once and does nothing (the VRRP side is unaffected).
import type { LvsSyncDaemon } from '../../config/model/global/global.js';
import { namespacePath } from '../../net/netns.js';
import { IpvsClient } from '../../lb/ipvs/client.js';
import type { IpvsDaemon } from '../../lb/ipvs/daemon.js';
import { IP_VS_STATE_BACKUP, IP_VS_STATE_MASTER } from '../../lb/ipvs/constants.js';
import type { Logger } from '../process/log.js';

type Role = 'master' | 'backup';

export class LvsSyncDaemonControl {
  private client: Promise<IpvsClient | undefined> | undefined;
  private role: Role | undefined;
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly config: LvsSyncDaemon & { instance: string },
    private readonly syncId: number,
    private readonly log: Logger,
    /** net_namespace_ipvs, as a path: the sync daemon is that namespace's IPVS's. */
    private readonly netNamespace: string | undefined,
  ) {}

  /** The control for this configuration, or undefined when no instance drives the sync daemon. */
  static create(
    config: LvsSyncDaemon | undefined,
    vridOf: (instance: string) => number | undefined,
    log: Logger,
    ipvsNamespace?: string,
  ): LvsSyncDaemonControl | undefined {
    if (config?.instance === undefined) return undefined;
    const vrid = vridOf(config.instance);
    if (vrid === undefined) {
      log.error(`Unable to find vrrp instance ${config.instance} for lvs_syncd - clearing lvs_syncd config`);
      return undefined;
    }
    const where = ipvsNamespace === undefined ? undefined : namespacePath(ipvsNamespace);
    return new LvsSyncDaemonControl(
      { ...config, instance: config.instance },
      config.syncId ?? vrid,
      log,
      where,
    );
  }

  /** The instance starts in BACKUP: so does the sync daemon. */
  start(): void {
    this.switchTo('backup');
  }

  /** An instance changed state: the sync daemon follows its own instance into and out of MASTER. */
  stateChanged(instance: string, to: string): void {
    if (instance !== this.config.instance) return;
    if (to === 'MASTER') this.switchTo('master');
    else if (this.role === 'master') this.switchTo('backup');
  }

  async stop(): Promise<void> {
    const role = this.role;
    this.role = undefined;
    if (role !== undefined) this.run(() => this.command('stop', role));
    await this.queue;
    const client = await this.client;
    client?.close();
  }

  private switchTo(role: Role): void {
    if (this.role === role) return;
    const previous = this.role;
    this.role = role;
    this.run(async () => {
      if (previous !== undefined) await this.command('stop', previous);
      await this.command('start', role);
    });
  }

  private run(work: () => Promise<void>): void {
    this.queue = this.queue.then(work).catch((e: unknown) => {
      this.log.error(`lvs_sync_daemon: ${(e as Error).message}`);
    });
  }

  private async command(what: 'start' | 'stop', role: Role): Promise<void> {
    const client = await this.ipvs();
    if (client === undefined) return;
    const state = role === 'master' ? IP_VS_STATE_MASTER : IP_VS_STATE_BACKUP;
    if (what === 'stop') {
      await client.stopDaemon({ state, syncId: this.syncId }).catch(() => undefined);
      return;
    }
    const d: IpvsDaemon = { state, mcastIfn: this.config.interface, syncId: this.syncId };
    if (this.config.maxlen) d.syncMaxlen = this.config.maxlen;
    if (this.config.port) d.mcastPort = this.config.port;
    if (this.config.ttl) d.mcastTtl = this.config.ttl;
    if (this.config.group) d.mcastGroup = this.config.group;
    await client.startDaemon(d);
    this.log.info(`Starting IPVS ${role} sync daemon on ${this.config.interface} (syncid ${this.syncId})`);
  }

  private ipvs(): Promise<IpvsClient | undefined> {
    this.client ??= IpvsClient.open({ netNamespace: this.netNamespace }).catch((e: unknown) => {
      this.log.error(`lvs_sync_daemon ${this.config.interface}: ${(e as Error).message}; no connection sync`);
      return undefined;
    });
    return this.client;
  }
}
