// The AgentX codec against bytes written out by hand, field by field, from RFC 2741's layouts (section 6.1
// header, 5.1 Object Identifier with its 1.3.6.1 prefix compression, 5.2 SearchRange, 5.3 Octet String
// padding, 5.4 VarBind, 6.2.1 Open, 6.2.3 Register, 6.2.16 Response); against a real exchange between
// Debian's keepalived 2.2.7 (net-snmp's subagent) and snmpd (tests/fixtures/snmp/netsnmp-agentx.txt), whose
// PDUs must decode and re-encode to the very same bytes; and round trips of random PDUs in both byte orders.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { decodePdu, encodePdu, frameLength } from '../../../src/snmp/agentx/codec.js';
import type { Pdu } from '../../../src/snmp/agentx/pdu.js';
import type { SnmpValue, VarBind } from '../../../src/snmp/types.js';
import { arbitraryPdu } from '../../helpers/agentx-arbitrary.js';

const hex = (s: string): Uint8Array =>
  Uint8Array.from(Buffer.from(s.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function decoded(bytes: Uint8Array): Pdu {
  const r = decodePdu(bytes);
  if (!r.ok) throw new Error(`decode failed at ${r.stage}: ${r.error}`);
  assert.equal(r.length, bytes.length);
  return r.pdu;
}

// keepalived's enterprise subtree 1.3.6.1.4.1.9586.100.5: prefix 4, then 1.9586.100.5.
const OPEN = hex(`
  01 01 10 00          # h.version 1, h.type 1 (Open), h.flags NETWORK_BYTE_ORDER, reserved
  00000000 00000000    # h.sessionID, h.transactionID
  00000001             # h.packetID
  00000020             # h.payload_length: 4 + 20 + 8
  05 000000            # o.timeout 5 s, reserved
  04 04 00 00          # o.id: n_subid 4, prefix 4 (1.3.6.1.4), include 0, reserved
  00000001 00002572 00000064 00000005   # .1.9586.100.5
  00000002 6b610000    # o.descr: length 2, "ka", padded to 4
`);

describe('AgentX codec: RFC 2741 layouts', () => {
  test('Open-PDU: header, compressed OID, padded Octet String', () => {
    const pdu: Pdu = {
      type: 'open',
      sessionId: 0,
      transactionId: 0,
      packetId: 1,
      timeout: 5,
      id: [1, 3, 6, 1, 4, 1, 9586, 100, 5],
      descr: text('ka'),
    };
    assert.equal(toHex(encodePdu(pdu)), toHex(OPEN));
    assert.deepEqual(decoded(OPEN), pdu);
  });

  test('Register-PDU with a range (6.2.3: r.upper_bound after the subtree)', () => {
    const bytes = hex(`
      01 03 10 00  0000002a 00000000 00000007  00000020
      00 7f 0a 00            # r.timeout 0, r.priority 127, r.range_subid 10, reserved
      05 02 00 00  00000001 00000044 00000001 00000003 00000001   # 1.3.6.1.2 + .1.68.1.3.1
      00000010               # r.upper_bound: sub-identifier 10 of the subtree ranges up to 16
    `);
    const pdu: Pdu = {
      type: 'register',
      sessionId: 42,
      transactionId: 0,
      packetId: 7,
      timeout: 0,
      priority: 127,
      rangeSubid: 10,
      subtree: [1, 3, 6, 1, 2, 1, 68, 1, 3, 1],
      upperBound: 16,
    };
    assert.equal(toHex(encodePdu(pdu)), toHex(bytes));
    assert.deepEqual(decoded(bytes), pdu);
  });

  test('GetNext-PDU: SearchRanges with the include byte, an uncompressible OID and the null OID', () => {
    const bytes = hex(`
      01 06 10 00  00000001 00000002 00000003  00000044
      05 04 01 00  00000001 00002572 00000064 00000005 00000002   # start .1.3.6.1.4.1.9586.100.5.2, include
      05 04 00 00  00000001 00002572 00000064 00000005 00000003   # end   .1.3.6.1.4.1.9586.100.5.3
      03 00 00 00  00000002 00000001 00000000                     # start .2.1.0: no 1.3.6.1 prefix
      00 00 00 00                                                 # end: the null OID, no bound
    `);
    const pdu: Pdu = {
      type: 'getNext',
      sessionId: 1,
      transactionId: 2,
      packetId: 3,
      ranges: [
        {
          start: [1, 3, 6, 1, 4, 1, 9586, 100, 5, 2],
          include: true,
          end: [1, 3, 6, 1, 4, 1, 9586, 100, 5, 3],
        },
        { start: [2, 1, 0], include: false, end: [] },
      ],
    };
    assert.equal(toHex(encodePdu(pdu)), toHex(bytes));
    assert.deepEqual(decoded(bytes), pdu);
  });

  test('Response-PDU: one VarBind of each value type (5.4)', () => {
    const name = (last: number): string => `03 02 00 00 00000001 00000001 0000000${last}`; // 1.3.6.1.2.1.1.N
    const bytes = hex(`
      01 12 10 00  00000009 00000000 00000004  0000012c
      000004d2 0000 0000                     # res.sysUpTime 1234, res.error 0, res.index 0
      0002 0000 ${name(1)} fffffffe          # Integer -2
      0004 0000 ${name(2)} 00000003 616263 00   # Octet String "abc", padded
      0005 0000 ${name(3)}                   # Null
      0006 0000 ${name(4)} 02 01 00 00 00000001 00000002   # OBJECT IDENTIFIER 1.3.6.1.1.1.2
      0040 0000 ${name(5)} 00000004 0a070001 # IpAddress 10.7.0.1
      0041 0000 ${name(6)} ffffffff          # Counter32
      0042 0000 ${name(7)} 00000064          # Gauge32 100
      0043 0000 ${name(8)} 00000007          # TimeTicks 7
      0046 0000 ${name(9)} 00000001 00000002 # Counter64 2^32 + 2
      0080 0000 ${name(1)}                   # noSuchObject
      0081 0000 ${name(2)}                   # noSuchInstance
      0082 0000 ${name(3)}                   # endOfMibView
    `);
    const n = (last: number): number[] => [1, 3, 6, 1, 2, 1, 1, last];
    const values: SnmpValue[] = [
      { type: 'integer', value: -2 },
      { type: 'octets', value: text('abc') },
      { type: 'null' },
      { type: 'oid', value: [1, 3, 6, 1, 1, 1, 2] },
      { type: 'ipaddress', value: Uint8Array.of(10, 7, 0, 1) },
      { type: 'counter32', value: 0xffffffff },
      { type: 'gauge32', value: 100 },
      { type: 'timeticks', value: 7 },
      { type: 'counter64', value: (1n << 32n) + 2n },
      { type: 'noSuchObject' },
      { type: 'noSuchInstance' },
      { type: 'endOfMibView' },
    ];
    const varbinds: VarBind[] = values.map((value, i) => ({ oid: n(i < 9 ? i + 1 : i - 8), value }));
    const pdu: Pdu = {
      type: 'response',
      sessionId: 9,
      transactionId: 0,
      packetId: 4,
      sysUpTime: 1234,
      error: 0,
      index: 0,
      varbinds,
    };
    assert.equal(toHex(encodePdu(pdu)), toHex(bytes));
    assert.deepEqual(decoded(bytes), pdu);
  });

  test('little-endian PDUs (NETWORK_BYTE_ORDER clear) decode, and encode when asked', () => {
    const bytes = hex(`
      01 0d 00 00  01000000 02000000 03000000  00000000   # Ping, all integers least significant byte first
    `);
    const pdu: Pdu = { type: 'ping', sessionId: 1, transactionId: 2, packetId: 3 };
    assert.deepEqual(decoded(bytes), pdu);
    assert.equal(toHex(encodePdu(pdu, { bigEndian: false })), toHex(bytes));
  });

  test('a non-default context comes first in the payload (6.1.1) and sets NON_DEFAULT_CONTEXT', () => {
    const bytes = hex(`01 0d 18 00 00000001 00000002 00000003 00000008  00000003 637478 00`);
    const pdu: Pdu = { type: 'ping', sessionId: 1, transactionId: 2, packetId: 3, context: text('ctx') };
    assert.equal(toHex(encodePdu(pdu)), toHex(bytes));
    assert.deepEqual(decoded(bytes), pdu);
  });

  test('an OID whose fifth sub-identifier is over 255 is sent without prefix', () => {
    const pdu: Pdu = {
      type: 'removeAgentCaps',
      sessionId: 1,
      transactionId: 0,
      packetId: 1,
      id: [1, 3, 6, 1, 256, 7],
    };
    const bytes = encodePdu(pdu);
    assert.equal(toHex(bytes.subarray(20, 24)), '06000000');
    assert.deepEqual(decoded(bytes), pdu);
  });

  test('frameLength: partial headers and payloads, then the whole PDU', () => {
    assert.deepEqual(frameLength(OPEN.subarray(0, 19)), { kind: 'partial' });
    assert.deepEqual(frameLength(OPEN.subarray(0, 30)), { kind: 'partial' });
    assert.deepEqual(frameLength(OPEN), { kind: 'frame', length: OPEN.length });
    const bad = Uint8Array.from(OPEN);
    bad[19] = 0x21; // payload length 33: not a multiple of 4
    assert.equal(frameLength(bad).kind, 'invalid');
  });

  test('decode errors name the stage and keep the header ids', () => {
    const truncated = Uint8Array.from(OPEN.subarray(0, OPEN.length - 4));
    truncated[19] = 0x1c; // claims 28 bytes: the descr is cut short
    const r = decodePdu(truncated);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.stage, 'body');
    assert.equal(r.header?.packetId, 1);
    const trailing = hex(`01 0d 10 00 00000001 00000002 00000003 00000004 00000000`);
    const t = decodePdu(trailing);
    assert.equal(t.ok ? 'ok' : t.stage, 'complete');
    const version = Uint8Array.from(OPEN);
    version[0] = 2;
    const v = decodePdu(version);
    assert.equal(v.ok ? 'ok' : v.stage, 'header');
  });
});

describe('AgentX codec: what net-snmp 5.9.3 really sends', () => {
  const file = fileURLToPath(new URL('../../../../tests/fixtures/snmp/netsnmp-agentx.txt', import.meta.url));
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const [who, bytes] = l.split(' ') as [string, string];
      return { who, bytes: hex(bytes) };
    });

  test('every recorded PDU decodes and re-encodes to the same bytes', () => {
    assert.ok(lines.length >= 15);
    for (const { who, bytes } of lines) {
      const pdu = decoded(bytes);
      const again = encodePdu(pdu, { bigEndian: false });
      assert.equal(again.length, bytes.length, `${who} ${pdu.type}`);
      // net-snmp sets the include byte of varbind names in its Notify (RFC 2741 gives it a meaning only in
      // SearchRanges; we send 0): those bytes, and only those, may differ.
      const differing = [...bytes.keys()].filter((i) => bytes[i] !== again[i]);
      if (pdu.type === 'notify') {
        assert.ok(differing.length <= pdu.varbinds.length, `${who} ${pdu.type}`);
        for (const i of differing) assert.deepEqual([bytes[i], again[i]], [1, 0], `byte ${i}`);
      } else assert.deepEqual(differing, [], `${who} ${pdu.type}`);
    }
  });

  test('the exchange reads as RFC 2741 says it goes', () => {
    const pdus = lines.map((l) => ({ who: l.who, pdu: decoded(l.bytes) }));
    const types = new Set(pdus.map((p) => `${p.who}:${p.pdu.type}`));
    for (const t of [
      'sub:open',
      'sub:register',
      'sub:addAgentCaps',
      'sub:notify',
      'sub:removeAgentCaps',
      'sub:close',
      'master:get',
      'master:getNext',
      'master:response',
      'sub:response',
    ])
      assert.ok(types.has(t), t);
    const open = pdus.find((p) => p.pdu.type === 'open')?.pdu;
    assert.equal(open?.type === 'open' && new TextDecoder().decode(open.descr), 'Net-SNMP AgentX sub-agent');
    // keepalived registers each object at priority 127 in the (empty-named) default context.
    const reg = pdus.find((p) => p.pdu.type === 'register')?.pdu;
    assert.ok(reg?.type === 'register');
    assert.equal(reg.priority, 127);
    assert.equal(reg.context?.length, 0);
    // Its notifications start with sysUpTime.0, then snmpTrapOID.0.
    const notify = pdus.find((p) => p.pdu.type === 'notify')?.pdu;
    assert.ok(notify?.type === 'notify');
    assert.deepEqual(notify.varbinds[0]?.oid, [1, 3, 6, 1, 2, 1, 1, 3, 0]);
    assert.deepEqual(notify.varbinds[1]?.oid, [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0]);
    // Every Response echoes the ids of the PDU it answers.
    const requests = pdus.filter((p) => p.who === 'master' && p.pdu.type !== 'response');
    for (const { pdu } of requests) {
      const answer = pdus.find(
        (p) => p.who === 'sub' && p.pdu.type === 'response' && p.pdu.packetId === pdu.packetId,
      );
      assert.ok(answer, `answer to ${pdu.type} ${pdu.packetId}`);
      assert.equal(answer.pdu.sessionId, pdu.sessionId);
      assert.equal(answer.pdu.transactionId, pdu.transactionId);
    }
  });
});

test('random PDUs survive encode then decode, in both byte orders', () => {
  fc.assert(
    fc.property(arbitraryPdu, fc.boolean(), (pdu, bigEndian) => {
      const r = decodePdu(encodePdu(pdu, { bigEndian }));
      assert.ok(r.ok, r.ok ? '' : `${r.stage}: ${r.error}`);
      assert.deepEqual(r.pdu, pdu);
    }),
    { numRuns: 500 },
  );
});
