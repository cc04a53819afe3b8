// The nftables data plane: the load-balancing table realised with the kernel's nf_tables, through our own
// nfnetlink batches (no nft(8) at run time). Each apply is planned (planner.ts, pure) and committed as
// one transaction; a refused transaction changes nothing and rejects naming the table change at fault.
// A clean close removes our tables; the first apply of a run replaces what a crashed run left.

import { decodeRtnlMessage, encodeRtmsg, RTA_DST, RTM_GETROUTE } from '../../net/netlink/rtnl-messages.js';
import { attr, encodeAttrs, NLM_F_REQUEST } from '../../net/netlink/codec.js';
import { addressBuffer } from '../../net/netlink/ip-text.js';
import { NfnetlinkBatchClient, NfnetlinkBatchError } from '../../net/netlink/nfnetlink-batch.js';
import { Rtnetlink } from '../../net/netlink/rtnetlink.js';
import type { DataPlane, LbChange, LbTable } from '../table/types.js';
import { describeOp, encodeOps } from './ops.js';
import { type CheckTarget, type CheckedElements, checkedElements, NO_CHECKED_ELEMENTS } from './notrack.js';
import { EMPTY_STATE, type Plan, type PlaneState, planApply, planChecked, planRemoveAll } from './planner.js';

export interface NftablesPlaneOptions {
  /**
   * Devices whose ingress the DR table hooks (where packets for DR virtual servers arrive). Default: every
   * device but loopback present when the first DR service is applied.
   */
  drIngressDevices?: readonly string[];
  /** Keep our tables when closing (default: a clean stop removes them). */
  keepOnClose?: boolean;
  /** For tests: the clients to use instead of opening sockets. */
  batchClient?: NfnetlinkBatchClient;
  rtnetlink?: Rtnetlink;
}

/** What the last commit sent, for benches and logs. */
export interface ApplyStats {
  operations: number;
  messages: number;
  /** Time to plan and encode, and time in the kernel (sendmsg to acknowledgement), in ms. */
  planMs: number;
  commitMs: number;
}

const AF_INET = 2;
const AF_INET6 = 10;

export class NftablesPlane implements DataPlane {
  readonly name = 'nftables' as const;
  private state: PlaneState = EMPTY_STATE;
  private readonly drIfindex = new Map<string, number>();
  private ingressDevices: readonly string[] | undefined;
  /** The check targets whose connections stay out of conntrack (notrack.ts). */
  private checked: CheckedElements = NO_CHECKED_ELEMENTS;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();
  /** Figures of the last successful apply. */
  lastApply: ApplyStats | undefined;

  private constructor(
    private readonly batch: NfnetlinkBatchClient,
    private readonly rtnl: Rtnetlink,
    private readonly options: NftablesPlaneOptions,
  ) {
    this.ingressDevices = options.drIngressDevices;
  }

  static open(options: NftablesPlaneOptions = {}): NftablesPlane {
    const batch = options.batchClient ?? NfnetlinkBatchClient.open();
    const rtnl = options.rtnetlink ?? Rtnetlink.open();
    return new NftablesPlane(batch, rtnl, options);
  }

  /** The kernel-side state this plane believes in (for tests and the status dump). */
  get plannedState(): PlaneState {
    return this.state;
  }

  /** Applies are serialised: each is planned from the state the previous one left. */
  apply(changes: readonly LbChange[], next: LbTable): Promise<void> {
    return this.serialise(async () => {
      const started = performance.now();
      await this.resolveDrServers(next);
      const plan = planApply(
        this.state,
        changes,
        next,
        { drIfindex: this.drIfindex },
        { ingressDevices: this.ingressDevices ?? [], checked: this.checked },
      );
      await this.commit(plan, started);
    });
  }

  /**
   * What the checkers connect to: their connections (and the answers) are kept out of conntrack from now
   * on, the previous targets' no longer.
   */
  setCheckTargets(targets: Iterable<CheckTarget>): Promise<void> {
    const wanted = checkedElements(targets);
    return this.serialise(async () => {
      this.checked = wanted;
      const plan = planChecked(this.state, wanted);
      if (plan.ops.length > 0) await this.commit(plan, performance.now());
      else this.state = plan.state;
    });
  }

  flush(): Promise<void> {
    return this.serialise(() => this.commit(planRemoveAll(), performance.now()));
  }

  private serialise(work: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => {
      if (this.closed) throw new Error('nftables data plane closed');
      return work();
    });
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      // Synchronous: the kernel commits inside sendmsg, so the tables are gone when this returns.
      // Also when nothing was applied yet: a clean stop leaves no table of ours, not even a crashed run's.
      if (!this.options.keepOnClose) {
        this.batch.commitAndForget(encodeOps(planRemoveAll().ops).messages);
      }
    } finally {
      if (!this.options.batchClient) this.batch.close();
      if (!this.options.rtnetlink) this.rtnl.close();
    }
  }

  private async commit(plan: Plan, started: number): Promise<void> {
    const encoded = encodeOps(plan.ops);
    const planned = performance.now();
    try {
      await this.batch.commit(encoded.messages);
    } catch (error) {
      if (error instanceof NfnetlinkBatchError && error.index >= 0) {
        const op = plan.ops[encoded.opOf[error.index] as number];
        if (op) {
          throw new Error(
            `nftables: ${op.cause}: the kernel refused "${describeOp(op)}" with ${error.code}` +
              (error.kernelMessage ? ` (${error.kernelMessage})` : '') +
              '; nothing of this change was applied',
            { cause: error },
          );
        }
      }
      throw error;
    }
    this.state = plan.state;
    this.lastApply = {
      operations: plan.ops.length,
      messages: encoded.messages.length,
      planMs: planned - started,
      commitMs: performance.now() - planned,
    };
  }

  /** The egress device of every DR real server not yet known, from the kernel's route to it. */
  private async resolveDrServers(next: LbTable): Promise<void> {
    let anyDr = false;
    for (const service of next.services) {
      for (const d of service.destinations) {
        if (d.method !== 'DR') continue;
        anyDr = true;
        if (this.drIfindex.has(d.address)) continue;
        const ifindex = await this.directRoute(d.address, d.family === 'inet6');
        if (ifindex !== undefined) this.drIfindex.set(d.address, ifindex);
      }
    }
    if (anyDr && this.ingressDevices === undefined) {
      const links = await this.rtnl.listLinks();
      this.ingressDevices = links.filter((l) => l.hwType !== 772).map((l) => l.name);
    }
  }

  /** The device a directly connected address is reached through; undefined behind a gateway or local. */
  private async directRoute(address: string, v6: boolean): Promise<number | undefined> {
    const header = encodeRtmsg({
      family: v6 ? AF_INET6 : AF_INET,
      dstLen: v6 ? 128 : 32,
      srcLen: 0,
      tos: 0,
      table: 0,
      protocol: 0,
      scope: 0,
      type: 0,
      flags: 0,
    });
    const payload = Buffer.concat([header, encodeAttrs([attr.bytes(RTA_DST, addressBuffer(address))])]);
    let replies;
    try {
      replies = await this.rtnl.request({ type: RTM_GETROUTE, flags: NLM_F_REQUEST, payload });
    } catch {
      return undefined; // unreachable: realise() reports the server as not directly connected
    }
    for (const m of replies) {
      const r = decodeRtnlMessage(m);
      if (r.ok && r.value?.kind === 'route') {
        const route = r.value.route;
        if (route.gateway !== undefined || route.type !== 'unicast') return undefined;
        return route.oif;
      }
    }
    return undefined;
  }
}
