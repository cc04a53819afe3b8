// Hostile input on the wire (issue #14): two of our daemons on a namespace LAN, `a` MASTER and `b` BACKUP
// of five instances (VRRPv2 PASS and IPSEC-AH, VRRPv3 auth_hmac over IPv4; VRRPv3 plain and auth_hmac over
// IPv6), and a third host sending them about 100,000 malformed and forged adverts (hostile-packets.ts):
// every length, bad checksums, wrong versions and types, TTL / hop limit below 255, wrong passwords, AH
// keys and HMACs, replayed AH and auth_hmac adverts, address counts that lie, priority 255 without the
// key, VRIDs nobody runs, from 200 forged sources; then a flood as fast as the sender can go. Both
// daemons stay up, no state changes and no VIP moves; every packet is counted under its reason, on the
// wire tally (keepalived_vrrp_packets_received_total{family,verdict}) and, where keepalived charges an
// instance, on that instance's counters; packets the receiving kernel refuses are seen in its socket drop
// counts. CPU and memory of the VRRP processes are reported (docs/reliability.md).
//   KTS_HOSTILE_SCALE (default 1): multiplies the packet counts (the length sweeps stay one per length).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  daemonUnderTest,
  globalDefs,
  hasAddress,
  instanceConfig,
  sleep,
  withLab,
  type VrrpDaemon,
} from '../helpers/vrrp-lab.js';
import { netnsExec, netnsSkipReason, waitForLine, type LanMember } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';
import { DROP_COUNTER } from '../../src/vrrp/engine/stats.js';
import type { AdvertDropReason } from '../../src/vrrp/advert.js';
import {
  HOSTILE_AH_KEY,
  HOSTILE_HMAC_KEY,
  HOSTILE_INSTANCES,
  HOSTILE_PASS,
  ROUTER_A4,
  ROUTER_A6,
  ROUTER_B4,
  ROUTER_B6,
  SENDER4,
  SENDER6,
  type Verdict,
} from './hostile-packets.js';

const { describe, test } = gated(
  daemonUnderTest() === 'keepalived'
    ? 'not applicable: the per-verdict packet tally and auth_hmac are ours (keepalived 2.2.7 has neither)'
    : netnsSkipReason(),
);
const sender = fileURLToPath(new URL('./hostile-sender.agent.js', import.meta.url));
const client = fileURLToPath(new URL('./status-client.agent.js', import.meta.url));
const SCALE = Number(process.env.KTS_HOSTILE_SCALE ?? '1');
const FLOOD = Math.round(30_000 * SCALE);
const PORT = 9661;
const TOKEN = 'kts-hostile-token-0123';

function config(node: string, address: string, priority: number): string {
  return (
    globalDefs(node) +
    `status_http {\n  listen ${address} ${PORT}\n  token ${TOKEN}\n}\n` +
    HOSTILE_INSTANCES.map((h) =>
      instanceConfig({
        name: h.name,
        vrid: h.vrid,
        version: h.version,
        priority,
        advertInt: 1,
        vips: [h.vip],
        ...(h.auth === 'pass' ? { auth: { type: 'PASS' as const, password: HOSTILE_PASS } } : {}),
        ...(h.auth === 'ah' ? { auth: { type: 'AH' as const, password: HOSTILE_AH_KEY } } : {}),
        ...(h.auth === 'hmac'
          ? {
              extra: [
                'auth_hmac {',
                `  key 1 ${HOSTILE_HMAC_KEY}`,
                '  mode enforce',
                '  time_window 300',
                '}',
              ],
            }
          : {}),
      }),
    ).join('')
  );
}

/** One sample line of the Prometheus text: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function metrics(member: LanMember, address: string): Sample[] {
  const r = netnsExec(
    member.ns,
    [process.execPath, client, 'get', `http://${address}:${PORT}`, '/metrics', TOKEN],
    { timeoutMs: 20_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const body = (JSON.parse(r.stdout) as { body: string }).body;
  const out: Sample[] = [];
  for (const line of body.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** What the test reads from one router: its wire tally and its instances' drop counters. */
interface Reading {
  /** `family/verdict` -> packets. */
  wire: Map<string, number>;
  /** `instance/keepalived counter` -> drops. */
  charged: Map<string, number>;
}

