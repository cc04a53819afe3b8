// The evidence the fixture oracle keeps beside each fixture (tests/fixtures/vrrp/NAME.keepalived.json): what
// keepalived 2.2.7 did and, expectation by expectation, whether that is what the fixture says. A type-only
// module, so that the unit tier can check the evidence without loading the lab.
import type { DrivenEvent, ExpectVerdict, Verdict } from './oracle-compare.js';

export const EVIDENCE_FORMAT = 1;

export interface Evidence {
  format: number;
  fixture: string;
  fixtureSha256: string;
  what: string;
  keepalived: string;
  kernel: string;
  date: string;
  verdict: 'agree' | 'differ';
  summary: Record<Verdict, number>;
  tolerancesMs: Record<string, number>;
  timeBase: {
    anchor: string;
    launchToAnchorMs: number;
    /** Scheduling of the oracle's time-keeping thread while it ran. */
    scheduling: string;
    /** How far each driven event was from its planned time (ms); reloads: SIGHUP to re-armed timers. */
    eventOffsetsMs: { t: number; what: string; ms: number | null }[];
  };
  config: string[];
  reloadConfigs: string[][];
  substitutions: string[];
  events: DrivenEvent[];
  expectations: ExpectVerdict[];
  differences: {
    record: number;
    t: number;
    what: string;
    expected: unknown;
    observed: unknown;
    note?: string;
  }[];
  observed: { t: number; channel: string; seen: string; matched: boolean }[];
  /** keepalived's console log with arrival times on the fixture's clock (the date prefix cut). */
  log: string[];
  runMs: number;
  /** Runs it took (the bench runs a fixture again when its driven events were off their time). */
  attempts?: number;
  driverLate?: string;
}
