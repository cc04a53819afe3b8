// vrrp_sync_group: instances that change state together, with their own trackers and notify scripts.
import type { ConfigNode, SourceLocation } from '../../types.js';
import {
  emptyTrackers,
  notifyHandlers,
  type NotifyScripts,
  printNotify,
  printTrackers,
  trackHandlers,
  type Trackers,
} from './tracking.js';
import { type BuildContext, blockChildren, flag, walk } from '../shared/values.js';

export interface SyncGroupMember {
  name: string;
  location: SourceLocation;
}

export interface SyncGroup {
  name: string;
  location: SourceLocation;
  members: SyncGroupMember[];
  track: Trackers;
  notify: NotifyScripts;
  notifyPriorityChanges?: boolean;
  smtpAlert?: boolean;
  /** Allow weighted trackers on members (replaces the deprecated global_tracking). */
  syncGroupTrackingWeight: boolean;
}

export function buildSyncGroup(node: ConfigNode, ctx: BuildContext): SyncGroup | undefined {
  const name = node.args[0];
  if (name === undefined) {
    ctx.diags.error(node, node.keyword, 'missing name');
    return undefined;
  }
  if (node.args.length > 1) {
    ctx.diags.error(node, node.keyword, 'vrrp_sync_group must have a name - skipping');
    return undefined;
  }
  const g: SyncGroup = {
    name,
    location: { file: node.file, line: node.line },
    members: [],
    track: emptyTrackers(),
    notify: {},
    syncGroupTrackingWeight: false,
  };
  walk(
    blockChildren(node, ctx),
    ctx,
    {
      group: (n) => {
        if (n.children?.length === 0) ctx.diags.warn(n, n.keyword, `${name}: empty group block`);
        // Members may be on separate lines or several on one line.
        for (const child of blockChildren(n, ctx))
          for (const m of [child.keyword, ...child.args])
            g.members.push({ name: m, location: { file: child.file, line: child.line } });
      },
      ...trackHandlers(ctx, g.track),
      ...notifyHandlers(ctx, g.notify, () => `vrrp group ${name}:`),
      notify_priority_changes: (n) => {
        g.notifyPriorityChanges = flag(n, ctx);
      },
      smtp_alert: (n) => {
        g.smtpAlert = flag(n, ctx);
      },
      sync_group_tracking_weight: (n) => {
        g.syncGroupTrackingWeight = flag(n, ctx);
      },
    },
    'vrrp_sync_group',
    { global_tracking: 'sync_group_tracking_weight' },
  );
  // keepalived drops a sync group without a group block, without a word.
  if (node.children !== undefined && !node.children.some((c) => c.keyword === 'group'))
    ctx.diags.note(node, node.keyword, `${name}: no group { } of instances, ignored`);
  return g;
}

export function printSyncGroup(g: SyncGroup): string[] {
  const body = ['group {', ...g.members.map((m) => `  ${m.name}`), '}', ...printTrackers(g.track)];
  body.push(...printNotify(g.notify));
  if (g.notifyPriorityChanges !== undefined) body.push(`notify_priority_changes ${g.notifyPriorityChanges}`);
  if (g.smtpAlert !== undefined) body.push(`smtp_alert ${g.smtpAlert}`);
  if (g.syncGroupTrackingWeight) body.push('sync_group_tracking_weight');
  return [`vrrp_sync_group ${g.name} {`, ...body.map((l) => `  ${l}`), '}'];
}
