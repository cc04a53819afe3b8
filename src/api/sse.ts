// Server-sent events framing (the WHATWG EventSource format) and the listener's small request rules:
// Last-Event-ID, and the bearer token compared without leaking its length or content through timing.
import type { StatusEvent } from './events.js';

/** One event frame: `id` is the sequence number, `event` the type, `data` the JSON (one line). */
export function sseFrame(e: StatusEvent): string {
  return `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
}

/** A comment line: keeps proxies from closing an idle stream; ignored by clients. */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]/g, ' ')}\n\n`;
}

/** A notice that events were lost between the client's last id and the oldest one kept. */
export function sseGap(lastSeq: number, firstKept: number | undefined): string {
  return `event: gap\ndata: ${JSON.stringify({ after: lastSeq, resumedAt: firstKept ?? null })}\n\n`;
}

/** Last-Event-ID (header or ?lastEventId=): a non-negative integer, else undefined (start live). */
export function parseLastEventId(value: string | undefined | null): number | undefined {
  if (value === undefined || value === null) return undefined;
  const t = value.trim();
  if (!/^\d{1,15}$/.test(t)) return undefined;
  return Number(t);
}

/** Whether an Authorization header carries the bearer token; no token configured: every request passes.
 * Compares every byte whatever the first difference is. */
export function authorized(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  if (header === undefined) return false;
  const m = /^Bearer +(.*)$/i.exec(header);
  if (m === null) return false;
  const given = m[1] ?? '';
  let diff = given.length ^ token.length;
  for (let i = 0; i < token.length; i++)
    diff |= token.charCodeAt(i) ^ given.charCodeAt(i % Math.max(1, given.length));
  return diff === 0;
}
