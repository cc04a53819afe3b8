// Figure for the codec: VRRPv3-over-IPv4 adverts decoded and validated per second on one core (target at
// least 1,000,000/s). A handful of distinct packets (several masters, priorities, address counts) rotate so
// the figure is not one cached branch. Run: npx tsc -p . && node dist/bench/decode.js [seconds]
import { performance } from 'node:perf_hooks';
import type { Advert } from '../src/vrrp/advert.js';
import { buildIpv4Packet, decodeIpv4Packet } from '../src/vrrp/wire/packet.js';
import { compileExpectations, validateAdvert } from '../src/vrrp/wire/validate.js';

const vips = ['192.0.2.10', '192.0.2.11', '192.0.2.12'];
const packets: Uint8Array[] = [];
for (let i = 0; i < 8; i++) {
  const advert: Advert = {
    version: 3,
    vrid: 42,
    priority: 100 + i,
    intervalCs: 100,
    addresses: i % 4 === 3 ? vips.slice(0, 2) : vips,
    authType: 'none',
  };
  packets.push(
    buildIpv4Packet(advert, { source: `198.51.100.${i + 1}`, destination: '224.0.0.18', id: i + 1 }),
  );
}
const expectations = compileExpectations({
  vrid: 42,
  version: 3,
  family: 4,
  authType: 'none',
  intervalCs: 100,
  vips,
});

function round(n: number): { accepted: number; notes: number } {
  let accepted = 0;
  let notes = 0;
  for (let i = 0; i < n; i++) {
    const decoded = decodeIpv4Packet(packets[i & 7], 'eth0');
    if (!decoded.ok) throw new Error(`decode failed: ${decoded.reason}`);
    const verdict = validateAdvert(decoded.received, decoded.wire, expectations);
    if (verdict.ok) {
      accepted++;
      notes += verdict.notes.length;
    }
  }
  return { accepted, notes };
}

const seconds = Number(process.argv[2] ?? 2);
round(200_000); // warm up the JIT
let total = 0;
let accepted = 0;
const cpuStart = process.cpuUsage();
const start = performance.now();
while (performance.now() - start < seconds * 1000) {
  const r = round(100_000);
  total += 100_000;
  accepted += r.accepted;
}
const elapsed = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const wallRate = Math.round(total / elapsed);
const cpuRate = Math.round(total / cpuSeconds);
const fmt = (n: number): string => n.toLocaleString('en-US');
console.log(
  `decode+validate v3 IPv4 (3 VIPs): ${fmt(cpuRate)} adverts per CPU-second, ${fmt(wallRate)}/s wall clock ` +
    `(${fmt(total)} in ${elapsed.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU, ` +
    `${accepted === total ? 'all accepted' : `${accepted} accepted`}) - target 1,000,000/s: ${cpuRate >= 1_000_000 ? 'met' : 'NOT met'}`,
);
