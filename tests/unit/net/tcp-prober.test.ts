// The TCP prober's request records: the byte layout the addon reads, flag choices (bind address,
// SO_BINDTODEVICE, link-local scope, fwmark, close mode), input validation, and the verdicts TCP_CHECK
// derives from the reported errno.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import fc from 'fast-check';
import {
  encodeTcpProbe,
  errnoName,
  errnoText,
  ETIMEDOUT,
  TCP_PROBE_FLAGS as F,
  TCP_PROBE_OFFSETS as O,
  TCP_PROBE_RECORD_SIZE,
} from '../../../src/net/tcp-prober.js';
import { native } from '../../../src/net/native.js';
import { tcpProbeResult } from '../../../src/check/probes/tcp.js';

const le = endianness() === 'LE';
const view = (r: Uint8Array): DataView => new DataView(r.buffer, r.byteOffset, r.byteLength);
const u16 = (r: Uint8Array, at: number): number => view(r).getUint16(at, le);
const u32 = (r: Uint8Array, at: number): number => view(r).getUint32(at, le);
const ifname = (r: Uint8Array): string => {
  const bytes = r.subarray(O.ifname, O.ifname + 16);
  return Buffer.from(bytes.subarray(0, bytes.indexOf(0))).toString();
};

describe('encodeTcpProbe', () => {
  test('IPv4 target: family, port, timeout, address in network order, FIN close', () => {
    const r = encodeTcpProbe({ address: '192.0.2.10', port: 8080, timeoutMs: 5000 });
    assert.equal(r.length, TCP_PROBE_RECORD_SIZE);
    assert.equal(r[O.family], 4);
    assert.equal(r[O.flags], F.gracefulClose); // a FIN, as keepalived 2.2 closes
    assert.equal(u16(r, O.port), 8080);
    assert.equal(u16(r, O.bindPort), 0);
    assert.equal(u32(r, O.timeoutMs), 5000);
    assert.deepEqual([...r.subarray(O.destination, O.destination + 4)], [192, 0, 2, 10]);
    assert.ok(r.subarray(O.destination + 4, O.destination + 16).every((b) => b === 0));
    assert.equal(ifname(r), '');
  });

  test('bindto, bind_port, bind_if and fwmark set their fields and flags', () => {
    const r = encodeTcpProbe({
      address: '10.0.0.2',
      port: 80,
      bindTo: '10.0.0.1',
      bindPort: 4000,
      bindIf: 'eth1',
      fwmark: 0x8000_0001,
      timeoutMs: 1000,
      resetOnClose: true,
    });
    assert.equal(r[O.flags], F.bindAddress | F.bindDevice | F.mark);
    assert.deepEqual([...r.subarray(O.bindAddress, O.bindAddress + 4)], [10, 0, 0, 1]);
    assert.equal(u16(r, O.bindPort), 4000);
    assert.equal(ifname(r), 'eth1');
    assert.equal(u32(r, O.mark), 0x8000_0001);
  });

  test('IPv6 link-local: bind_if is both the device and the scope', () => {
    const r = encodeTcpProbe({ address: 'fe80::2', port: 22, bindIf: 'veth0', timeoutMs: 1000 });
    assert.equal(r[O.family], 6);
    assert.equal(r[O.flags], F.bindDevice | F.scopeFromIfname | F.gracefulClose);
    assert.deepEqual([...r.subarray(O.destination, O.destination + 2)], [0xfe, 0x80]);
    assert.equal(r[O.destination + 15], 2);
    assert.equal(ifname(r), 'veth0');
  });

  test('IPv6 %zone gives the scope without binding the device; global addresses need no scope', () => {
    const zoned = encodeTcpProbe({ address: 'fe80::1%br0', port: 1, timeoutMs: 1, resetOnClose: true });
    assert.equal(zoned[O.flags], F.scopeFromIfname);
    assert.equal(ifname(zoned), 'br0');
    const global = encodeTcpProbe({
      address: '2001:db8::1',
      port: 1,
      bindIf: 'eth0',
      timeoutMs: 1,
      resetOnClose: true,
    });
    assert.equal(global[O.flags], F.bindDevice);
  });

  test('close mode and timeout clamping', () => {
    const r = encodeTcpProbe({ address: '::1', port: 1, timeoutMs: 0.2, resetOnClose: true });
    assert.equal(r[O.flags], 0);
    assert.equal(u32(r, O.timeoutMs), 1);
    const huge = encodeTcpProbe({ address: '::1', port: 1, timeoutMs: 2 ** 40 });
    assert.equal(u32(huge, O.timeoutMs), 0xffffffff);
  });

  test('rejects what the kernel would reject later, with a readable error', () => {
    const bad = [
      { address: 'example.org', port: 80, timeoutMs: 1 },
      { address: '10.0.0.1', port: 70000, timeoutMs: 1 },
      { address: '10.0.0.1', port: 80, bindTo: '::1', timeoutMs: 1 },
      { address: '10.0.0.1%eth0', port: 80, timeoutMs: 1 },
      { address: '10.0.0.1', port: 80, bindIf: 'a-very-long-ifname', timeoutMs: 1 },
      { address: '10.0.0.1', port: 80, bindPort: -1, timeoutMs: 1 },
    ];
    for (const target of bad) assert.throws(() => encodeTcpProbe(target), RangeError, JSON.stringify(target));
  });

  test('property: any IPv4 target round-trips through the record', () => {
    fc.assert(
      fc.property(
        fc.ipV4(),
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 1, max: 3_600_000 }),
        (address, port, timeoutMs) => {
          const r = encodeTcpProbe({ address, port, timeoutMs });
          const back = [...r.subarray(O.destination, O.destination + 4)].join('.');
          assert.equal(back, address.split('.').map(Number).join('.'));
          assert.equal(u16(r, O.port), port);
          assert.equal(u32(r, O.timeoutMs), timeoutMs);
        },
      ),
    );
  });

  test('the layout constants agree with the built addon', () => {
    const c = native().constants;
    assert.equal(c.TCP_PROBE_RECORD_SIZE, TCP_PROBE_RECORD_SIZE);
    assert.equal(c.TCP_PROBE_F_BIND_ADDR, F.bindAddress);
    assert.equal(c.TCP_PROBE_F_BIND_DEVICE, F.bindDevice);
    assert.equal(c.TCP_PROBE_F_SCOPE_FROM_IFNAME, F.scopeFromIfname);
    assert.equal(c.TCP_PROBE_F_MARK, F.mark);
    assert.equal(c.TCP_PROBE_F_GRACEFUL_CLOSE, F.gracefulClose);
  });
});

describe('errno names and TCP_CHECK verdicts', () => {
  test('errno numbers map to their Linux names', () => {
    assert.equal(errnoName(111), 'ECONNREFUSED');
    assert.equal(errnoName(ETIMEDOUT), 'ETIMEDOUT');
    assert.equal(errnoName(99999), 'E99999');
    assert.match(errnoText(113), /^EHOSTUNREACH: /);
  });

  test('0 is up, ETIMEDOUT is "timed out", anything else names the errno', () => {
    assert.deepEqual(tcpProbeResult(0), { ok: true, detail: 'connected' });
    assert.deepEqual(tcpProbeResult(ETIMEDOUT), { ok: false, detail: 'timed out' });
    const refused = tcpProbeResult(111);
    assert.equal(refused.ok, false);
    assert.match(refused.detail, /^connect ECONNREFUSED/);
  });
});
