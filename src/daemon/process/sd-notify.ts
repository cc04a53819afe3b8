// systemd's notification protocol (sd_notify): Debian's keepalived.service is Type=notify, so systemd waits
// for READY=1 on $NOTIFY_SOCKET before it considers the service started (and kills it after
// TimeoutStartSec otherwise). keepalived built with SYSTEMD_NOTIFY sends READY=1 once running, RELOADING=1
// then READY=1 around a reload, and STOPPING=1 on the way out.
import { native } from '../../net/native.js';
import { NativeSocket } from '../../net/socket.js';

/** Where to send, from $NOTIFY_SOCKET: a path, or '@name' for the abstract namespace. */
export function notifySocketAddress(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.startsWith('@')) return '\0' + value.slice(1);
  if (value.startsWith('/')) return value;
  return undefined; // vsock and other forms are not used by systemd for services
}

/** Sends `state` (e.g. "READY=1") when running under systemd; false when not, or when it failed. */
export function sdNotify(state: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const path = notifySocketAddress(env.NOTIFY_SOCKET);
  if (path === undefined) return false;
  let socket: NativeSocket | undefined;
  try {
    const c = native().constants;
    socket = NativeSocket.open(c.AF_UNIX, c.SOCK_DGRAM, 0, 1);
    socket.send(Buffer.from(state), { family: 'unix', path });
    return true;
  } catch {
    return false;
  } finally {
    socket?.close();
  }
}
