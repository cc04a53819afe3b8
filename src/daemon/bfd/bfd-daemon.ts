// The BFD child, as keepalived's: runs every bfd_instance session and tells the supervisor when one goes
// Up or falls Down, for the VRRP child (track_bfd) and the checker child (BFD_CHECK). The pure engine
// decides; here are the sockets, a precise timer and keepalived's log lines.
import { cpus } from 'node:os';
import { ProcessControl, processSettings } from '../process/process-settings.js';
import { writeFileSync } from 'node:fs';
import { BfdEngine } from '../../bfd/engine.js';
import { bfdSessionSpecs } from '../../bfd/from-model.js';
import { diagText } from '../../bfd/packet.js';
import type { BfdAction, BfdEvent, BfdSessionSpec } from '../../bfd/spec.js';
import type { DaemonOptions } from '../process/options.js';
import type { BfdInstance } from '../../config/model/bfd/bfd-instance.js';
import type { Model } from '../../config/index.js';
import { ConfigFile } from '../process/config-file.js';
import { monotonicNowNs, PreciseTimer } from '../../net/precise-timer.js';
import { BfdIo, type BfdPacketEvent } from './bfd-io.js';
import { BfdTxClock } from './bfd-tx.js';
import type { Logger } from '../process/log.js';
import { removePidFile, writePidFile } from '../process/pidfile.js';
import { dumpFile, dumpNaming } from '../process/dump-files.js';
import { ConfigSaves } from '../process/config-save.js';
import { msToNs, nsToMs } from '../../common/units.js';

/** What the BFD child tells the supervisor, which relays it to the children the session is scoped to. */
export interface BfdStateMessage {
  type: 'bfd-state';
  name: string;
  up: boolean;
  vrrp: boolean;
  checker: boolean;
}

export class BfdDaemon {
  private readonly config: ConfigFile;
  private readonly processControl: ProcessControl;
  private engine: BfdEngine | undefined;
  private io: BfdIo | undefined;
  private timer: PreciseTimer | undefined;
  /** The native sender of periodic packets (undefined: the JS thread sends them). */
  private tx: BfdTxClock | undefined;
  private instances = new Map<string, BfdInstance>();
  private lastRx = new Map<string, number>();
  private readonly detectTimes = new Map<string, number>();

  private dumpPath = dumpFile('keepalived_bfd.data', { useInstance: false });
  /** config_save_dir of the running configuration. */
  private saveDir: string | undefined;
  private readonly saves: ConfigSaves;

  constructor(
    private readonly options: DaemonOptions,
    private readonly log: Logger,
    private readonly report: (message: BfdStateMessage) => void,
  ) {
    this.config = new ConfigFile(options, log);
    this.saves = new ConfigSaves('bfd', log);
    this.processControl = new ProcessControl('BFD', log);
  }

  private now(): number {
    return nsToMs(monotonicNowNs());
  }

  start(): void {
    writePidFile(this.options.bfdPidFile);
    const model = this.config.load();
    this.saveDir = model.global.configSaveDir;
    this.dumpPath = dumpFile('keepalived_bfd.data', dumpNaming(this.options, model.global));
    // bfd_rt_priority first: the timed sender's thread takes one above it when it starts (bfd-tx.ts).
    this.processControl.apply(processSettings(model.global, 'bfd', cpus().length));
    this.run(model.bfd);
  }

  private run(instances: readonly BfdInstance[]): void {
    this.instances = new Map(instances.map((b) => [b.name, b]));
    const specs = bfdSessionSpecs(instances);
    this.tx = BfdTxClock.open(
      (session) => this.io?.socketFd(session),
      (session, sentAtMs) => this.handle(sentAtMs, { type: 'sent', session }),
      (message) => this.log.error(message),
    );
    this.engine = new BfdEngine(specs, { random: Math.random, timedTx: this.tx !== undefined });
    this.io = this.openIo();
    this.io.open(specs);
    this.timer = new PreciseTimer(() => this.feed({ type: 'timer' }));
    for (const s of specs) this.describe(s);
    // Every session starts Down: say so, so that trackers start from a known state (keepalived does too).
    for (const b of instances) this.report(this.message(b, false));
    this.feed({ type: 'start' });
  }

  private describe(s: BfdSessionSpec): void {
    this.log.info(
      `(${s.name}) neighbor ${s.neighbor}${s.source !== undefined ? ` source ${s.source}` : ''}` +
        ` ${s.multihop ? 'multihop' : 'single hop'}, min_rx ${s.requiredMinRxUs / 1000} ms,` +
        ` min_tx ${s.desiredMinTxUs / 1000} ms, idle_tx ${s.idleTxUs / 1000} ms, multiplier ${s.detectMult}` +
        `${s.passive ? ', passive' : ''}`,
    );
  }

  private openIo(): BfdIo {
    return new BfdIo(
      (ev, arrivedAtMs) => this.packet(ev, arrivedAtMs),
      (message) => this.log.error(message),
    );
  }

  /** A received packet counts from its arrival, when the socket told it (read late by a busy thread). */
  private packet(event: BfdPacketEvent, arrivedAtMs: number | undefined): void {
    this.tx?.takeSends();
    const now = this.now();
    this.handle(arrivedAtMs !== undefined && arrivedAtMs < now ? arrivedAtMs : now, event);
  }

