// Real and virtual servers named as keepalived's checker logs them (FMT_RS / FMT_VS): "[10.0.0.2]:tcp:80",
// "FWM 1", so that "Removing service [10.0.0.2]:tcp:80 from VS [10.0.0.100]:tcp:80" reads as keepalived's.
import { realServerId } from '../../check/schedule/from-model.js';
import type { RealServer, VirtualServer } from '../../config/model/lvs/types.js';

function proto(vs: VirtualServer): string {
  return (vs.protocol ?? 'TCP').toLowerCase();
}

export function keepalivedVsName(vs: VirtualServer): string {
  const k = vs.key;
  if (k.kind === 'fwmark') return `FWM ${k.fwmark}`;
  if (k.kind === 'group') return `[${k.group}]`;
  return `[${k.address}]:${proto(vs)}:${k.port ?? 0}`;
}

export function keepalivedRsName(vs: VirtualServer, rs: RealServer): string {
  return `[${rs.address}]:${proto(vs)}:${rs.port ?? 0}`;
}

/** Our server ids to keepalived's "service X ... VS Y" words. */
export function serviceNames(
  virtualServers: readonly VirtualServer[],
): Map<string, { rs: string; vs: string }> {
  const names = new Map<string, { rs: string; vs: string }>();
  for (const vs of virtualServers) {
    for (const rs of vs.realServers) {
      names.set(realServerId(vs, rs), { rs: keepalivedRsName(vs, rs), vs: keepalivedVsName(vs) });
    }
  }
  return names;
}

/** keepalived's line when a checker verdict adds a real server to, or removes it from, its virtual server. */
export function serviceChangeLine(
  names: { rs: string; vs: string } | undefined,
  id: string,
  up: boolean,
): string {
  const rs = names?.rs ?? id;
  return up
    ? `Adding service ${rs} to VS ${names?.vs ?? '?'}`
    : `Removing service ${rs} from VS ${names?.vs ?? '?'}`;
}
