// Builders for virtual_server_group and virtual_server blocks (stub: being filled in).
import type { ConfigNode } from '../types.js';
import type { VirtualServer, VirtualServerGroup } from './lvs-types.js';
import type { BuildContext } from './values.js';

export function buildVirtualServerGroup(node: ConfigNode, _ctx: BuildContext): VirtualServerGroup | undefined {
  return { name: node.args[0] ?? '', entries: [], at: { file: node.file, line: node.line } };
}

export function buildVirtualServer(_node: ConfigNode, _ctx: BuildContext): VirtualServer | undefined {
  return undefined;
}

export function checkLvs(_groups: VirtualServerGroup[], _servers: VirtualServer[], _ctx: BuildContext): void {}
