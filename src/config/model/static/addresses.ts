// The address lines shared by static_ipaddress and a vrrp_instance's virtual_ipaddress(_excluded). Their
// syntax follows `ip address add` (full option names only, as keepalived).
import type { ConfigNode, SourceLocation } from '../../types.js';
import { type Family, formatPrefix, parseIp, parsePrefix } from '../shared/ip.js';
import { bad, lineWords, type PrefixValue, type Scope, SCOPES, toPrefixValue } from '../shared/line-parts.js';
import { type BuildContext, blockChildren } from '../shared/values.js';

export interface IpAddressSpec extends PrefixValue {
  location: SourceLocation;
  family: Family;
  /** An address, or '+'/'-' (set/clear the host bits). */
  broadcast?: string;
  dev?: string;
  scope?: Scope;
  label?: string;
  peer?: PrefixValue;
  home: boolean;
  nodad: boolean;
  mngtmpaddr: boolean;
  noprefixroute: boolean;
  autojoin: boolean;
  noTrack: boolean;
  useVmac: boolean;
  trackGroup?: string;
  preferredLft?: number | 'forever';
}

/** `ADDR[/LEN] [brd X] [dev IF] [scope S] [label L] [peer P] [home] [-nodad] ...`. */
export function parseAddressLine(
  node: ConfigNode,
  ctx: BuildContext,
  blockName: string,
): IpAddressSpec | undefined {
  const words = lineWords(node);
  const first = words[0] ?? '';
  const p = parsePrefix(first);
  if (!p) return bad(node, ctx, blockName, `'${first}' is not a valid IP address`);
  const spec: IpAddressSpec = {
    location: { file: node.file, line: node.line },
    family: p.family,
    // Spelled out rather than spread from toPrefixValue: this runs for every address of a config.
    address: p.address,
    prefix: p.prefix,
    hasPrefix: p.hasPrefix,
    home: false,
    nodad: false,
    mngtmpaddr: false,
    noprefixroute: false,
    autojoin: false,
    noTrack: false,
    useVmac: false,
  };
  for (let i = 1; i < words.length; i++) {
    const w = words[i] ?? '';
    const next = words[i + 1];
    const needValue = (): string | undefined => {
      if (next === undefined) bad(node, ctx, blockName, `'${w}' needs a value`);
      i++;
      return next;
    };
    switch (w) {
      case 'brd':
      case 'broadcast': {
        const v = needValue();
        if (v === undefined) return undefined;
        if (v !== '+' && v !== '-') {
          const ip = parseIp(v);
          if (!ip || ip.family !== p.family)
            return bad(node, ctx, blockName, `invalid broadcast address '${v}'`);
          spec.broadcast = ip.address;
        } else spec.broadcast = v;
        break;
      }
      case 'dev': {
        const v = needValue();
        if (v === undefined) return undefined;
        spec.dev = v;
        break;
      }
      case 'scope': {
        const v = needValue();
        if (v === undefined) return undefined;
        const s = SCOPES.find((x) => x === v);
        if (!s) return bad(node, ctx, blockName, `invalid scope '${v}' (${SCOPES.join(', ')})`);
        spec.scope = s;
        break;
      }
      case 'label': {
        const v = needValue();
        if (v === undefined) return undefined;
        spec.label = v;
        break;
      }
      case 'peer': {
        const v = needValue();
        if (v === undefined) return undefined;
        const pp = parsePrefix(v);
        if (!pp || pp.family !== p.family) return bad(node, ctx, blockName, `invalid peer address '${v}'`);
        spec.peer = toPrefixValue(pp);
        break;
      }
      case 'track_group': {
        const v = needValue();
        if (v === undefined) return undefined;
        spec.trackGroup = v;
        break;
      }
      case 'preferred_lft': {
        const v = needValue();
        if (v === undefined) return undefined;
        if (v === 'forever') spec.preferredLft = 'forever';
        else if (/^\d+$/.test(v) && Number(v) <= 4294967295) spec.preferredLft = Number(v);
        else return bad(node, ctx, blockName, `invalid preferred_lft '${v}'`);
        break;
      }
      case 'home':
        spec.home = true;
        break;
      case '-nodad':
      case 'nodad':
        spec.nodad = true;
        break;
      case 'mngtmpaddr':
        spec.mngtmpaddr = true;
        break;
      case 'noprefixroute':
        spec.noprefixroute = true;
        break;
      case 'autojoin':
        spec.autojoin = true;
        break;
      case 'no_track':
        spec.noTrack = true;
        break;
      case 'use_vmac':
        spec.useVmac = true;
        break;
      default:
        // vrrp_ipaddress.c parse_ipaddress: an unknown word is reported and skipped, the address kept
        bad(node, ctx, blockName, `unknown address option '${w}' - ignoring`);
    }
  }
  return spec;
}

export function formatAddressLine(a: IpAddressSpec): string {
  const parts = [formatPrefix(a)];
  if (a.broadcast !== undefined) parts.push('brd', a.broadcast);
  if (a.dev !== undefined) parts.push('dev', a.dev);
  if (a.useVmac) parts.push('use_vmac');
  if (a.scope !== undefined) parts.push('scope', a.scope);
  if (a.label !== undefined) parts.push('label', a.label);
  if (a.peer !== undefined) parts.push('peer', formatPrefix(a.peer));
  if (a.home) parts.push('home');
  if (a.nodad) parts.push('-nodad');
  if (a.mngtmpaddr) parts.push('mngtmpaddr');
  if (a.noprefixroute) parts.push('noprefixroute');
  if (a.autojoin) parts.push('autojoin');
  if (a.noTrack) parts.push('no_track');
  if (a.trackGroup !== undefined) parts.push('track_group', a.trackGroup);
  if (a.preferredLft !== undefined) parts.push('preferred_lft', String(a.preferredLft));
  return parts.join(' ');
}

/** Every line of an address block (static_ipaddress, virtual_ipaddress, ...). */
export function readAddressBlock(node: ConfigNode, ctx: BuildContext): IpAddressSpec[] {
  const out: IpAddressSpec[] = [];
  for (const child of blockChildren(node, ctx)) {
    const a = parseAddressLine(child, ctx, node.keyword);
    if (a) out.push(a);
  }
  return out;
}