  private feed(event: BfdEvent): void {
    // The thread's sends first, and packets that came before a deadline before the deadline is judged.
    this.tx?.takeSends();
    if (event.type === 'timer') this.io?.drain();
    this.handle(this.now(), event);
  }

  private handle(now: number, event: BfdEvent): void {
    const engine = this.engine;
    if (!engine) return;
    if (event.type === 'packet') this.lastRx.set(event.from, now);
    for (const a of engine.handle(now, event)) this.apply(now, a);
    const next = engine.nextDeadline();
    if (next === undefined) this.timer?.disarm();
    else this.timer?.armAt(msToNs(next, 'up'));
  }

  private apply(now: number, a: BfdAction): void {
    switch (a.type) {
      case 'send':
        this.io?.send(a.session, a.family, a.to, a.port, a.data);
        return;
      case 'state': {
        const b = this.instances.get(a.session);
        if (a.to === 'Down' && a.from === 'Up') {
          if (a.diag === 1) {
            const last = b ? this.lastRx.get(b.neighbor.address) : undefined;
            if (last !== undefined)
              this.log.warn(`(${a.session}) Expired after ${Math.round(now - last)} ms`);
          }
          this.log.warn(
            `(${a.session}) Entering Down state (Local diagnostic - ${diagText(a.diag)},` +
              ` Remote diagnostic - ${diagText(a.remoteDiag)})`,
          );
        } else if (a.to === 'Up') this.log.info(`(${a.session}) Entering Up state`);
        else this.log.debug(`(${a.session}) Entering ${a.to} state`);
        if (a.notify && b) this.report(this.message(b, a.to === 'Up'));
        return;
      }
      case 'timers': {
        // keepalived 2.2.7's wording, in microseconds; plus the transmit interval it shows in its table.
        const was = this.detectTimes.get(a.session) ?? 0;
        this.detectTimes.set(a.session, a.detectTimeUs);
        if (was !== a.detectTimeUs)
          this.log.info(`(${a.session}) Detection time is ${a.detectTimeUs} us (was ${was} us)`);
        this.log.info(`(${a.session}) Transmit interval is ${a.txIntervalUs} us`);
        return;
      }
      case 'drop':
        this.log.debug(`BFD: discarding packet from ${a.from} (${a.reason})`);
        return;
      case 'arm-tx':
        if (this.tx?.arm(a) === false) this.log.error(`(${a.session}) cannot arm the timed sender`);
        return;
      case 'disarm-tx':
        this.tx?.disarm(a.session);
        return;
    }
  }

  private message(b: BfdInstance, up: boolean): BfdStateMessage {
    return { type: 'bfd-state', name: b.name, up, vrrp: b.notifyVrrp, checker: b.notifyChecker };
  }

  /** SIGUSR1: session parameters and counters, as keepalived's keepalived_bfd.data (in TMPDIR). */
  dump(): void {
    writeFileSync(this.dumpPath, this.dumpText());
  }

  private dumpText(): string {
    const sessions = this.engine?.snapshot() ?? [];
    const drops = Object.fromEntries(this.engine?.drops ?? []);
    return JSON.stringify({ sessions, drops }, null, 2) + '\n';
  }

  stop(): void {
    this.timer?.close();
    this.tx?.close();
    this.tx = undefined;
    this.io?.close();
    this.timer = undefined;
    this.io = undefined;
    this.engine = undefined;
    removePidFile(this.options.bfdPidFile);
  }

  /** SIGHUP, with config_save_dir's copies of the dump around it. */
  reload(): void {
    this.saves.before(this.saveDir, () => this.dumpText());
    const model = this.reloadSessions();
    if (model === undefined) return;
    this.saveDir = model.global.configSaveDir;
    this.saves.after(this.saveDir, () => this.dumpText());
  }

  /** A fresh set of sessions (keepalived keeps unchanged sessions' state; we restart them); undefined: the
   * new configuration was refused. */
  private reloadSessions(): Model | undefined {
    this.processControl.reset();
    const model = this.config.reload();
    if (model === undefined) {
      this.processControl.reapply();
      return undefined;
    }
    this.processControl.apply(processSettings(model.global, 'bfd', cpus().length));
    const engine = this.engine;
    if (!engine) return model;
    this.instances = new Map(model.bfd.map((b) => [b.name, b]));
    const specs = bfdSessionSpecs(model.bfd);
    // Sockets follow the new set of sessions; unchanged sessions keep their state (no flap for trackers).
    // The sender lets go of the old sockets first, and is armed again with the new ones.
    this.tx?.disarmAll();
    engine.forgetArms();
    this.io?.close();
    this.io = this.openIo();
    this.io.open(specs);
    const now = this.now();
    const { actions, fresh } = engine.reload(now, specs);
    for (const name of fresh) {
      const b = this.instances.get(name);
      if (b) this.report(this.message(b, false));
    }
    for (const a of actions) this.apply(now, a);
    this.feed({ type: 'timer' });
    return model;
  }
}
