// interface_up_down_delays at the edge: a link change on an interface with a delay reaches the engine only
// once it has lasted that long (vrrp/link-delays.ts says how long); a change back before then cancels it,
// and the engine never hears of either. As in keepalived, an interface not yet seen up is believed at
// once, and the log says when a change is held back and when one is cancelled.
import type { LinkDelays } from '../../vrrp/link-delays.js';
import type { Logger } from '../process/log.js';

export class LinkDebounce {
  private readonly pending = new Map<string, { up: boolean; timer: NodeJS.Timeout }>();
  private readonly believed = new Map<string, boolean>();
  private readonly seenUp = new Set<string>();

  constructor(
    private delays: ReadonlyMap<string, LinkDelays>,
    private readonly deliver: (name: string, up: boolean) => void,
    private readonly log: Logger,
  ) {}

  /** The links as the daemon starts: believed as they are, no delay for the first change of one up. */
  init(links: Iterable<{ name: string; up: boolean }>): void {
    for (const l of links) {
      this.believed.set(l.name, l.up);
      if (l.up) this.seenUp.add(l.name);
    }
  }

  /** Whether `name` is up as far as the engine was told (undefined: never heard of). */
  up(name: string): boolean | undefined {
    return this.believed.get(name);
  }

  /** A reload: the new delays apply to the next change. */
  setDelays(delays: ReadonlyMap<string, LinkDelays>): void {
    this.delays = delays;
  }

  /** The kernel says `name` is now up (or down). */
  change(name: string, up: boolean): void {
    const pending = this.pending.get(name);
    if (pending !== undefined) {
      if (pending.up === up) return;
      clearTimeout(pending.timer);
      this.pending.delete(name);
      this.log.info(`Delay timer for ${name} cancelled`);
      if (this.believed.get(name) === up) return;
    }
    const d = this.delays.get(name);
    const ms = d === undefined ? 0 : up ? d.upMs : d.downMs;
    if (ms > 0 && this.seenUp.has(name) && this.believed.get(name) !== up) {
      this.log.info(
        `${name}: Adding flags change from ${this.believed.get(name) ? 'up' : 'down'} to ${up ? 'up' : 'down'} delay by ${Math.round(ms * 1000)}`,
      );
      const timer = setTimeout(() => {
        this.pending.delete(name);
        this.believe(name, up);
      }, ms);
      this.pending.set(name, { up, timer });
      return;
    }
    this.believe(name, up);
  }

  close(): void {
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private believe(name: string, up: boolean): void {
    if (up) this.seenUp.add(name);
    this.believed.set(name, up);
    this.deliver(name, up);
  }
}
