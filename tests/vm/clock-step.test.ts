// The realtime clock stepped forward and back by an hour under two running routers. The host's clock is
// shared and never touched, and libfaketime rewrites monotonic timerfd deadlines too (docs/reliability.md,
// "Clock steps"), so the step happens for real inside the IPVS VM (tests/helpers/ipvs-vm.ts), whose clock
// is its own: `date -s` there moves CLOCK_REALTIME and leaves CLOCK_MONOTONIC alone, as an NTP step or an
// operator's `date` does on a real host. Expected of keepalived 2.2.7 and of ours alike: no state change,
// adverts every interval through both steps, and afterwards a master-down timer that still measures
// seconds (a SIGKILLed master is replaced within its bound, not an hour later).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpvsVm, ipvsVmSkipReason } from '../helpers/ipvs-vm.js';
import { gated, missingTools, TOOLS } from '../helpers/requirements.js';

const { after, before, describe, test } = gated(ipvsVmSkipReason() ?? missingTools('keepalived', 'tcpdump'));

const OURS = fileURLToPath(new URL('../../../bin/keepalived-ts', import.meta.url));
const NS = { a: 'kts-vm-clk-a', b: 'kts-vm-clk-b' };
const VIP = '10.78.0.100';
const ADVERT_INT_S = 1;
// b's master-down interval: 3 adverts + skew (256 - 100) / 256.
const MASTER_DOWN_MS = 3 * ADVERT_INT_S * 1000 + ((256 - 100) / 256) * ADVERT_INT_S * 1000;
// The window watched after each step, and the adverts it must carry (one a second, one lost to rounding).
const WINDOW_MS = 8_000;

type Impl = 'keepalived' | 'ours';

