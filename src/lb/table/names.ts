// Virtual and real servers named as keepalived's checker process names them in logs and FIFO lines
// (check_data.c format_vs / format_rs, utils.c inet_sockaddrtotrio): "[10.0.0.1]:tcp:80", "FWM 5",
// "[GROUP]:0". The names depend on keepalived's resolved values (protocol defaulted to UDP, real-server
// ports filled in from the virtual server, a group's member number), so resolve.ts computes them once.
import type { LvsProtocol } from '../../config/model/lvs/types.js';

/** keepalived's protocol word: "none" where the service has no protocol (firewall marks). */
export function protocolWord(protocol: LvsProtocol | undefined): string {
  return protocol === undefined ? 'none' : protocol.toLowerCase();
}

/** inet_sockaddrtotrio: "[address]:protocol:port", IPv4 in brackets too. */
export function addressTrio(address: string, protocol: LvsProtocol | undefined, port: number): string {
  return `[${address}]:${protocolWord(protocol)}:${port}`;
}

/** A firewall-mark virtual server. */
export function fwmarkName(fwmark: number): string {
  return `FWM ${fwmark}`;
}

/** A virtual server on a group: keepalived numbers the virtual servers sharing a group from 0. */
export function groupMemberName(group: string, member: number): string {
  return `[${group}]:${member}`;
}
