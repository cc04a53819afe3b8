// status_http's planned handover: a POST checked against the engine and fed to it as an event, and the
// engine's handover reports turned into /events entries.
import type { StatusEventBody } from '../../api/events.js';
import type { HandoverAnswer, HandoverRequest } from '../../api/handover.js';
import type { Engine, HandoverReport } from '../../vrrp/engine/engine.js';
import type { Logger } from '../process/log.js';

/** POST /instances/NAME/handover or /release: checked against the engine, then fed to it. */
export function answerHandover(
  engine: Engine,
  feed: (event: Parameters<Engine['handle']>[1]) => void,
  log: Logger,
  r: HandoverRequest,
): HandoverAnswer {
  if (r.action === 'release') {
    if (!engine.handoverActive(r.instance))
      return { code: 409, body: { error: `no handover under way or held for ${r.instance}` } };
    feed({ type: 'handover-release', instance: r.instance });
    return { code: 200, body: { instance: r.instance, released: true } };
  }
  const why = engine.handoverRefusal(r.instance, r.to);
  if (why !== undefined) return { code: why.startsWith('no instance') ? 404 : 409, body: { error: why } };
  log.info(
    `(${r.instance}) planned handover requested${r.to !== undefined ? ` to ${r.to}` : ''}${r.holdMs !== undefined ? `, hold ${r.holdMs / 1000} s` : ''}`,
  );
  feed({
    type: 'handover',
    instance: r.instance,
    ...(r.to !== undefined ? { to: r.to } : {}),
    ...(r.holdMs !== undefined ? { holdMs: r.holdMs } : {}),
  });
  const snap = engine.snapshot().instances.find((i) => i.name === r.instance);
  const h = snap?.handover;
  return {
    code: 202,
    body: {
      instance: r.instance,
      phase: h?.phase ?? 'unknown',
      ...(snap?.syncGroup !== undefined ? { syncGroup: snap.syncGroup } : {}),
      ...(h !== undefined ? { deadlineInMs: Math.round(h.deadline - h.requestedAt) } : {}),
    },
  };
}

/** A handover step the engine reported, as an /events entry (the engine logged it already). */
export function handoverEventBody(r: HandoverReport): StatusEventBody {
  return {
    type: 'handover',
    instance: r.instance,
    outcome: r.outcome,
    ...(r.to !== undefined ? { to: r.to } : {}),
    ...(r.newMaster !== undefined ? { newMaster: r.newMaster } : {}),
    ...(r.durationMs !== undefined ? { durationMs: Math.round(r.durationMs * 1000) / 1000 } : {}),
    reason: r.reason,
  };
}
