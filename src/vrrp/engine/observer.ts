// What one instance observes for the reports (reports.ts), kept out of its state machine: the last advert
// heard as BACKUP (where a takeover's timing starts) and the split-brain watch while MASTER. The instance
// calls in at its transitions, receptions and adverts; nothing here feeds back into what it does.
import type { ReceivedAdvert } from '../advert.js';
import type { HeardAdvert } from './reports.js';
import type { InstanceSpec, VrrpState } from './spec.js';
import { SplitBrainWatch, type WatchContext } from './split-brain.js';
import type { StepContext } from './step.js';

/** What the observer reads of its instance. */
export interface ObservedInstance {
  readonly name: string;
  readonly spec: InstanceSpec;
  readonly effectivePriority: number;
  downTimerMs(): number;
}

export class InstanceObserver {
  /** The last advert heard while BACKUP (reset on entering BACKUP). */
  private lastHeard: HeardAdvert | undefined;
  private readonly splitBrain = new SplitBrainWatch();

  constructor(private readonly inst: ObservedInstance) {}

  /** A state change: a BACKUP -> MASTER is a takeover; leaving MASTER ends any split brain. */
  transition(ctx: StepContext, from: VrrpState, to: VrrpState): void {
    const inst = this.inst;
    if (from === 'BACKUP' && to === 'MASTER')
      ctx.reports?.push({
        type: 'takeover',
        instance: inst.name,
        decidedAt: ctx.now,
        reason: ctx.reason,
        ...(this.lastHeard !== undefined ? { lastAdvert: this.lastHeard } : {}),
        masterDownIntervalMs: inst.downTimerMs(),
      });
    if (from === 'MASTER')
      ctx.reports?.push(
        ...this.splitBrain.end(
          ctx.now,
          { instance: inst.name, vrid: inst.spec.vrid },
          `we left MASTER for ${to}`,
        ),
      );
    if (to === 'BACKUP') this.lastHeard = undefined;
  }

  /** An advert accepted while BACKUP. */
  heardAsBackup(ctx: StepContext, received: ReceivedAdvert): void {
    this.lastHeard = {
      at: ctx.now,
      from: received.source,
      priority: received.advert.priority,
      ...(received.arrivedAt !== undefined ? { arrivedAt: received.arrivedAt } : {}),
    };
  }

  /** An advert after which we stay MASTER (lower priority, or equal from a lower address). */
  heardAsMaster(ctx: StepContext, received: ReceivedAdvert): void {
    const a = received.advert;
    const report = this.splitBrain.heard(
      ctx.now,
      received.source,
      a.priority,
      a.addresses,
      this.watchContext(),
    );
    if (report !== undefined) ctx.reports?.push(report);
  }

  /** One of our periodic adverts as MASTER: other masters silent for an interval are gone. */
  advertised(ctx: StepContext): void {
    const inst = this.inst;
    ctx.reports?.push(
      ...this.splitBrain.expire(ctx.now, {
        instance: inst.name,
        vrid: inst.spec.vrid,
        intervalMs: inst.downTimerMs(),
      }),
    );
  }

  private watchContext(): WatchContext {
    const inst = this.inst;
    return {
      instance: inst.name,
      vrid: inst.spec.vrid,
      us: {
        ...(inst.spec.sourceAddress !== undefined ? { address: inst.spec.sourceAddress } : {}),
        priority: inst.effectivePriority,
        addresses: inst.spec.addresses.map((v) => v.address),
      },
      intervalMs: inst.downTimerMs(),
    };
  }
}
