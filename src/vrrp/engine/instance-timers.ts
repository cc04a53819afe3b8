// The timers of one instance, and what its periodic advert depends on, behind accessors that tell the
// engine of every change: the engine keeps a deadline queue (deadline-queue.ts) and re-arms the driver's
// periodic adverts ('arm' mode) from these callbacks rather than scanning every instance after each step.
// Instance (instance.ts) extends this with the state machine.
import type { SendAdvertAction } from './events.js';
import { handoverTimerAt, type HandoverState } from './handover.js';
import type { InstanceSpec, VrrpState } from './spec.js';

export abstract class InstanceTimers {
  /** The instance's one protocol timer: next advert (MASTER) or master-down (BACKUP). */
  get sands(): number | undefined {
    return this.sandsAt;
  }
  set sands(at: number | undefined) {
    this.sandsAt = at;
    this.timersChanged();
  }

  get garpDelayAt(): number | undefined {
    return this.garpDelayTimer;
  }
  set garpDelayAt(at: number | undefined) {
    this.garpDelayTimer = at;
    this.timersChanged();
  }

  get lowerPrioGarpAt(): readonly number[] {
    return this.lowerPrioGarpTimers;
  }
  set lowerPrioGarpAt(at: readonly number[]) {
    this.lowerPrioGarpTimers = at;
    this.timersChanged();
  }

  /** A planned handover under way or its hold (handover.ts); its deadline is one of the instance's timers. */
  get handover(): HandoverState | undefined {
    return this.handoverState;
  }
  set handover(h: HandoverState | undefined) {
    this.handoverState = h;
    this.timersChanged();
  }
  protected handoverState: HandoverState | undefined;

  // Timer state behind the accessors above: every change bumps timerGeneration and tells the engine's
  // deadline queue (onTimersChanged), so that the engine never scans all instances for the next one due.
  protected sandsAt: number | undefined;
  protected garpDelayTimer: number | undefined;
  protected lowerPrioGarpTimers: readonly number[] = [];
  timerGeneration = 0;
  onTimersChanged: ((inst: this) => void) | undefined;

  protected timersChanged(): void {
    this.timerGeneration++;
    this.onTimersChanged?.(this);
    this.onAdvertChanged?.(this);
  }

  // What the periodic advert depends on (state, priority, configuration): a change tells the engine
  // (onAdvertChanged), which re-arms or disarms the driver's periodic adverts in 'arm' mode.
  protected specValue: InstanceSpec;
  protected stateValue: VrrpState = 'INIT';
  protected effectivePriorityValue: number;
  onAdvertChanged: ((inst: this) => void) | undefined;
  /** 'arm' mode: the deadline the driver was last armed with (its advert, not the engine's timer). */
  protected armedAtValue: number | undefined;
  /** 'arm' mode: the advert the driver was last armed with, and the configuration it came from. */
  armedSend: SendAdvertAction | undefined;
  armedSpec: InstanceSpec | undefined;

  get spec(): InstanceSpec {
    return this.specValue;
  }
  set spec(spec: InstanceSpec) {
    this.specValue = spec;
    this.onAdvertChanged?.(this);
  }
  get state(): VrrpState {
    return this.stateValue;
  }
  set state(state: VrrpState) {
    this.stateValue = state;
    this.onAdvertChanged?.(this);
  }
  get effectivePriority(): number {
    return this.effectivePriorityValue;
  }
  set effectivePriority(priority: number) {
    this.effectivePriorityValue = priority;
    this.onAdvertChanged?.(this);
  }
  get armedAt(): number | undefined {
    return this.armedAtValue;
  }
  set armedAt(at: number | undefined) {
    this.armedAtValue = at;
    this.timersChanged();
  }

  /** Whether the protocol timer is the driver's armed periodic advert rather than the engine's own. */
  get advertTimedByDriver(): boolean {
    return this.armedAtValue !== undefined && this.sandsAt === this.armedAtValue;
  }

  /** The earliest of the instance's timers the engine itself must fire. */
  nextDeadline(): number | undefined {
    let next = this.advertTimedByDriver ? undefined : this.sandsAt;
    const garp = this.garpDelayTimer;
    if (garp !== undefined && (next === undefined || garp < next)) next = garp;
    for (const t of this.lowerPrioGarpTimers) if (next === undefined || t < next) next = t;
    const handover = handoverTimerAt(this.handoverState);
    if (handover !== undefined && (next === undefined || handover < next)) next = handover;
    return next;
  }

  constructor(spec: InstanceSpec) {
    this.specValue = spec;
    this.effectivePriorityValue = spec.priority;
  }
}
