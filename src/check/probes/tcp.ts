// TCP_CHECK: the server is healthy when a TCP connection completes within connect_timeout.
import { connect } from 'node:net';
import type { CheckerSpec, ProbeResult } from '../spec.js';
import { dialAddress, errorText, runProbe } from './common.js';

export function tcpProbe(spec: CheckerSpec, signal?: AbortSignal): Promise<ProbeResult> {
  return runProbe(spec.connect.timeoutMs, signal, (ctx) => {
    const socket = connect({
      host: dialAddress(spec),
      port: spec.connect.port,
      localAddress: spec.connect.bindTo,
      localPort: spec.connect.bindPort,
    });
    ctx.onCleanup(() => socket.destroy());
    socket.once('connect', () => ctx.succeed('connected'));
    socket.once('error', (e) => ctx.fail(errorText(e)));
  });
}
