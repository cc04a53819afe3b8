import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeDnsHeader, encodeDnsQuery } from '../../../../src/check/probes/dns-message.js';

describe('DNS query', () => {
  test('wire format of an A query for example.test (RD set, class IN)', () => {
    const q = encodeDnsQuery(0x1234, 'example.test', 'A');
    assert.equal(
      q.toString('hex'),
      '1234' +
        '0100' +
        '0001' +
        '0000' +
        '0000' +
        '0000' +
        '076578616d706c65' +
        '0474657374' +
        '00' +
        '0001' +
        '0001',
    );
  });
  test('root name "." is a single zero byte; SOA is type 6', () => {
    const q = encodeDnsQuery(1, '.', 'SOA');
    assert.equal(q.subarray(12).toString('hex'), '00' + '0006' + '0001');
  });
  test('header decode: id, QR, rcode; short datagrams rejected', () => {
    const reply = Buffer.from('1234' + '8185' + '0001' + '0002' + '0000' + '0000', 'hex');
    assert.deepEqual(decodeDnsHeader(reply), { id: 0x1234, isResponse: true, rcode: 5, answers: 2 });
    assert.equal(decodeDnsHeader(Buffer.alloc(11)), undefined);
  });
  test('property: any id round-trips through the header', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        (id) => decodeDnsHeader(encodeDnsQuery(id, 'a.b', 'TXT'))?.id === id,
      ),
    );
  });
});