function read(member: LanMember, address: string): Reading {
  const wire = new Map<string, number>();
  const charged = new Map<string, number>();
  for (const s of metrics(member, address)) {
    if (s.name === 'keepalived_vrrp_packets_received_total')
      wire.set(`${s.labels.family}/${s.labels.verdict}`, s.value);
    if (s.name === 'keepalived_vrrp_adverts_dropped_total')
      charged.set(`${s.labels.iname}/${s.labels.reason}`, s.value);
  }
  return { wire, charged };
}

function minus(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) !== 0) out.set(k, v - (before.get(k) ?? 0));
  return out;
}

const sorted = (m: Map<string, number>): [string, number][] => [...m].sort(([x], [y]) => x.localeCompare(y));

/** Socket drops of a process's VRRP raw sockets (full buffer, or an IPv6 checksum that fails), by family. */
function socketDrops(pid: number): { 4: number; 6: number } {
  const out = { 4: 0, 6: 0 };
  for (const [file, family] of [
    ['raw', 4],
    ['raw6', 6],
  ] as const)
    for (const line of readFileSync(`/proc/${pid}/net/${file}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 5 || !['0070', '0033'].includes(f[1]!.split(':')[1]!)) continue;
      out[family] += Number(f.at(-1));
    }
  return out;
}

/** CPU seconds (user + system) and memory of a process. */
function usage(pid: number): { cpuS: number; rssMiB: number; peakRssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { cpuS: ticks / 100, rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
}

interface CategoryLine {
  category: number;
  name: string;
  family: 4 | 6;
  count: number;
  expect: { a: Verdict; b: Verdict };
  chargedVrid: number | null;
}

describe('hostile input on the wire', () => {
  test(`about ${Math.round(100 * SCALE)}k malformed and forged adverts, then a flood: nothing moves, every packet counted`, () =>
    withLab('hostile', async (lab) => {
      const t0 = Date.now();
      const stages: Record<string, number> = {};
      const stage = (name: string): void => void (stages[name] = +((Date.now() - t0) / 1000).toFixed(1));
      const [a, b, c] = lab.lan(['a', 'b', 'c']) as [LanMember, LanMember, LanMember];
      for (const [m, v4, v6] of [
        [a, ROUTER_A4, ROUTER_A6],
        [b, ROUTER_B4, ROUTER_B6],
        [c, SENDER4, SENDER6],
      ] as const) {
        lab.addAddress(m, `${v4}/24`);
        lab.addAddress(m, `${v6}/64`);
      }
      const routers: [string, LanMember, string, VrrpDaemon][] = [
        ['a', a, ROUTER_A4, lab.start('ours', a, 'a', config('a', ROUTER_A4, 200))],
        ['b', b, ROUTER_B4, lab.start('ours', b, 'b', config('b', ROUTER_B4, 100))],
      ];
      const [, , , da] = routers[0]!;
      const [, , , db] = routers[1]!;
      for (const h of HOSTILE_INSTANCES) {
        await da.waitForState(h.name, 'MASTER', 20_000);
        await db.waitForState(h.name, 'BACKUP', 20_000);
      }
      stage('elected');
      await sleep(2500); // b has heard a's AH and auth_hmac adverts (it learns their sequence numbers)
      const transitions = (d: VrrpDaemon): number =>
        HOSTILE_INSTANCES.reduce((n, h) => n + d.states(h.name).length, 0);
      const settled = { a: transitions(da), b: transitions(db) };
      const vrrpPid = (d: VrrpDaemon): number => Number(readFileSync(d.files.vrrpPid, 'utf8').trim());
      const pids = { a: vrrpPid(da), b: vrrpPid(db) };
      const before = { a: read(a, ROUTER_A4), b: read(b, ROUTER_B4) };
      const dropsBefore = { a: socketDrops(pids.a), b: socketDrops(pids.b) };
      const usageBefore = { a: usage(pids.a), b: usage(pids.b) };
      const go = join(lab.dir, 'flood-go');
      const logMarks = { a: da.mark(), b: db.mark() };

      // ---- the categories, paced so that no packet is lost to a full socket buffer
      const started = Date.now();
      const agent = lab.spawnOther(c.ns, [
        process.execPath,
        sender,
        c.ifname,
        String(SCALE),
        ROUTER_A4,
        String(FLOOD),
        go,
        String(pids.a),
        String(pids.b),
      ]);
      let stderr = '';
      agent.stderr?.on('data', (chunk: string) => (stderr += chunk));
      const categories: CategoryLine[] = [];
      const lines: string[] = [];
      agent.stdout?.on('data', (chunk: string) => lines.push(chunk));
      await waitForLine(agent, (l) => l.includes('captured') || l.includes('error'), 30_000).then((l) =>
        assert.ok(l.includes('captured'), `${l}\n${stderr}`),
      );
      await waitForLine(agent, (l) => l.includes('categories-done') || l.includes('error'), 300_000);
      for (const l of lines.join('').split('\n'))
        if (l.startsWith('{"category"')) categories.push(JSON.parse(l) as CategoryLine);
      assert.ok(!lines.join('').includes('"error"'), lines.join('') + stderr);
      const categorySeconds = (Date.now() - started) / 1000;
      stage('categories sent');
      const sent = categories.reduce((n, x) => n + x.count, 0);
      assert.ok(sent >= 100_000 * Math.min(1, SCALE), `${sent} packets sent`);

      // What each router must have counted: its wire tally by family and verdict, and its instances'
      // keepalived counters; what its kernel drops (IPv6 checksums), its socket drop count.
      const expected = (who: 'a' | 'b') => {
        const wire = new Map<string, number>();
        const charged = new Map<string, number>();
        const kernel = { 4: 0, 6: 0 };
        for (const cat of categories) {
          const verdict = cat.expect[who];
          if (verdict === 'kernel') {
            kernel[cat.family] += cat.count;
            continue;
          }
          if (verdict === 'martian') continue; // dropped by the IP layer: the tally must not see them
          const key = `${cat.family}/${verdict}`;
          wire.set(key, (wire.get(key) ?? 0) + cat.count);
          const counter = verdict === 'accepted' ? undefined : DROP_COUNTER[verdict as AdvertDropReason];
          const inst = HOSTILE_INSTANCES.find((h) => h.vrid === cat.chargedVrid && h.family === cat.family);
          if (counter && inst) {
            const k = `${inst.name}/${counter}`;
            charged.set(k, (charged.get(k) ?? 0) + cat.count);
          }
        }
        return { wire, charged, kernel };
      };
      const report: Record<string, unknown> = {
        packets: sent,
        categories: categories.length,
        categorySeconds,
      };
      for (const [who, member, address, d] of routers) {
        const want = expected(who as 'a' | 'b');
        const total = [...want.wire.values()].reduce((x, y) => x + y, 0);
        // the daemon may still be reading the last packets: wait until the tally has them all
        let got = read(member, address);
        for (let i = 0; i < 100; i++) {
          const drops = minus(got.wire, before[who as 'a' | 'b'].wire);
          const counted = [...drops].filter(([k]) => !k.endsWith('/accepted')).reduce((x, [, v]) => x + v, 0);
          if (counted >= total) break;
          await sleep(300);
          got = read(member, address);
        }
        const wire = minus(got.wire, before[who as 'a' | 'b'].wire);
        const accepted = (wire.get('4/accepted') ?? 0) + (wire.get('6/accepted') ?? 0);
        wire.delete('4/accepted');
        wire.delete('6/accepted');
        const dropsNow = socketDrops(pids[who as 'a' | 'b']);
        const dropsWas = dropsBefore[who as 'a' | 'b'];
        assert.deepEqual(
          sorted(wire),
          sorted(want.wire),
          `${who}: packets by family and verdict (socket drops meanwhile: IPv4 ${dropsNow[4] - dropsWas[4]}, ` +
            `IPv6 ${dropsNow[6] - dropsWas[6]}; the kernel was to drop ${JSON.stringify(want.kernel)})`,
        );
        // a hears no one (b is BACKUP and silent); b hears only a's own adverts, about 5 a second
        if (who === 'a')
          assert.equal(
            accepted,
            0,
            `a accepted none of the hostile packets (IPv4 ${got.wire.get('4/accepted')} ` +
              `IPv6 ${got.wire.get('6/accepted')} now; before ${before.a.wire.get('4/accepted')} ` +
              `${before.a.wire.get('6/accepted')})\n` +
              [...da.lines, ...db.lines]
                .filter((l) => !l.includes('dropped advert'))
                .slice(-60)
                .join('\n'),
          );
        else assert.ok(accepted <= 5 * (categorySeconds + 10), `b accepted ${accepted} adverts`);
        assert.deepEqual(
          sorted(minus(got.charged, before[who as 'a' | 'b'].charged)),
          sorted(want.charged),
          `${who}: keepalived's per-instance counters`,
        );
        const drops = socketDrops(pids[who as 'a' | 'b']);
        const was = dropsBefore[who as 'a' | 'b'];
        assert.deepEqual(
          { 4: drops[4] - was[4], 6: drops[6] - was[6] },
          want.kernel,
          `${who}: socket drops are the packets its kernel refused, no others`,
        );
        assert.ok(d.running, `${who} is still running\n${d.log()}`);
        const after = usage(pids[who as 'a' | 'b']);
        report[who] = {
          cpuSeconds: +(after.cpuS - usageBefore[who as 'a' | 'b'].cpuS).toFixed(2),
          rssMiBBefore: +usageBefore[who as 'a' | 'b'].rssMiB.toFixed(1),
          peakRssMiB: +after.peakRssMiB.toFixed(1),
        };
      }
      const unmoved = (): void => {
        assert.equal(transitions(da), settled.a, `a changed state\n${da.log(40)}`);
        assert.equal(transitions(db), settled.b, `b changed state\n${db.log(40)}`);
        for (const h of HOSTILE_INSTANCES) {
          assert.equal(da.state(h.name), 'MASTER');
          assert.equal(db.state(h.name), 'BACKUP');
          const vip = h.vip.split('/')[0]!;
          assert.ok(hasAddress(a.ns, vip), `a still holds ${vip}`);
          assert.ok(!hasAddress(b.ns, vip), `b does not hold ${vip}`);
        }
      };
      unmoved();
      stage('categories checked');

      // ---- the flood: as fast as the sender goes; what the socket buffers cannot hold is dropped there
      const floodBefore = { a: read(a, ROUTER_A4), b: read(b, ROUTER_B4) };
      const floodDrops = { a: socketDrops(pids.a), b: socketDrops(pids.b) };
      const floodUsage = { a: usage(pids.a), b: usage(pids.b) };
      writeFileSync(go, '');
      const done = JSON.parse(
        await waitForLine(agent, (l) => l.includes('"flood"') || l.includes('error'), 120_000),
      ) as { flood: number; seconds: number };
      await sleep(3000); // let the daemons drain their queues
      const flood: Record<string, unknown> = { sent: done.flood, sendSeconds: +done.seconds.toFixed(2) };
      for (const [who, member, address, d] of routers) {
        const w = who as 'a' | 'b';
        const got = read(member, address);
        const counted = got.wire.get('4/auth_failure')! - (floodBefore[w].wire.get('4/auth_failure') ?? 0);
        const dropped = socketDrops(pids[w])[4] - floodDrops[w][4];
        // the socket's drop count may also hold a few of a's own adverts, lost in the same full buffer
        assert.ok(
          counted <= done.flood &&
            counted + dropped >= done.flood &&
            counted + dropped <= done.flood + 5 * (done.seconds + 5),
          `${who}: every flood packet read and counted, or dropped by its socket: ` +
            `${counted} + ${dropped} for ${done.flood}`,
        );
        assert.ok(d.running, `${who} survived the flood\n${d.log()}`);
        const u = usage(pids[w]);
        flood[who] = {
          counted,
          socketDrops: dropped,
          cpuSeconds: +(u.cpuS - floodUsage[w].cpuS).toFixed(2),
          peakRssMiB: +u.peakRssMiB.toFixed(1),
        };
      }
      unmoved();
      stage('flood checked');
      // The log stays bounded: per-packet lines are rate-limited per instance and reason (5 a second,
      // then one "suppressed K similar messages" line), while the counters above counted every packet.
      await sleep(1500); // the last windows end and their summary lines are written
      const hostileSeconds = (Date.now() - started) / 1000;
      const logLines: Record<string, unknown> = {};
      for (const [who, , , d] of routers) {
        const added = d.lines.slice(logMarks[who as 'a' | 'b']);
        const suppressed = added
          .map((l) => /: suppressed (\d+) similar messages?$/.exec(l))
          .reduce((n, m) => n + (m ? Number(m[1]) : 0), 0);
        logLines[who] = { lines: added.length, suppressed };
        assert.ok(
          added.length <= 60 * hostileSeconds + 500,
          `${who}: ${added.length} log lines in ${hostileSeconds.toFixed(0)} s of hostile input\n` +
            added.slice(-40).join('\n'),
        );
        assert.ok(suppressed > 0, `${who}: repeats were suppressed and reported as a count`);
      }
      report.logLines = logLines;
      report.flood = flood;
      report.stages = stages;
      console.log(`# hostile input: ${JSON.stringify(report)}`);
    }));
});
