// The `--event` language of `keepalived-ts simulate`: "T ACTION NODE [ARG...]", T in simulated seconds.
//   10 down a          cut a off every LAN          20 up a          back on
//   30 crash a         host dies (no goodbye)       40 start a       boots again
//   50 stop a          graceful stop (priority 0)
//   60 fail a chk      tracker chk (script, file, process, interface or BFD) fails; 70 recover a chk
//   80 partition a,b c 90 heal                      100 loss 0.2     packet loss from then on
import type { ScenarioEvent } from './cluster.js';

export interface TimedEvent {
  /** Simulated ms. */
  t: number;
  event: ScenarioEvent;
}

export function parseScenarioEvent(text: string): TimedEvent | string {
  const words = text.trim().split(/\s+/);
  const [time, action, ...rest] = words;
  const t = Number(time);
  if (time === undefined || time === '' || !Number.isFinite(t) || t < 0)
    return `'${text}': expected a time in seconds first`;
  const ms = Math.round(t * 1000);
  const node = rest[0];
  switch (action) {
    case 'down':
    case 'up':
    case 'crash':
    case 'start':
    case 'stop':
      if (node === undefined || rest.length !== 1) return `'${text}': '${action}' takes one router name`;
      return { t: ms, event: { type: action, node } };
    case 'fail':
    case 'recover': {
      const name = rest[1];
      if (node === undefined || name === undefined || rest.length !== 2)
        return `'${text}': '${action}' takes a router and a tracker name`;
      return { t: ms, event: { type: 'tracker', node, name, ok: action === 'recover' } };
    }
    case 'partition':
      if (rest.length === 0) return `'${text}': 'partition' takes groups like a,b c`;
      return {
        t: ms,
        event: { type: 'partition', groups: rest.map((g) => g.split(',').filter((x) => x !== '')) },
      };
    case 'heal':
      return { t: ms, event: { type: 'heal' } };
    case 'loss':
    case 'delay':
    case 'jitter':
    case 'duplicate': {
      const v = Number(node);
      if (node === undefined || !Number.isFinite(v) || v < 0) return `'${text}': '${action}' takes a number`;
      const key = action === 'delay' ? 'delayMs' : action === 'jitter' ? 'jitterMs' : action;
      return { t: ms, event: { type: 'network', conditions: { [key]: v } } };
    }
    default:
      return `'${text}': unknown action '${action ?? ''}' (down, up, crash, start, stop, fail, recover, partition, heal, loss, delay, jitter, duplicate)`;
  }
}
