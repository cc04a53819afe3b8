// What one engine step hands to the parts it calls (instances, sync groups): the time, where actions go,
// the shared GARP scheduler, why the step happens.
import type { Action } from './events.js';
import type { GarpScheduler } from './garp.js';
import type { EngineReport } from './reports.js';

export interface StepContext {
  now: number;
  out: Action[];
  garp: GarpScheduler;
  /** Why the current step happens, carried into state-change actions. */
  reason: string;
  /** 'arm' mode: periodic adverts are the driver's (arm-periodic-advert). */
  armAdverts: boolean;
  /** The instance whose armed periodic advert the driver just sent (an advert-sent event). */
  sentByDriver?: unknown;
  /** What the step observed (takeovers, split brain): read by the daemon, never acted upon. */
  reports?: EngineReport[];
}
