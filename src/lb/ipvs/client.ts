// The IPVS client: resolves the "IPVS" generic netlink family, sends the commands of messages.ts and
// decodes the answers. One method per command; kernel refusals become IpvsCommandError (errno name +
// keepalived's text), a kernel without IPVS becomes IpvsUnavailableError.

import {
  GenericNetlink,
  type GenlFamily,
  type GenlMessage,
  GenetlinkError,
  GenlFamilyNotFoundError,
} from '../../net/netlink/genetlink.js';
import { inNetNamespace } from '../../net/netns.js';
import { IPVS_GENL_NAME } from './constants.js';
import type { IpvsDaemon, IpvsInfo, IpvsTimeouts } from './daemon.js';
import { formatIpvsVersion } from './daemon.js';
import type { IpvsDestination } from './destination.js';
import { IpvsCommandError, IpvsUnavailableError } from './errors.js';
import {
  type IpvsCommand,
  type IpvsReply,
  decodeIpvsReply,
  ipvsCommands,
  toGenlCommand,
} from './messages.js';
import type { IpvsService, IpvsServiceId } from './service.js';

export interface IpvsClientOptions {
  /** Use this generic netlink client (tests, or a socket in another namespace); closed with the client. */
  genl?: GenericNetlink;
  /** Reject a command the kernel has not answered within this time (default 5000 ms). */
  timeoutMs?: number;
  /** The network namespace whose IPVS to drive (net_namespace_ipvs: a path, net/netns.ts); default ours. */
  netNamespace?: string;
}

const EPERM = 1;
/** Room for the answers of a window of pipelined commands (plane.ts keeps up to 64 in flight). */
const RECEIVE_BUFFER_BYTES = 1 << 20;

export class IpvsClient {
  private constructor(
    private readonly genl: GenericNetlink,
    /** The family as the controller described it (id, version). */
    readonly family: GenlFamily,
    /** The module's version and connection table size, read at open as keepalived's ipvs_init does. */
    readonly info: IpvsInfo,
  ) {}

  /**
   * Resolves the IPVS family (the kernel loads ip_vs on demand when it can) and reads its info.
   * Rejects with IpvsUnavailableError when the kernel has no IPVS or refuses us.
   */
  static async open(options: IpvsClientOptions = {}): Promise<IpvsClient> {
    const open = (): GenericNetlink =>
      GenericNetlink.open({ timeoutMs: options.timeoutMs, receiveBufferBytes: RECEIVE_BUFFER_BYTES });
    const where = options.genl === undefined ? options.netNamespace : undefined;
    let genl: GenericNetlink;
    try {
      genl = options.genl ?? (where === undefined ? open() : inNetNamespace(where, open));
    } catch (error) {
      const why = (error as Error).message;
      throw where === undefined
        ? new IpvsUnavailableError('no-genetlink', `no generic netlink socket (${why})`)
        : new IpvsUnavailableError(
            'no-namespace',
            `cannot open a socket in network namespace ${where} (${why})`,
          );
    }
    try {
      const family = await genl.resolveFamily(IPVS_GENL_NAME);
      const probe = new IpvsClient(genl, family, { version: 0, connTabSize: 0 });
      const info = await probe.getInfo();
      return new IpvsClient(genl, family, info);
    } catch (error) {
      genl.close();
      if (error instanceof GenlFamilyNotFoundError) {
        throw new IpvsUnavailableError(
          'no-ipvs',
          'the kernel has no IPVS (no generic netlink family "IPVS": ip_vs module missing or not loadable)',
        );
      }
      if (error instanceof IpvsCommandError && error.errno === EPERM) {
        throw new IpvsUnavailableError('no-permission', 'Permission denied (you must be root)');
      }
      throw error;
    }
  }

  /** "1.2.1". */
  get version(): string {
    return formatIpvsVersion(this.info.version);
  }

  close(): void {
    this.genl.close();
  }

