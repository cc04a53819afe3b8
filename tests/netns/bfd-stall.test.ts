// Our BFD child with its JavaScript thread held up longer than the detection time (finding 4 of
// docs/reliability.md): its control packets leave from the native timed sender (src/daemon/bfd/bfd-tx.ts),
// so keepalived's BFD on the other end must not see them stop, and packets that came in meanwhile must
// count from when they came, so that ours does not time out either. The hold is a test hook of the BFD
// child (KTS_TEST_BFD_STALL_MS, then SIGUSR2: Atomics.wait on its JS thread; SIGSTOP would stop the
// sender thread too). Control: the same hold with KTS_BFD_SENDER=js (packets from the JS thread, as
// before) takes keepalived's session Down.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated, missingTools } from '../helpers/requirements.js';
import {
  globalDefs,
  keepalivedSkipReason,
  sleep,
  type VrrpDaemon,
  type VrrpLab,
  withLab,
} from '../helpers/vrrp-lab.js';
import { bfdInstance, startDaemon, waitForBfd } from './bfd-lab.js';

const { describe, test } = gated(netnsSkipReason() ?? keepalivedSkipReason() ?? missingTools('tcpdump'));

const TX_MS = 100;
const MULT = 3;
const DETECT_MS = TX_MS * MULT;
const STALL_MS = 1000;
const A = '10.9.0.1';
const B = '10.9.0.2';

interface Run {
  aDowns: string[];
  bDowns: string[];
  /** Largest gap between our packets as b's interface saw them, during the hold (ms). */
  maxGapMs: number;
  packetsInHold: number;
}

/** Starts ours on a and keepalived on b, waits for Up, holds our BFD child's JS thread, watches. */
async function stallRun(lab: VrrpLab, a: LanMember, b: LanMember, sender: 'native' | 'js'): Promise<Run> {
  process.env.KTS_TEST_BFD_STALL_MS = String(STALL_MS);
  if (sender === 'js') process.env.KTS_BFD_SENDER = 'js';
  else delete process.env.KTS_BFD_SENDER;
  const timers = [`min_rx ${TX_MS}`, `min_tx ${TX_MS}`, `multiplier ${MULT}`];
  let da: VrrpDaemon | undefined;
  let db: VrrpDaemon | undefined;
  try {
    da = startDaemon(
      lab,
      'ours',
      a.ns,
      `a-${sender}`,
      globalDefs('a') + bfdInstance('to_b', [`neighbor_ip ${B}`, `source_ip ${A}`, ...timers]),
    );
    db = startDaemon(
      lab,
      'keepalived',
      b.ns,
      `b-${sender}`,
      globalDefs('b') + bfdInstance('to_a', [`neighbor_ip ${A}`, `source_ip ${B}`, ...timers]),
    );
    await waitForBfd(da, 'to_b', 'Up', 15_000);
    await waitForBfd(db, 'to_a', 'Up', 15_000);
    await sleep(1000); // the fast rate negotiated on both ends
    const dump = lab.spawnOther(b.ns, [
      'tcpdump',
      '-l',
      '-n',
      '-tt',
      '--immediate-mode',
      '-i',
      'eth0',
      `udp and dst port 3784 and src host ${A}`,
    ]);
    const times: number[] = [];
    let partial = '';
    dump.stdout?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() as string;
      for (const l of lines) {
        const t = Number(l.split(' ')[0]);
        if (Number.isFinite(t)) times.push(t * 1000);
      }
    });
    await sleep(1000);
    const sinceA = da.mark();
    const sinceB = db.mark();
    const bfdPid = Number(readFileSync(da.files.bfdPid, 'utf8').trim());
    const holdFrom = Date.now();
    process.kill(bfdPid, 'SIGUSR2');
    await sleep(STALL_MS + 2000);
    dump.kill('SIGTERM');
    await sleep(200);
    const downs = (d: VrrpDaemon, since: number): string[] =>
      d.lines.slice(since).filter((l) => /Entering Down state|Expired after/.test(l));
    // Gaps over the hold window (wall clock; tcpdump stamps with the realtime clock too).
    const inHold = times.filter((t) => t >= holdFrom - 200 && t <= holdFrom + STALL_MS + 200);
    let maxGapMs = 0;
    for (let i = 1; i < inHold.length; i++)
      maxGapMs = Math.max(maxGapMs, (inHold[i] as number) - (inHold[i - 1] as number));
    return {
      aDowns: downs(da, sinceA),
      bDowns: downs(db, sinceB),
      maxGapMs,
      packetsInHold: times.filter((t) => t >= holdFrom && t <= holdFrom + STALL_MS).length,
    };
  } finally {
    await da?.stop().catch(() => undefined);
    await db?.stop().catch(() => undefined);
    delete process.env.KTS_TEST_BFD_STALL_MS;
    delete process.env.KTS_BFD_SENDER;
  }
}

describe('BFD: a held JS thread does not take the session down', { timeout: 120_000 }, () => {
  test(`held ${STALL_MS} ms (detection ${DETECT_MS} ms): both ends stay Up; from the JS thread, not`, async () => {
    await withLab('bfdst', async (lab) => {
      const [a, b] = lab.routers(['a', 'b'], { ipv4: '10.9.0' }) as [LanMember, LanMember];
      const native = await stallRun(lab, a, b, 'native');
      const js = await stallRun(lab, a, b, 'js');
      console.log(
        `BFD, JS thread held ${STALL_MS} ms, detection ${DETECT_MS} ms: native sender: ` +
          `${native.packetsInHold} packets in the hold, largest gap ${native.maxGapMs.toFixed(1)} ms, ` +
          `downs ours ${native.aDowns.length} / keepalived ${native.bDowns.length}; JS sender: ` +
          `${js.packetsInHold} packets, largest gap ${js.maxGapMs.toFixed(1)} ms, downs ours ` +
          `${js.aDowns.length} / keepalived ${js.bDowns.length}`,
      );
      assert.deepEqual(native.bDowns, [], "keepalived's session stays Up");
      assert.deepEqual(native.aDowns, [], 'ours stays Up');
      assert.ok(native.maxGapMs < TX_MS * 1.5, `largest gap ${native.maxGapMs} ms`);
      // The control: the hold does bite when the JS thread sends.
      assert.ok(js.bDowns.length > 0, `keepalived saw ours stop (gap ${js.maxGapMs} ms)`);
      assert.ok(js.maxGapMs > DETECT_MS, `gap ${js.maxGapMs} ms`);
    });
  });
});
