// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// auth_hmac (keepalived 2.4's advert authentication trailer) on the real kernel, our daemon against itself:
// two routers with the same key elect normally (VRRPv3 over IPv4 and IPv6); a peer with another key is
// not heard (both become MASTER, the invalid-HMAC counter of the USR2 stats dump grows); an advert captured
// on the LAN and sent again later is dropped as a replay; permissive mode hears a peer without a trailer
// and enforce mode does not. keepalived 2.2.7 has no auth_hmac, so there is no interop test here.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  globalDefs,
  instanceConfig,
  sleep,
  withLab,
  type InstanceSpec,
  type VrrpDaemon,
  type VrrpLab,
  daemonUnderTest,
} from '../helpers/vrrp-lab.js';
import { netnsSkipReason, waitForLine, type LanMember } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';

// auth_hmac is keepalived 2.4's: the oracle run (KTS_DAEMON_IMPL=keepalived) has no 2.4 to compare with.
const skipReason =
  daemonUnderTest() === 'keepalived'
    ? "not applicable: auth_hmac is keepalived 2.4's; Debian's keepalived 2.2.7 has none"
    : netnsSkipReason();
const { describe, test } = gated(skipReason);
const ADVERT = 0.3;
const KEY_A = 'kts-auth-hmac-test-key-0123456789abcdef';
const KEY_B = 'kts-auth-hmac-other-key-0123456789abcdef';
const agent = fileURLToPath(new URL('./replay.agent.js', import.meta.url));
/** Instance names unique to this run, so that a stats file is never mistaken for another run's. */
const unique = `HM${process.pid}`;

function nodes(lab: VrrpLab, names: string[]): LanMember[] {
  const members = lab.lan(names);
  members.forEach((m, i) => {
    lab.addAddress(m, `10.7.0.${i + 1}/24`);
    lab.addAddress(m, `2001:db8:7::${i + 1}/64`);
  });
  return members;
}

function hmacBlock(key: string | undefined, mode = 'enforce'): string[] {
  if (key === undefined) return [];
  return ['auth_hmac {', `  key 1 ${key}`, `  mode ${mode}`, '}'];
}

function config(
  node: string,
  spec: Partial<InstanceSpec> & { priority: number; name: string },
  hmac: string[],
) {
  return (
    globalDefs(node) +
    instanceConfig({ vrid: 61, version: 3, advertInt: ADVERT, vips: ['10.7.0.100/24'], ...spec, extra: hmac })
  );
}

type Counters = Record<string, number>;

/** One instance's block of keepalived's stats layout as { 'Section/Label': n, 'Label': n }. */
function parseStats(text: string, instance: string): Counters | undefined {
  const blocks = text.split(/^VRRP Instance: /m);
  const block = blocks.find((b) => b.split('\n')[0]?.trim() === instance);
  if (block === undefined) return undefined;
  const out: Counters = {};
  let section = '';
  for (const line of block.split('\n').slice(1)) {
    const m = /^(\s+)([^:]+):\s*(\d+)?$/.exec(line);
    if (!m) continue;
    const [, indent, label, value] = m;
    if (value === undefined) section = label as string;
    else out[(indent as string).length > 2 ? `${section}/${label}` : (label as string)] = Number(value);
  }
  return out;
}

const RECEIVED = 'Advertisements/Received';
const EXT = (label: string): string => `Authentication Extension/${label}`;

/** SIGUSR2 to the VRRP child, then the instance's counters from keepalived.stats in its TMPDIR. */
async function stats(d: VrrpDaemon, instance: string): Promise<Counters> {
  const STATS = `${d.files.tmpDir}/keepalived.stats`;
  const pid = Number(readFileSync(d.files.vrrpPid, 'utf8').trim());
  const mtime = (): number => (existsSync(STATS) ? statSync(STATS).mtimeMs : 0);
  for (let attempt = 0; attempt < 20; attempt++) {
    const before = mtime();
    process.kill(pid, 'SIGUSR2');
    // A busy machine may take a while to write: never read the previous dump as this one.
    for (let i = 0; i < 40 && mtime() === before; i++) await sleep(50);
    const mine = parseStats(readFileSync(STATS, 'utf8'), instance);
    if (mine) return mine;
  }
  throw new Error(`no stats of ${instance} in ${STATS}\n${d.log(20)}`);
}

