// The VRRP child's SMTP alerts: every notification of an instance or sync group (the same moment the
// notify scripts run) may become one mail, decided by VrrpAlertPolicy and sent by SmtpAlertSender.
import type { Model } from '../../config/model/index.js';
import type { Logger } from '../process/log.js';
import { vrrpGroupAlert, vrrpInstanceAlert } from './format.js';
import {
  smtpAlertSettings,
  VrrpAlertPolicy,
  vrrpAlertEnabled,
  type LocalIdentity,
  type SmtpAlertSettings,
  type VrrpObjectKind,
} from './policy.js';
import { localIdentity, SmtpAlertSender } from './smtp-sender.js';

function enabledObjects(model: Model): Map<string, boolean> {
  const g = model.global;
  const enabled = new Map<string, boolean>();
  for (const i of model.instances)
    enabled.set(VrrpAlertPolicy.key('INSTANCE', i.name), vrrpAlertEnabled(i.smtpAlert, g));
  for (const sg of model.syncGroups)
    enabled.set(VrrpAlertPolicy.key('GROUP', sg.name), vrrpAlertEnabled(sg.smtpAlert, g));
  return enabled;
}

export class VrrpSmtpAlerts {
  private settings: SmtpAlertSettings | undefined;
  private sender: SmtpAlertSender | undefined;
  private readonly policy: VrrpAlertPolicy;

  constructor(
    model: Model,
    private readonly log: Logger,
    private readonly local: LocalIdentity = localIdentity(),
  ) {
    this.policy = new VrrpAlertPolicy(enabledObjects(model), model.global.noEmailFaults);
    this.configure(model);
  }

  private configure(model: Model): void {
    const next = smtpAlertSettings(model.global, this.local);
    if (JSON.stringify(next) === JSON.stringify(this.settings)) return;
    // A changed server or sender: later alerts go the new way; queued ones still leave on the old one.
    void this.sender?.close(this.settings?.timeoutMs ?? 0);
    this.settings = next;
    this.sender = next === undefined ? undefined : new SmtpAlertSender(next, this.log);
  }

  /**
   * An instance or group notification (state MASTER / BACKUP / FAULT / STOP). The STOP of a running
   * daemon is an object removed by a reload, which keepalived 2.2.7 mails as "Entering FAULT state"
   * (a daemon that stops closed this sender first: keepalived's own STOP mails never leave).
   */
  notify(kind: VrrpObjectKind, name: string, state: string): void {
    if (this.sender === undefined || this.settings === undefined) return;
    const mailed = this.policy.decide(kind, name, state === 'STOP' ? 'FAULT' : state);
    if (mailed === undefined) return;
    const routerId = this.settings.routerId;
    this.sender.send(
      kind === 'INSTANCE'
        ? vrrpInstanceAlert(routerId, name, mailed)
        : vrrpGroupAlert(routerId, name, mailed),
    );
  }

  reload(model: Model): void {
    this.policy.reconfigure(enabledObjects(model), model.global.noEmailFaults);
    this.configure(model);
  }

  /** At shutdown: what is queued gets `limitMs` to leave. */
  async close(limitMs: number): Promise<void> {
    await this.sender?.close(limitMs);
    this.sender = undefined;
  }
}