const config = (router: 'a' | 'b'): string => `global_defs {
  router_id clk_${router}
}
vrrp_instance VI_CLK {
  state BACKUP
  interface eth0
  virtual_router_id 78
  priority ${router === 'a' ? 150 : 100}
  advert_int ${ADVERT_INT_S}
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;

interface StepReport {
  adverts: number;
  vipOnA: boolean;
  vipOnB: boolean;
  transitions: number;
}

describe('the realtime clock stepped by an hour under running routers (VM)', () => {
  let vm: IpvsVm;
  let share: string;
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  before(async () => {
    share = mkdtempSync(join(tmpdir(), 'kts-vm-clock-'));
    writeFileSync(join(share, 'a.conf'), config('a'));
    writeFileSync(join(share, 'b.conf'), config('b'));
    vm = await IpvsVm.boot({ shareDir: share, memoryMb: 1536, cpus: 2 });
    console.log(`# VM boot: ${vm.bootMs} ms (kernel ${vm.kernelVersion})`);
    await vm.run(
      [
        `ip netns add ${NS.a}`,
        `ip netns add ${NS.b}`,
        `ip -n ${NS.a} link add eth0 type veth peer name eth0 netns ${NS.b}`,
        `ip -n ${NS.a} addr add 10.78.0.1/24 dev eth0`,
        `ip -n ${NS.b} addr add 10.78.0.2/24 dev eth0`,
        ...[NS.a, NS.b].flatMap((ns) => [`ip -n ${ns} link set lo up`, `ip -n ${ns} link set eth0 up`]),
        'mkdir -p /run/kts',
      ].join(' && '),
    );
  });

  after(async () => {
    await vm?.shutdown();
    if (share) rmSync(share, { recursive: true, force: true });
  });

  const hasVip = async (ns: string): Promise<boolean> =>
    (await vm.exec(`ip -n ${ns} -4 addr show dev eth0 | grep -q ' ${VIP}/'`)).status === 0;

  async function waitForVip(ns: string, want: boolean, timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      if ((await hasVip(ns)) === want) return Date.now() - t0;
      await sleep(100);
    }
    return Number.POSITIVE_INFINITY;
  }

  function start(impl: Impl, router: 'a' | 'b'): Promise<string> {
    const argv =
      impl === 'ours'
        ? `${process.execPath} ${OURS} -P -n -l -D`
        : `${TOOLS.keepalived.command} --no-syslog -P -n -l -D`;
    const tag = `${impl}-${router}`;
    const files = `-f ${share}/${router}.conf -p /run/kts/${tag}.pid -r /run/kts/${tag}.vrrp.pid -c /run/kts/${tag}.c.pid -b /run/kts/${tag}.b.pid`;
    return vm.run(
      `TMPDIR=/tmp setsid ip netns exec ${NS[router]} ${argv} ${files} </dev/null >${share}/${tag}.log 2>&1 & echo $! > /run/kts/${tag}.group`,
    );
  }

  /** State transitions logged so far by both routers (keepalived's wording, which ours keeps). */
  async function transitions(impl: Impl): Promise<number> {
    const out = await vm.run(
      `cat ${share}/${impl}-a.log ${share}/${impl}-b.log | grep -c 'Entering' || true`,
    );
    return Number(out.trim());
  }

  /** Adverts b hears from now on (tcpdump in b, line-buffered to a file). */
  async function advertsSince(impl: Impl, from: number): Promise<number> {
    const out = await vm.run(`wc -l < /run/kts/${impl}.adverts`);
    return Number(out.trim()) - from;
  }

  async function step(impl: Impl, seconds: number): Promise<StepReport> {
    const before = await transitions(impl);
    const heard = await advertsSince(impl, 0);
    await vm.run(`date -s @$(( $(date +%s) + ${seconds} )) >/dev/null`);
    await sleep(WINDOW_MS);
    return {
      adverts: await advertsSince(impl, heard),
      vipOnA: await hasVip(NS.a),
      vipOnB: await hasVip(NS.b),
      transitions: (await transitions(impl)) - before,
    };
  }

  async function run(impl: Impl): Promise<{ steps: StepReport[]; takeoverMs: number; log: string }> {
    await vm.run(
      `setsid ip netns exec ${NS.b} tcpdump -i eth0 -n -l -Q in 'ip proto 112' > /run/kts/${impl}.adverts 2>/dev/null & echo $! > /run/kts/${impl}.tcpdump`,
    );
    try {
      await start(impl, 'a');
      assert.ok(Number.isFinite(await waitForVip(NS.a, true, 60_000)), `${impl}: a becomes MASTER`);
      await start(impl, 'b');
      // b is up once it has logged its BACKUP state; then a few adverts settle it.
      await vm.run(
        `for i in $(seq 300); do grep -q 'Entering BACKUP STATE' ${share}/${impl}-b.log && exit 0; sleep 0.2; done; exit 1`,
        { timeoutMs: 90_000 },
      );
      await sleep(3_000);
      const steps = [await step(impl, 3600), await step(impl, -3600), await step(impl, -3600)];
      // Timers after the steps: b must replace a SIGKILLed master within its master-down interval.
      await vm.run(`kill -9 -$(cat /run/kts/${impl}-a.group)`);
      const takeoverMs = await waitForVip(NS.b, true, 60_000);
      const log = await vm.run(`tail -n 15 ${share}/${impl}-a.log ${share}/${impl}-b.log`);
      return { steps, takeoverMs, log };
    } finally {
      await vm.exec(
        `kill -9 -$(cat /run/kts/${impl}-a.group) -$(cat /run/kts/${impl}-b.group) $(cat /run/kts/${impl}.tcpdump) 2>/dev/null; ` +
          `date -s @${Math.round(Date.now() / 1000)} >/dev/null; sleep 1; ip -n ${NS.a} addr del ${VIP}/24 dev eth0 2>/dev/null; ip -n ${NS.b} addr del ${VIP}/24 dev eth0 2>/dev/null; true`,
      );
    }
  }

  for (const impl of ['keepalived', 'ours'] as const)
    test(`${impl}: +1 h, -1 h, -1 h: no state change, adverts throughout, timers still in seconds`, async () => {
      const { steps, takeoverMs, log } = await run(impl);
      const names = ['+1 h', '-1 h (back)', '-1 h (an hour behind)'];
      for (const [i, s] of steps.entries()) {
        console.log(
          `# ${impl} ${names[i]}: ${s.adverts} adverts in ${WINDOW_MS} ms, VIP on a ${s.vipOnA}, on b ${s.vipOnB}, ${s.transitions} transitions`,
        );
        const why = `${impl}, step ${names[i]}:\n${log}`;
        assert.equal(s.transitions, 0, why);
        assert.deepEqual([s.vipOnA, s.vipOnB], [true, false], why);
        assert.ok(s.adverts >= WINDOW_MS / 1000 / ADVERT_INT_S - 1, `${s.adverts} adverts; ${why}`);
      }
      console.log(
        `# ${impl}: b took over ${takeoverMs} ms after a's SIGKILL (master-down ${MASTER_DOWN_MS} ms)`,
      );
      // Under TCG a poll of the VIP and the daemons' own wake-ups add up to about a second.
      assert.ok(takeoverMs <= MASTER_DOWN_MS + 2_000, `takeover ${takeoverMs} ms; ${log}`);
    });
});