/** Polls `counters` until `ok` holds (for counters that grow between dumps). */
async function statsUntil(d: VrrpDaemon, instance: string, ok: (c: Counters) => boolean): Promise<Counters> {
  let last: Counters = {};
  for (let attempt = 0; attempt < 15; attempt++) {
    last = await stats(d, instance);
    if (ok(last)) return last;
    await sleep(200);
  }
  throw new Error(`${instance} counters never matched: ${JSON.stringify(last)}\n${d.log(20)}`);
}

describe('auth_hmac (ours vs ours)', () => {
  for (const family of [4, 6] as const) {
    test(`VRRPv3 over IPv${family}: two routers with the same key elect one MASTER`, () =>
      withLab(`hm${family}`, async (lab) => {
        const [a, b] = nodes(lab, ['a', 'b']) as [LanMember, LanMember];
        const name = `${unique}_E${family}`;
        const vips = family === 4 ? ['10.7.0.100/24'] : ['2001:db8:7::100/64'];
        const da = lab.start('ours', a, 'a', config('a', { name, priority: 200, vips }, hmacBlock(KEY_A)));
        const db = lab.start('ours', b, 'b', config('b', { name, priority: 100, vips }, hmacBlock(KEY_A)));
        await da.waitForState(name, 'MASTER', 10_000);
        await db.waitForState(name, 'BACKUP', 10_000);
        await sleep(ADVERT * 6 * 1000);
        assert.equal(da.state(name), 'MASTER', da.log());
        assert.equal(db.state(name), 'BACKUP', db.log());
        const sb = await stats(db, name);
        assert.ok((sb[RECEIVED] ?? 0) > 3, `b heard a's signed adverts: ${JSON.stringify(sb)}`);
        for (const k of ['Invalid HMAC', 'Missing', 'Replay', 'Stale', 'Unknown Key', 'Malformed'])
          assert.equal(sb[EXT(k)], 0, `${k}: ${JSON.stringify(sb)}`);
        // A reload of the MASTER keeps its sequence growing: b sees no replay and stays BACKUP.
        const since = da.mark();
        process.kill(Number(readFileSync(da.files.pid, 'utf8').trim()), 'SIGHUP');
        await da.waitForLog(/Reloading/i, 5000, since);
        await sleep(ADVERT * 5 * 1000);
        const after = await stats(db, name);
        assert.ok((after[RECEIVED] ?? 0) > (sb[RECEIVED] ?? 0), JSON.stringify(after));
        assert.equal(after[EXT('Replay')], 0, JSON.stringify(after));
        assert.equal(db.state(name), 'BACKUP', db.log());
      }));
  }

  test('a peer with another key is not heard: both become MASTER and the invalid-HMAC counter grows', () =>
    withLab('hmkey', async (lab) => {
      const [a, b] = nodes(lab, ['a', 'b']) as [LanMember, LanMember];
      const name = `${unique}_K`;
      const da = lab.start('ours', a, 'a', config('a', { name, priority: 200 }, hmacBlock(KEY_A)));
      const db = lab.start('ours', b, 'b', config('b', { name, priority: 100 }, hmacBlock(KEY_B)));
      await da.waitForState(name, 'MASTER', 10_000);
      await db.waitForState(name, 'MASTER', 10_000);
      // As in keepalived, a MASTER's advert timer restarts on every packet it reads, dropped or not: with
      // equal intervals one of the two may fall silent, so the drops are counted on both sides together.
      const invalid = async (): Promise<number> =>
        ((await stats(da, name))[EXT('Invalid HMAC')] ?? 0) +
        ((await stats(db, name))[EXT('Invalid HMAC')] ?? 0);
      const first = await invalid();
      await sleep(ADVERT * 4 * 1000);
      const second = await invalid();
      assert.ok(
        first > 0 && second > first,
        `counter grows: ${first} then ${second}\n${da.log(20)}\n${db.log(20)}`,
      );
      for (const d of [da, db]) {
        assert.equal((await stats(d, name))[RECEIVED], 0, `${d.label} accepted nothing`);
        assert.equal(d.state(name), 'MASTER', d.log());
      }
    }));

  test('VRRPv2 over IPv4 unicast: signed adverts to the peer elect one MASTER', () =>
    withLab('hmuni', async (lab) => {
      const [a, b] = nodes(lab, ['a', 'b']) as [LanMember, LanMember];
      const name = `${unique}_U`;
      const spec = (self: string, peer: string, priority: number) => ({
        name,
        priority,
        version: 2 as const,
        advertInt: 1,
        unicast: { srcIp: self, peers: [peer] },
      });
      const da = lab.start('ours', a, 'a', config('a', spec('10.7.0.1', '10.7.0.2', 200), hmacBlock(KEY_A)));
      const db = lab.start('ours', b, 'b', config('b', spec('10.7.0.2', '10.7.0.1', 100), hmacBlock(KEY_A)));
      await da.waitForState(name, 'MASTER', 10_000);
      await db.waitForState(name, 'BACKUP', 10_000);
      const sb = await statsUntil(db, name, (s) => (s[RECEIVED] ?? 0) >= 2);
      for (const k of ['Invalid HMAC', 'Missing', 'Replay', 'Stale'])
        assert.equal(sb[EXT(k)], 0, `${k}: ${JSON.stringify(sb)}`);
      assert.equal(db.state(name), 'BACKUP', db.log());
    }));

  test('an advert captured on the LAN and sent again later is dropped as a replay', () =>
    withLab('hmrep', async (lab) => {
      const [a, b, c] = nodes(lab, ['a', 'b', 'c']) as [LanMember, LanMember, LanMember];
      const name = `${unique}_R`;
      const da = lab.start('ours', a, 'a', config('a', { name, priority: 200 }, hmacBlock(KEY_A)));
      const db = lab.start('ours', b, 'b', config('b', { name, priority: 100 }, hmacBlock(KEY_A)));
      await da.waitForState(name, 'MASTER', 10_000);
      await db.waitForState(name, 'BACKUP', 10_000);
      const before = await stats(db, name);
      assert.equal(before[EXT('Replay')], 0, JSON.stringify(before));
      // c captures one of a's adverts and sends the same bytes 1 s later (inside the 5 s time window).
      const replayer = lab.spawnOther(c.ns, [process.execPath, agent, 'eth0', '10.7.0.1', '1000']);
      await waitForLine(replayer, (l) => l.includes('ready'), 5000);
      const captured = JSON.parse(await waitForLine(replayer, (l) => l.includes('captured'), 5000)) as {
        length: number;
      };
      assert.equal(captured.length, 20 + 12 + 28, 'IP header, VRRPv3 with one VIP, the 28-byte trailer');
      await waitForLine(replayer, (l) => l.includes('replayed'), 5000);
      await statsUntil(db, name, (s) => (s[EXT('Replay')] ?? 0) >= 1);
      assert.equal(db.state(name), 'BACKUP', db.log());
    }));

  test('permissive hears a peer without a trailer; enforce does not', () =>
    withLab('hmperm', async (lab) => {
      const [a, b, c] = nodes(lab, ['a', 'b', 'c']) as [LanMember, LanMember, LanMember];
      const name = `${unique}_P`;
      // b (no auth_hmac, highest priority) is MASTER; a (permissive) accepts it, c (enforce) does not.
      const db = lab.start('ours', b, 'b', config('b', { name, priority: 200 }, []));
      const da = lab.start(
        'ours',
        a,
        'a',
        config('a', { name, priority: 100 }, hmacBlock(KEY_A, 'permissive')),
      );
      // c's adverts are slower than b's: b drops them (a trailer it has no key for), and a MASTER's timer
      // restarts on every packet read, so at equal intervals c could silence b.
      const dc = lab.start(
        'ours',
        c,
        'c',
        config('c', { name, priority: 50, advertInt: 1 }, hmacBlock(KEY_A)),
      );
      await db.waitForState(name, 'MASTER', 10_000);
      await da.waitForState(name, 'BACKUP', 10_000);
      await dc.waitForState(name, 'MASTER', 10_000);
      await sleep(ADVERT * 4 * 1000);
      assert.equal(da.state(name), 'BACKUP', da.log());
      const sa = await stats(da, name);
      assert.ok((sa[RECEIVED] ?? 0) > 0 && sa[EXT('Missing')] === 0, `a (permissive): ${JSON.stringify(sa)}`);
      const sc = await stats(dc, name);
      assert.ok(
        (sc[EXT('Missing')] ?? 0) > 0,
        `c (enforce) counts b's adverts as missing: ${JSON.stringify(sc)}`,
      );
    }));
});
