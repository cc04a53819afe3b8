// The receive buffers of a child's two rtnetlink sockets (the command socket and the event monitor), as
// global_defs asks: vrrp_netlink_{cmd,monitor}_rcv_bufs[_force] for the VRRP child, lvs_netlink_* for the
// checker child's (ha_suspend's address watch) (keepalived 2.4.3's netlink_set_rx_buf_size, applied at
// start and again on each reload). A size of 0 with force, or force
// alone, is keepalived's 64 KiB default; neither keyword leaves our own sizes (the kernel default for
// commands, 1 MiB for events), which a reload that drops the keywords puts back.
import type { GlobalDefs } from '../../config/model/global/global.js';
import { isNativeError } from '../../net/native.js';
import type { ReceiveBuffer } from '../../net/netlink/transport.js';

/** keepalived's IF_DEFAULT_BUFSIZE, used when a size is 0 or only _force is given. */
const KEEPALIVED_DEFAULT_BYTES = 64 * 1024;

export interface NetlinkReceiveBuffers {
  command: ReceiveBuffer | undefined;
  monitor: ReceiveBuffer | undefined;
}

function configured(bytes: number | undefined, force: boolean): ReceiveBuffer | undefined {
  if (bytes === undefined && !force) return undefined;
  return { bytes: bytes !== undefined && bytes > 0 ? bytes : KEEPALIVED_DEFAULT_BYTES, force };
}

/** What the VRRP child's sockets should use. */
export function vrrpNetlinkBuffers(g: GlobalDefs): NetlinkReceiveBuffers {
  return {
    command: configured(g.vrrpNetlinkCmdRcvBufs, g.vrrpNetlinkCmdRcvBufsForce),
    monitor: configured(g.vrrpNetlinkMonitorRcvBufs, g.vrrpNetlinkMonitorRcvBufsForce),
  };
}

/** What the checker child's sockets (its address watch) should use. */
export function checkerNetlinkBuffers(g: GlobalDefs): NetlinkReceiveBuffers {
  return {
    command: configured(g.lvsNetlinkCmdRcvBufs, g.lvsNetlinkCmdRcvBufsForce),
    monitor: configured(g.lvsNetlinkMonitorRcvBufs, g.lvsNetlinkMonitorRcvBufsForce),
  };
}

interface HasReceiveBuffer {
  setReceiveBuffer(buffer: ReceiveBuffer | undefined): void;
}

/** Sets both sockets; a refusal is logged (keepalived's wording) and the socket keeps its size. */
export function applyNetlinkBuffers(
  sockets: { command?: HasReceiveBuffer | undefined; monitor?: HasReceiveBuffer | undefined },
  buffers: NetlinkReceiveBuffers,
  log: { info(message: string): void },
): void {
  for (const which of ['command', 'monitor'] as const) {
    const buffer = buffers[which];
    try {
      sockets[which]?.setReceiveBuffer(buffer);
    } catch (e) {
      const errno = isNativeError(e) ? `${-e.errno} (${e.code})` : (e as Error).message;
      log.info(
        buffer?.force === true
          ? `cant set SO_RCVBUFFORCE IP option. errno=${errno}`
          : `Cannot set SO_RCVBUF IP option. errno=${errno}`,
      );
    }
  }
}
