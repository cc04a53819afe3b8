// The realtime clock stepped forward and back by an hour under running routers: keepalived 2.2.7's pair
// and ours, side by side. The host's clock is shared and never touched, and libfaketime rewrites
// monotonic timerfd deadlines too (docs/reliability.md, "Clock steps"), so the step happens for real
// inside the IPVS VM (tests/helpers/ipvs-vm.ts), whose clock is its own: `date -s` there moves
// CLOCK_REALTIME and leaves CLOCK_MONOTONIC alone, as an NTP step or an operator's `date` does on a real
// host. Expected of keepalived 2.2.7 and of ours alike: no state change, adverts every interval through
// both steps, and afterwards a master-down timer that still measures seconds (a SIGKILLed master is
// replaced within its bound, not an hour later).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpvsVm, ipvsVmSkipReason } from '../helpers/ipvs-vm.js';
import { gated, missingTools, TOOLS } from '../helpers/requirements.js';

const { after, before, describe, test } = gated(ipvsVmSkipReason() ?? missingTools('keepalived', 'tcpdump'));

const OURS = fileURLToPath(new URL('../../../bin/keepalived-ts', import.meta.url));
// keepalived's pair and ours side by side, each pair on a veth link of its own: one set of clock steps
// serves both.
const NS = {
  keepalived: { a: 'kts-vm-clk-k-a', b: 'kts-vm-clk-k-b' },
  ours: { a: 'kts-vm-clk-o-a', b: 'kts-vm-clk-o-b' },
} as const;
const VIP = '10.78.0.100';
const ADVERT_INT_S = 1;
// b's master-down interval: 3 adverts + skew (256 - 100) / 256.
const MASTER_DOWN_MS = 3 * ADVERT_INT_S * 1000 + ((256 - 100) / 256) * ADVERT_INT_S * 1000;
// The window watched after each step, and the adverts it must carry (one a second, one lost to rounding).
const WINDOW_MS = 8_000;

type Impl = 'keepalived' | 'ours';
const IMPLS: readonly Impl[] = ['keepalived', 'ours'];

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
        ...IMPLS.flatMap((impl) => {
          const { a, b } = NS[impl];
          return [
            `ip netns add ${a}`,
            `ip netns add ${b}`,
            `ip -n ${a} link add eth0 type veth peer name eth0 netns ${b}`,
            `ip -n ${a} addr add 10.78.0.1/24 dev eth0`,
            `ip -n ${b} addr add 10.78.0.2/24 dev eth0`,
            ...[a, b].flatMap((ns) => [`ip -n ${ns} link set lo up`, `ip -n ${ns} link set eth0 up`]),
          ];
        }),
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
      `TMPDIR=/tmp setsid ip netns exec ${NS[impl][router]} ${argv} ${files} </dev/null >${share}/${tag}.log 2>&1 & echo $! > /run/kts/${tag}.group`,
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

  /** Steps the VM's clock by `seconds` and watches both pairs for a window. */
  async function step(seconds: number): Promise<Record<Impl, StepReport>> {
    const before = { keepalived: await transitions('keepalived'), ours: await transitions('ours') };
    const heard = { keepalived: await advertsSince('keepalived', 0), ours: await advertsSince('ours', 0) };
    await vm.run(`date -s @$(( $(date +%s) + ${seconds} )) >/dev/null`);
    await sleep(WINDOW_MS);
    const report = async (impl: Impl): Promise<StepReport> => ({
      adverts: await advertsSince(impl, heard[impl]),
      vipOnA: await hasVip(NS[impl].a),
      vipOnB: await hasVip(NS[impl].b),
      transitions: (await transitions(impl)) - before[impl],
    });
    return { keepalived: await report('keepalived'), ours: await report('ours') };
  }

  const groups = (impl: Impl): string => `-$(cat /run/kts/${impl}-a.group) -$(cat /run/kts/${impl}-b.group)`;

  interface Outcome {
    steps: StepReport[];
    takeoverMs: number;
    log: string;
  }

  async function runBoth(): Promise<Record<Impl, Outcome>> {
    try {
      for (const impl of IMPLS)
        await vm.run(
          `setsid ip netns exec ${NS[impl].b} tcpdump -i eth0 -n -l -Q in 'ip proto 112' > /run/kts/${impl}.adverts 2>/dev/null & echo $! > /run/kts/${impl}.tcpdump`,
        );
      for (const impl of IMPLS) await start(impl, 'a');
      for (const impl of IMPLS)
        assert.ok(Number.isFinite(await waitForVip(NS[impl].a, true, 60_000)), `${impl}: a becomes MASTER`);
      for (const impl of IMPLS) await start(impl, 'b');
      // b is up once it has logged its BACKUP state; then a few adverts settle it.
      for (const impl of IMPLS)
        await vm.run(
          `for i in $(seq 300); do grep -q 'Entering BACKUP STATE' ${share}/${impl}-b.log && exit 0; sleep 0.2; done; exit 1`,
          { timeoutMs: 90_000 },
        );
      await sleep(3_000);
      const steps = [await step(3600), await step(-3600), await step(-3600)];
      // Timers after the steps: b must replace a SIGKILLed master within its master-down interval (one
      // pair at a time, so that the two takeovers do not share the VM's CPUs).
      const outcome = {} as Record<Impl, Outcome>;
      for (const impl of IMPLS) {
        await vm.run(`kill -9 -$(cat /run/kts/${impl}-a.group)`);
        const takeoverMs = await waitForVip(NS[impl].b, true, 60_000);
        const log = await vm.run(`tail -n 15 ${share}/${impl}-a.log ${share}/${impl}-b.log`);
        outcome[impl] = { steps: steps.map((s) => s[impl]), takeoverMs, log };
      }
      return outcome;
    } finally {
      await vm.exec(
        `kill -9 ${IMPLS.map(groups).join(' ')} ${IMPLS.map((i) => `$(cat /run/kts/${i}.tcpdump)`).join(' ')} 2>/dev/null; ` +
          `date -s @${Math.round(Date.now() / 1000)} >/dev/null; true`,
      );
    }
  }

  test('keepalived 2.2.7 and ours side by side: +1 h, -1 h, -1 h: no state change, adverts throughout, timers still in seconds', async () => {
    const outcomes = await runBoth();
    const names = ['+1 h', '-1 h (back)', '-1 h (an hour behind)'];
    for (const impl of IMPLS) {
      const { steps, takeoverMs, log } = outcomes[impl];
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
      assert.ok(takeoverMs <= MASTER_DOWN_MS + 2_000, `${impl}: takeover ${takeoverMs} ms; ${log}`);
    }
  });
});
