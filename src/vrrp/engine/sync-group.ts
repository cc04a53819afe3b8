// vrrp_sync_group: members move together (keepalived's vrrp_sync.c). A member only becomes MASTER when every
// other member wants MASTER too (so a group never splits across routers); once one member is MASTER the
// rest follow; one member falling back to BACKUP takes the others with it; one member's fault faults all.

import { notifyScripts } from './spec.js';
import type { SyncGroupSpec, VrrpState } from './spec.js';
import type { StepContext } from './step.js';

/** What a sync group asks of its members (instance.ts's Instance). */
export interface GroupMember {
  readonly name: string;
  readonly state: VrrpState;
  wantState: VrrpState;
  readonly faults: readonly string[];
  readonly initPending: boolean;
  msDownTimerMs: number;
  downTimerMs(): number;
  initSands(now: number): void;
  gotoMaster(ctx: StepContext): void;
  leaveMaster(ctx: StepContext, sendPriorityZero: boolean): void;
  leaveFault(ctx: StepContext): void;
}

export class SyncGroup<Member extends GroupMember = GroupMember> {
  state: VrrpState = 'INIT';
  members: Member[] = [];

  constructor(readonly spec: SyncGroupSpec) {}

  get name(): string {
    return this.spec.name;
  }

  /** Members whose own trackers fault them (not the ones only following the group into FAULT). */
  faultyMembers(): Member[] {
    return this.members.filter((m) => m.faults.length > 0);
  }

  initPendingMembers(): Member[] {
    return this.members.filter((m) => m.initPending);
  }

  private setState(ctx: StepContext, to: VrrpState): void {
    if (this.state === to) return;
    this.state = to;
    ctx.out.push({
      type: 'log',
      level: 'info',
      message: `VRRP_Group(${this.name}) Syncing instances to ${to} state`,
    });
    ctx.out.push({
      type: 'notify',
      name: this.name,
      kind: 'GROUP',
      state: to,
      priority: 0,
      scripts: notifyScripts(this.spec.notify, to),
    });
  }

  /** keepalived's vrrp_sync_can_goto_master. When another member still wants something else, the asking
   * member re-arms its master-down timer and waits. */
  canGotoMaster(vrrp: Member, ctx: StepContext): boolean {
    if (this.state === 'MASTER') return true;
    for (const other of this.members) {
      if (other !== vrrp && other.wantState !== 'MASTER') {
        vrrp.msDownTimerMs = vrrp.downTimerMs();
        vrrp.initSands(ctx.now);
        return false;
      }
    }
    return true;
  }

  /** After a member changed state through the protocol (advert or timer), bring the others along. */
  afterTransition(vrrp: Member, previous: VrrpState, ctx: StepContext): void {
    if (previous === vrrp.state) return;
    if (vrrp.state === 'MASTER') this.syncMaster(vrrp, ctx);
    else if (vrrp.state === 'BACKUP') this.syncBackup(vrrp, ctx);
    else if (vrrp.state === 'FAULT') this.syncFault(vrrp, ctx);
  }

  syncMaster(vrrp: Member, ctx: StepContext): void {
    if (this.state === 'MASTER') return;
    if (!this.canGotoMaster(vrrp, ctx)) return;
    ctx.reason = `sync group ${this.name}`;
    for (const other of this.members) {
      if (other === vrrp || other.state === 'MASTER') continue;
      other.wantState = 'MASTER';
      other.gotoMaster(ctx);
      other.initSands(ctx.now);
    }
    this.setState(ctx, 'MASTER');
  }

  syncBackup(vrrp: Member, ctx: StepContext): void {
    if (this.state === 'BACKUP') return;
    ctx.reason = `sync group ${this.name}`;
    for (const other of this.members) {
      if (other === vrrp || other.state === 'BACKUP') continue;
      other.wantState = 'BACKUP';
      if (other.state === 'MASTER') other.leaveMaster(ctx, false);
      else other.leaveFault(ctx);
    }
    this.setState(ctx, 'BACKUP');
  }

  syncFault(vrrp: Member, ctx: StepContext): void {
    if (this.state === 'FAULT') return;
    ctx.reason = `sync group ${this.name}`;
    for (const other of this.members) {
      if (other === vrrp || other.state === 'FAULT') continue;
      other.wantState = 'FAULT';
      if (other.state === 'MASTER') other.leaveMaster(ctx, true);
      else other.leaveFault(ctx);
    }
    this.setState(ctx, 'FAULT');
  }

  /** Daemon stopping: the group reports STOP (notify_stop of the group). */
  stop(ctx: StepContext): void {
    this.setState(ctx, 'STOP');
  }

  /** At start, after the members left INIT: the group takes their common state. */
  initState(ctx: StepContext): void {
    if (this.members.some((m) => m.state === 'FAULT')) this.setState(ctx, 'FAULT');
    else if (this.members.every((m) => m.state === 'BACKUP' && m.wantState !== 'MASTER'))
      this.setState(ctx, 'BACKUP');
  }
}