  /** Sends one command; resolves with its decoded answers. Undecodable answers reject with EBADMSG. */
  async run(c: IpvsCommand, serviceAf?: number): Promise<IpvsReply[]> {
    let replies: GenlMessage[];
    try {
      const g = toGenlCommand(this.family.id, c);
      replies = c.dump ? await this.genl.dump(g) : await this.genl.command(g);
    } catch (error) {
      if (error instanceof GenetlinkError) {
        throw new IpvsCommandError(c.cmd, error.code, error.errno, error.kernelMessage);
      }
      throw error;
    }
    return replies.map((m) => {
      const r = decodeIpvsReply(m, serviceAf);
      if (!r.ok)
        throw Object.assign(new Error(`malformed IPVS reply (${r.stage}): ${r.error}`), { code: 'EBADMSG' });
      return r.value;
    });
  }

  async getInfo(): Promise<IpvsInfo> {
    for (const r of await this.run(ipvsCommands.getInfo())) if (r.kind === 'info') return r.info;
    throw Object.assign(new Error('IPVS GET_INFO gave no answer'), { code: 'EBADMSG' });
  }

  async addService(s: IpvsService): Promise<void> {
    await this.run(ipvsCommands.newService(s));
  }

  async editService(s: IpvsService): Promise<void> {
    await this.run(ipvsCommands.setService(s));
  }

  async deleteService(s: IpvsService): Promise<void> {
    await this.run(ipvsCommands.delService(s));
  }

  /** One service with its counters; undefined when there is none (ESRCH). */
  async getService(id: IpvsServiceId): Promise<IpvsService | undefined> {
    try {
      for (const r of await this.run(ipvsCommands.getService(id))) if (r.kind === 'service') return r.service;
      return undefined;
    } catch (error) {
      if (error instanceof IpvsCommandError && error.code === 'ESRCH') return undefined;
      throw error;
    }
  }

  async listServices(): Promise<IpvsService[]> {
    return (await this.run(ipvsCommands.dumpServices())).flatMap((r) =>
      r.kind === 'service' ? [r.service] : [],
    );
  }

  async addDestination(s: IpvsService, d: IpvsDestination): Promise<void> {
    await this.run(ipvsCommands.newDestination(s, d));
  }

  async editDestination(s: IpvsService, d: IpvsDestination): Promise<void> {
    await this.run(ipvsCommands.setDestination(s, d));
  }

  async deleteDestination(s: IpvsService, d: IpvsDestination): Promise<void> {
    await this.run(ipvsCommands.delDestination(s, d));
  }

  /** The destinations of a service (none when the service does not exist). */
  async listDestinations(id: IpvsServiceId): Promise<IpvsDestination[]> {
    return (await this.run(ipvsCommands.dumpDestinations(id), id.af)).flatMap((r) =>
      r.kind === 'destination' ? [r.destination] : [],
    );
  }

  async getTimeouts(): Promise<IpvsTimeouts> {
    for (const r of await this.run(ipvsCommands.getConfig())) if (r.kind === 'timeouts') return r.timeouts;
    return {};
  }

  /** Absent or zero fields leave the kernel's value as it is. */
  async setTimeouts(t: IpvsTimeouts): Promise<void> {
    await this.run(ipvsCommands.setConfig(t));
  }

  async startDaemon(d: IpvsDaemon): Promise<void> {
    await this.run(ipvsCommands.newDaemon(d));
  }

  async stopDaemon(d: IpvsDaemon): Promise<void> {
    await this.run(ipvsCommands.delDaemon(d));
  }

  /** The running sync daemons (master and/or backup). */
  async listDaemons(): Promise<IpvsDaemon[]> {
    return (await this.run(ipvsCommands.dumpDaemons())).flatMap((r) =>
      r.kind === 'daemon' ? [r.daemon] : [],
    );
  }

  async zero(id?: IpvsServiceId): Promise<void> {
    await this.run(ipvsCommands.zero(id));
  }

  /** Removes every service and destination of this network namespace. */
  async flush(): Promise<void> {
    await this.run(ipvsCommands.flush());
  }
}

export type IpvsProbe =
  | { available: true; version: string; connTabSize: number }
  | { available: false; error: IpvsUnavailableError };

/** Whether IPVS can be used here, for a once-only log line; other errors reject. */
export async function probeIpvs(options: IpvsClientOptions = {}): Promise<IpvsProbe> {
  try {
    const c = await IpvsClient.open(options);
    c.close();
    return { available: true, version: c.version, connTabSize: c.info.connTabSize };
  } catch (error) {
    if (error instanceof IpvsUnavailableError) return { available: false, error };
    throw error;
  }
}
