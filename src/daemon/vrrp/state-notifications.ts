// The engine's notify actions, to everyone who hears of a state change: the notify scripts and FIFOs, mail
// alerts, SNMP traps and the DBus signal. keepalived's notify_master_rx_lower_pri call repeats MASTER
// without a state change: it runs that script only, and DBus hears nothing of it.
import type { Action, EngineSnapshot } from '../../vrrp/engine/engine.js';
import type { NotifySpec } from '../../vrrp/engine/spec.js';
import type { VrrpSetup } from '../../vrrp/from-model.js';
import type { VrrpSmtpAlerts } from '../alerts/vrrp-alerts.js';
import type { Notifier } from '../process/notifier.js';
import type { VrrpDbus } from './vrrp-dbus.js';
import type { VrrpSnmp } from './vrrp-snmp.js';

type NotifyAction = Extract<Action, { type: 'notify' }>;

/** Where notifications go; read at each call, as a reload may start or stop some of them. */
export interface NotifyTargets {
  setup(): VrrpSetup;
  notifier(): Notifier;
  smtpAlerts(): VrrpSmtpAlerts | undefined;
  snmp(): VrrpSnmp | undefined;
  dbus(): VrrpDbus | undefined;
}

export class StateNotifications {
  /** The state each instance's last notify announced (tells notify_master_rx_lower_pri's call apart). */
  private readonly lastNotified = new Map<string, string>();

  constructor(private readonly to: NotifyTargets) {}

  run(a: NotifyAction): void {
    const notifier = this.to.notifier();
    if (a.event !== undefined) {
      for (const script of a.scripts) void notifier.runAs(script);
      notifier.writeFifos(`${a.kind} "${a.name}" ${a.event} ${a.priority}\n`);
      return;
    }
    this.to.smtpAlerts()?.notify(a.kind, a.name, a.state);
    this.to.snmp()?.stateChanged(a.kind, a.name, a.state);
    if (a.kind === 'INSTANCE' && !this.isRxLowerPriNotify(a)) {
      this.lastNotified.set(a.name, a.state);
      this.to.dbus()?.stateChanged(a.name, a.state);
    }
    const n = this.notifySpec(a.name, a.kind);
    if (n === undefined) return;
    const specific =
      a.state === 'MASTER'
        ? n.master
        : a.state === 'BACKUP'
          ? n.backup
          : a.state === 'FAULT'
            ? n.fault
            : a.state === 'STOP'
              ? n.stop
              : undefined;
    notifier.notify(a.kind, a.name, a.state, a.priority, specific, n.generic);
  }

  /**
   * fifo_write_vrrp_states_on_reload (keepalived 2.4.3's vrrp_init_state): after a reload, the FIFOs hear
   * the state of each sync group that kept its state (and of any MASTER group), and of each instance that
   * kept a state other than MASTER; a state that changed was announced by its own notify already.
   */
  statesAfterReload(before: EngineSnapshot, after: EngineSnapshot): void {
    const notifier = this.to.notifier();
    const was = (list: Array<{ name: string; state: string }>, name: string): string | undefined =>
      list.find((x) => x.name === name)?.state;
    for (const g of after.groups)
      if (g.state === 'MASTER' || was(before.groups, g.name) === g.state)
        notifier.writeFifos(`GROUP "${g.name}" ${g.state} 0\n`);
    for (const i of after.instances)
      if (i.state !== 'MASTER' && was(before.instances, i.name) === i.state)
        notifier.writeFifos(`INSTANCE "${i.name}" ${i.state} ${i.effectivePriority}\n`);
  }

  private notifySpec(name: string, kind: 'INSTANCE' | 'GROUP'): NotifySpec | undefined {
    const setup = this.to.setup();
    if (kind === 'INSTANCE') return setup.instances.get(name)?.spec.notify;
    return setup.engine.syncGroups.find((g) => g.name === name)?.notify;
  }

  /** notify_master_rx_lower_pri's call is no state change: keepalived runs only that script for it. */
  private isRxLowerPriNotify(a: NotifyAction): boolean {
    const script = this.to.setup().instances.get(a.name)?.spec.notify.masterRxLowerPri;
    return (
      script !== undefined &&
      a.state === 'MASTER' &&
      a.scripts.length === 1 &&
      a.scripts[0] === script &&
      this.lastNotified.get(a.name) === 'MASTER'
    );
  }
}
