// Random AgentX PDUs for property and fuzz tests of the codec (tests/unit/snmp/).
import fc from 'fast-check';
import type { Pdu } from '../../src/snmp/agentx/pdu.js';
import type { SnmpValue } from '../../src/snmp/types.js';

const oid = fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 20 });
const bytes = fc.uint8Array({ maxLength: 40 });
const value: fc.Arbitrary<SnmpValue> = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((v) => ({ type: 'integer' as const, value: v })),
  bytes.map((v) => ({ type: 'octets' as const, value: v })),
  bytes.map((v) => ({ type: 'opaque' as const, value: v })),
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((v) => ({ type: 'ipaddress' as const, value: v })),
  oid.map((v) => ({ type: 'oid' as const, value: v })),
  fc.integer({ min: 0, max: 0xffffffff }).map((v) => ({ type: 'gauge32' as const, value: v })),
  fc.integer({ min: 0, max: 0xffffffff }).map((v) => ({ type: 'counter32' as const, value: v })),
  fc.integer({ min: 0, max: 0xffffffff }).map((v) => ({ type: 'timeticks' as const, value: v })),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => ({ type: 'counter64' as const, value: v })),
  fc.constantFrom<SnmpValue>(
    { type: 'null' },
    { type: 'noSuchObject' },
    { type: 'noSuchInstance' },
    { type: 'endOfMibView' },
  ),
);
const varbinds = fc.array(fc.record({ oid, value }), { maxLength: 6 });
const ids = { sessionId: fc.nat(), transactionId: fc.nat(), packetId: fc.nat() };
const ranges = fc.array(fc.record({ start: oid, include: fc.boolean(), end: oid }), { maxLength: 5 });

/** Any AgentX PDU the codec can carry. */
export const arbitraryPdu: fc.Arbitrary<Pdu> = fc
  .oneof(
    fc.record({
      type: fc.constant('open' as const),
      ...ids,
      timeout: fc.integer({ min: 0, max: 255 }),
      id: oid,
      descr: bytes,
    }),
    fc.record({ type: fc.constant('close' as const), ...ids, reason: fc.integer({ min: 1, max: 6 }) }),
    fc.record({ type: fc.constant('getNext' as const), ...ids, ranges }),
    fc.record({ type: fc.constant('get' as const), ...ids, ranges, context: bytes }),
    fc.record({
      type: fc.constant('getBulk' as const),
      ...ids,
      nonRepeaters: fc.integer({ min: 0, max: 0xffff }),
      maxRepetitions: fc.integer({ min: 0, max: 0xffff }),
      ranges,
    }),
    fc.record({ type: fc.constant('notify' as const), ...ids, varbinds }),
    fc.record({ type: fc.constant('testSet' as const), ...ids, varbinds }),
    fc.record({ type: fc.constant('addAgentCaps' as const), ...ids, id: oid, descr: bytes }),
    fc.record({
      type: fc.constant('response' as const),
      ...ids,
      sysUpTime: fc.nat(),
      error: fc.integer({ min: 0, max: 0xffff }),
      index: fc.integer({ min: 0, max: 0xffff }),
      varbinds,
    }),
    fc.record({
      type: fc.constantFrom('ping' as const, 'commitSet' as const, 'undoSet' as const, 'cleanupSet' as const),
      ...ids,
    }),
  )
  // fast-check builds records without a prototype; plain objects compare equal to what the codec decodes.
  .map((pdu) => structuredClone(pdu)) as fc.Arbitrary<Pdu>;
