// A subagent's answers to the master's read requests (RFC 2741 7.2.3) from a MIB view: a sorted list of
// OID -> value plus the object OIDs the MIBs define (to tell noSuchObject from noSuchInstance). Get,
// GetNext and GetBulk honour the SearchRange bounds; writes are refused (notWritable). Pure.
import { compareOid, oidStartsWith, type Oid, type SnmpValue, type VarBind } from '../types.js';
import { AGENTX_ERROR, type Pdu, type PduOf, type SearchRange } from './pdu.js';

export interface MibView {
  /** Sorted by OID, no duplicates. */
  readonly entries: readonly VarBind[];
  /** The OID of every scalar and column the served MIBs define (instances are below these). */
  readonly objects: readonly Oid[];
}

export function emptyView(): MibView {
  return { entries: [], objects: [] };
}

/** Index of the first entry whose OID is >= `oid` (or > when `strict`). */
function lowerBound(entries: readonly VarBind[], oid: Oid, strict: boolean): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareOid((entries[mid] as VarBind).oid, oid);
    if (c < 0 || (strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The exact object, or the exception SNMP prescribes. */
export function getExact(view: MibView, oid: Oid): VarBind {
  const i = lowerBound(view.entries, oid, false);
  const hit = view.entries[i];
  if (hit !== undefined && compareOid(hit.oid, oid) === 0) return hit;
  const known = view.objects.some((o) => oidStartsWith(oid, o) && oid.length > o.length);
  const value: SnmpValue = known ? { type: 'noSuchInstance' } : { type: 'noSuchObject' };
  return { oid, value };
}

/** The first object inside the range, or endOfMibView named after the range's start. */
export function getNextInRange(view: MibView, range: SearchRange): VarBind {
  const i = lowerBound(view.entries, range.start, !range.include);
  const hit = view.entries[i];
  if (hit !== undefined && (range.end.length === 0 || compareOid(hit.oid, range.end) < 0)) return hit;
  return { oid: range.start, value: { type: 'endOfMibView' } };
}

/** RFC 2741 7.2.3.3 / RFC 3416 4.2.3: non-repeaters once, then up to max-repetitions rounds of the rest,
 * stopping early once every repeater has run off the end. */
export function getBulk(view: MibView, pdu: PduOf<'getBulk'>): VarBind[] {
  const n = Math.min(pdu.nonRepeaters, pdu.ranges.length);
  const out = pdu.ranges.slice(0, n).map((r) => getNextInRange(view, r));
  const repeaters = pdu.ranges.slice(n);
  const cursors = repeaters.map((r) => ({ ...r }));
  for (let round = 0; round < pdu.maxRepetitions && repeaters.length > 0; round++) {
    let allEnded = true;
    for (const c of cursors) {
      const vb = getNextInRange(view, c);
      out.push(vb);
      if (vb.value.type !== 'endOfMibView') {
        allEnded = false;
        c.start = vb.oid;
        c.include = false;
      }
    }
    if (allEnded) break;
  }
  return out;
}

/** The Response to a request PDU, or undefined for PDUs a subagent does not answer (CleanupSet, which
 * RFC 2741 7.2.4.4 leaves unanswered; Responses; what a master never sends). `sysUpTime` is ours, in hundredths of a second. */
export function respond(view: MibView, pdu: Pdu, sysUpTime: number): PduOf<'response'> | undefined {
  const reply = (varbinds: VarBind[], error = 0, index = 0): PduOf<'response'> => ({
    type: 'response',
    sessionId: pdu.sessionId,
    transactionId: pdu.transactionId,
    packetId: pdu.packetId,
    sysUpTime: sysUpTime >>> 0,
    error,
    index,
    varbinds,
  });
  // Only the default context is served (keepalived registers nothing else); net-snmp's master names it
  // with an empty context string.
  if (pdu.context?.length && ['get', 'getNext', 'getBulk', 'testSet'].includes(pdu.type))
    return reply([], AGENTX_ERROR.unsupportedContext);
  switch (pdu.type) {
    case 'get':
      return reply(pdu.ranges.map((r) => getExact(view, r.start)));
    case 'getNext':
      return reply(pdu.ranges.map((r) => getNextInRange(view, r)));
    case 'getBulk':
      return reply(getBulk(view, pdu));
    case 'testSet':
      // Nothing here is writable (keepalived allows a few priority and weight writes; we do not).
      return reply([], AGENTX_ERROR.notWritable, pdu.varbinds.length > 0 ? 1 : 0);
    case 'commitSet':
    case 'undoSet':
      return reply([]);
    default:
      return undefined;
  }
}
