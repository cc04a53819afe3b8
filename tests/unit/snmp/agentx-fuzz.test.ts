// decodePdu never throws, whatever the bytes: random bytes, random payloads behind a well-formed header,
// and valid PDUs cut, stretched or with bytes flipped. The test reports how many cases reached each
// decoding stage (and fails if a stage was never reached, which would mean the fuzzing proves nothing
// about it), and that no case ended in the codec's catch-all ("internal"), which would be a bug.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodePdu, encodePdu, type DecodeStage } from '../../../src/snmp/agentx/codec.js';
import { HEADER_LENGTH, PDU_TYPE } from '../../../src/snmp/agentx/pdu.js';
import { arbitraryPdu } from '../../helpers/agentx-arbitrary.js';

const STAGES: DecodeStage[] = ['header', 'payload', 'context', 'body', 'complete'];

/** A header announcing `payload` bytes, with a real PDU type, in either byte order. */
const wellFormedHeader = fc
  .record({
    type: fc.constantFrom(...Object.values(PDU_TYPE)),
    flags: fc.integer({ min: 0, max: 0x1f }),
    words: fc.uint8Array({ minLength: 0, maxLength: 120 }),
  })
  .map(({ type, flags, words }) => {
    const payload = words.subarray(0, words.length - (words.length % 4));
    const out = new Uint8Array(HEADER_LENGTH + payload.length);
    out.set([1, type, flags, 0]);
    const view = new DataView(out.buffer);
    view.setUint32(16, payload.length, (flags & 0x10) === 0);
    out.set(payload, HEADER_LENGTH);
    return out;
  });

/** A valid PDU, then cut, stretched or with a few bytes changed. */
const mutatedPdu = fc
  .record({
    pdu: arbitraryPdu,
    bigEndian: fc.boolean(),
    cut: fc.integer({ min: 0, max: 16 }),
    extra: fc.uint8Array({ maxLength: 8 }),
    flips: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }),
  })
  .map(({ pdu, bigEndian, cut, extra, flips }) => {
    const bytes = encodePdu(pdu, { bigEndian });
    const out = new Uint8Array(Math.max(0, bytes.length - cut) + extra.length);
    out.set(bytes.subarray(0, Math.max(0, bytes.length - cut)));
    out.set(extra, out.length - extra.length);
    for (const f of flips) if (out.length > 0) out[f.at % out.length] = f.value;
    return out;
  });

test('decodePdu never throws, and every stage is reached', (t) => {
  const reached = new Map<DecodeStage | 'ok', number>();
  let internal = 0;
  let cases = 0;
  const run = (bytes: Uint8Array): void => {
    cases++;
    const r = decodePdu(bytes); // a throw fails the property
    const last = r.ok ? 'complete' : r.stage;
    for (const s of STAGES.slice(0, STAGES.indexOf(last) + 1)) reached.set(s, (reached.get(s) ?? 0) + 1);
    if (r.ok) reached.set('ok', (reached.get('ok') ?? 0) + 1);
    else if (r.error.startsWith('internal')) internal++;
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => run(b)),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(wellFormedHeader, (b) => run(b)),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(mutatedPdu, (b) => run(b)),
    { numRuns: 5000 },
  );
  t.diagnostic(
    `${cases} cases; reached ${STAGES.map((s) => `${s} ${reached.get(s) ?? 0}`).join(', ')}; decoded ${reached.get('ok') ?? 0}`,
  );
  assert.equal(internal, 0, 'a case escaped the codec as an unexpected exception');
  for (const s of STAGES) assert.ok((reached.get(s) ?? 0) > 100, `stage ${s} reached by too few cases`);
  assert.ok((reached.get('ok') ?? 0) > 100);
});
