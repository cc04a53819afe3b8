// TCP_CHECK: the server is healthy when a TCP connection completes within connect_timeout. The connect
// runs in the addon's batched prober (src/net/tcp-prober.ts): no socket object, timer or listener per
// probe on the JS side. The socket closes as soon as the handshake completed, with a FIN as keepalived
// 2.2 does; with a fixed bind_port it closes with an RST instead, since the TIME_WAIT a FIN leaves on
// that port would make the next probe's bind/connect fail for a minute.
import { encodeTcpProbe, errnoText, ETIMEDOUT, sharedTcpProber } from '../../net/tcp-prober.js';
import type { CheckerSpec, ProbeResult } from '../schedule/spec.js';
import { errorText, watchAbort } from './common.js';

const CONNECTED: ProbeResult = Object.freeze({ ok: true, detail: 'connected' });
const TIMED_OUT: ProbeResult = Object.freeze({ ok: false, detail: 'timed out' });
const ABORTED: ProbeResult = Object.freeze({ ok: false, detail: 'aborted' });

// A spec is immutable once built (a reload builds new ones): encode its target once.
const records = new WeakMap<CheckerSpec, Uint8Array>();

function recordOf(spec: CheckerSpec): Uint8Array {
  let record = records.get(spec);
  if (record === undefined) {
    const { address, port, bindTo, bindPort, bindIf, fwmark, timeoutMs } = spec.connect;
    const resetOnClose = bindPort !== undefined && bindPort !== 0;
    record = encodeTcpProbe({ address, port, bindTo, bindPort, bindIf, fwmark, timeoutMs, resetOnClose });
    records.set(spec, record);
  }
  return record;
}

/** The verdict for an errno reported by the prober (0: connected). */
export function tcpProbeResult(errno: number): ProbeResult {
  if (errno === 0) return CONNECTED;
  if (errno === ETIMEDOUT) return TIMED_OUT;
  return { ok: false, detail: `connect ${errnoText(errno)}` };
}

export function tcpProbe(spec: CheckerSpec, signal?: AbortSignal): Promise<ProbeResult> {
  if (signal?.aborted) return Promise.resolve(ABORTED);
  return new Promise<ProbeResult>((resolve) => {
    try {
      const prober = sharedTcpProber();
      let unwatch: (() => void) | undefined;
      const id = prober.start(recordOf(spec), (errno) => {
        unwatch?.();
        resolve(tcpProbeResult(errno));
      });
      if (signal !== undefined) {
        unwatch = watchAbort(signal, () => {
          prober.cancel(id);
          resolve(ABORTED);
        });
      }
    } catch (e) {
      resolve({ ok: false, detail: errorText(e) });
    }
  });
}
