// The status listener's one write: planned handover. POST /instances/NAME/handover (JSON body, optional:
// {"to": "10.0.0.2", "holdSeconds": 30}) starts one; POST /instances/NAME/release ends its hold (or gives
// up one still releasing). Both need the listener's token (a listener without one refuses every POST).
// Here: the paths and bodies, checked; the daemon does the rest.

export const MAX_HANDOVER_BODY = 4096;

export type HandoverRequest =
  | { instance: string; action: 'handover'; to?: string; holdMs?: number }
  | { instance: string; action: 'release' };

const PATH = /^\/instances\/([^/]+)\/(handover|release)$/;

/** Whether `path` is one of the POST paths (so that another path is a 404, not a 400). */
export function isHandoverPath(path: string): boolean {
  return PATH.test(path);
}

/** The request, or an error message for a 400. `body` may be empty. */
export function parseHandoverRequest(path: string, body: string): HandoverRequest | string {
  const m = PATH.exec(path);
  if (m === null) return 'unknown path';
  let instance: string;
  try {
    instance = decodeURIComponent(m[1] as string);
  } catch {
    return 'bad instance name';
  }
  if (m[2] === 'release') return { instance, action: 'release' };
  let parsed: unknown = {};
  if (body.trim() !== '') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return 'the body must be JSON';
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return 'the body must be an object';
  const o = parsed as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'to' && k !== 'holdSeconds') return `unknown field '${k}'`;
  const out: HandoverRequest = { instance, action: 'handover' };
  if (o.to !== undefined) {
    if (typeof o.to !== 'string' || !/^[0-9a-fA-F.:]+$/.test(o.to)) return "'to' must be an IP address";
    out.to = o.to;
  }
  if (o.holdSeconds !== undefined) {
    const s = o.holdSeconds;
    if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0 || s > 86_400 * 365)
      return "'holdSeconds' must be a positive number of seconds";
    out.holdMs = Math.round(s * 1000);
  }
  return out;
}

/** What the daemon answers: an HTTP status and a JSON body. */
export interface HandoverAnswer {
  code: number;
  body: Record<string, unknown>;
}
