// The native timed sender against real UDP sockets on loopback: datagrams leave at (never before) their
// deadline, in order, once; a re-arm replaces the plan, a disarm drops it; a sent plan must be taken
// before the next one; per-datagram errors come back as errno values; and a process with a sender,
// idle or armed, exits cleanly (the thread is joined before libuv lets go of the async handle).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { native, type InetAddr } from '../../../src/net/native.js';
import { monotonicNowNs } from '../../../src/net/precise-timer.js';
import { NativeSocket } from '../../../src/net/socket.js';
import {
  TIMED_SENDER_SLOTS,
  TimedSender,
  timedSenderAvailable,
  type TimedDatagram,
  type TimedSend,
} from '../../../src/net/timed-sender.js';
import { gated } from '../../helpers/requirements.js';

const { describe, test, after } = gated(
  timedSenderAvailable() ? undefined : 'not applicable: the native addon was built without the timed sender',
);

const MS = 1_000_000n;

function receiver(): { socket: NativeSocket; to: InetAddr; got: string[]; next: () => Promise<string> } {
  const c = native().constants;
  const socket = NativeSocket.open(c.AF_INET, c.SOCK_DGRAM, 0);
  socket.bind({ family: 'inet', address: '127.0.0.1', port: 0 });
  const to = socket.localAddress() as InetAddr;
  const got: string[] = [];
  let consumed = 0;
  let waiter: (() => void) | undefined;
  socket.onMessage((m) => {
    got.push(m.data.toString());
    waiter?.();
  });
  /** The next datagram not yet returned by next(), waiting for it if needed. */
  const next = async (): Promise<string> => {
    while (consumed >= got.length) await new Promise<void>((resolve) => (waiter = resolve));
    return got[consumed++] as string;
  };
  return { socket, to, got, next };
}

function udpSocket(): NativeSocket {
  const c = native().constants;
  return NativeSocket.open(c.AF_INET, c.SOCK_DGRAM, 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A sender whose onFired collects every send; `sent(n)` waits until n sends were seen. */
function sender(): { s: TimedSender; sends: TimedSend[]; sent: (n: number) => Promise<void> } {
  const sends: TimedSend[] = [];
  let waiter: (() => void) | undefined;
  const s: TimedSender = new TimedSender(() => {
    sends.push(...s.take().sends);
    waiter?.();
  });
  const sent = async (n: number): Promise<void> => {
    while (sends.length < n) await new Promise<void>((resolve) => (waiter = resolve));
  };
  return { s, sends, sent };
}

const once = (planId: number, deadlineNs: bigint, datagrams: TimedDatagram[]) => ({
  planId,
  deadlineNs,
  periodNs: 0n,
  rounds: 1,
  datagrams,
});

describe('TimedSender', () => {
  const closers: (() => void)[] = [];
  after(() => closers.forEach((c) => c()));

  test('sends a plan at its deadline, in order, and reports when it left', async () => {
    const rx = receiver();
    const tx = udpSocket();
    const { s, sends, sent } = sender();
    closers.push(() => (rx.socket.close(), tx.close(), s.close()));
    const deadline = monotonicNowNs() + 30n * MS;
    const datagrams = [
      { fd: tx.fd, data: Buffer.from('one'), to: rx.to },
      { fd: tx.fd, data: Buffer.from('two'), to: rx.to },
    ];
    assert.equal(s.arm(3, once(7, deadline, datagrams)), true);
    await sent(1);
    const [send] = sends;
    assert.ok(send);
    assert.equal(send.slot, 3);
    assert.equal(send.planId, 7);
    assert.equal(send.deadlineNs, deadline);
    assert.ok(send.sentAtNs >= deadline, 'never before the deadline');
    assert.equal(send.errno, 0);
    assert.equal(await rx.next(), 'one');
    assert.equal(await rx.next(), 'two');
    await sleep(30);
    assert.equal(sends.length, 1, 'one round: sent once');
    assert.deepEqual(s.take(), { sends: [], nextDeadlineNs: undefined });
  });

  test('a periodic plan repeats `period` after each send, `rounds` times, then stops', async () => {
    const rx = receiver();
    const tx = udpSocket();
    const { s, sends, sent } = sender();
    closers.push(() => (rx.socket.close(), tx.close(), s.close()));
    const period = 5n * MS;
    s.arm(0, {
      planId: 1,
      deadlineNs: monotonicNowNs(),
      periodNs: period,
      rounds: 3,
      datagrams: [{ fd: tx.fd, data: Buffer.from('tick'), to: rx.to }],
    });
    await sent(3);
    for (let i = 1; i < 3; i++) {
      const previous = sends[i - 1] as TimedSend;
      const send = sends[i] as TimedSend;
      assert.ok(send.deadlineNs >= previous.sentAtNs + period, 'due one period after the previous send');
      assert.equal(send.deadlineNs % 1000n, 0n, 'rounded up to the microsecond');
      assert.ok(send.sentAtNs >= send.deadlineNs);
    }
    await sleep(30);
    assert.equal(sends.length, 3);
    assert.deepEqual([await rx.next(), await rx.next(), await rx.next()], ['tick', 'tick', 'tick']);
  });

  test("a re-arm replaces the slot's plan, a disarm drops it, slots are independent", async () => {
    const rx = receiver();
    const tx = udpSocket();
    const { s, sends, sent } = sender();
    closers.push(() => (rx.socket.close(), tx.close(), s.close()));
    const now = monotonicNowNs();
    const d = (text: string) => [{ fd: tx.fd, data: Buffer.from(text), to: rx.to }];
    s.arm(1, once(1, now + 40n * MS, d('dropped')));
    s.disarm(1);
    s.arm(2, once(2, now + 500n * MS, d('replaced')));
    s.arm(2, once(3, now + 20n * MS, d('kept')));
    s.arm(4, once(4, now + 25n * MS, d('other slot')));
    await sent(2);
    await sleep(60); // past the dropped plan's deadline
    assert.deepEqual(
      sends.map((x) => [x.slot, x.planId]),
      [
        [2, 3],
        [4, 4],
      ],
    );
    assert.deepEqual([await rx.next(), await rx.next()], ['kept', 'other slot']);
    assert.equal(rx.got.length, 2);
  });

  test('a slot that sent since the last take refuses a re-arm', async () => {
    const rx = receiver();
    const tx = udpSocket();
    const s = new TimedSender(() => undefined); // never takes by itself
    closers.push(() => (rx.socket.close(), tx.close(), s.close()));
    const d = (text: string) => [{ fd: tx.fd, data: Buffer.from(text), to: rx.to }];
    s.arm(0, once(1, monotonicNowNs() - MS, d('past')));
    assert.equal(await rx.next(), 'past', 'a past deadline is sent at once');
    assert.equal(s.arm(0, once(2, monotonicNowNs(), d('refused'))), false);
    assert.equal(
      s.arm(1, once(3, monotonicNowNs() + 60_000n * MS, d('later'))),
      true,
      'other slots are free',
    );
    const taken = s.take();
    assert.deepEqual(
      taken.sends.map((x) => [x.slot, x.planId, x.errno]),
      [[0, 1, 0]],
    );
    assert.ok(taken.nextDeadlineNs !== undefined && taken.nextDeadlineNs > monotonicNowNs());
    assert.equal(s.arm(0, once(4, monotonicNowNs(), d('after'))), true);
    assert.equal(await rx.next(), 'after');
  });

  test('a datagram the kernel refuses comes back as its errno; the others still go', async () => {
    const rx = receiver();
    const tx = udpSocket();
    const { s, sends, sent } = sender();
    closers.push(() => (rx.socket.close(), tx.close(), s.close()));
    s.arm(
      0,
      once(1, monotonicNowNs(), [
        { fd: tx.fd, data: Buffer.from('bad'), to: { family: 'inet', address: '127.0.0.1', port: 0 } },
        { fd: tx.fd, data: Buffer.from('good'), to: rx.to },
      ]),
    );
    await sent(1);
    assert.notEqual(sends[0]?.errno, 0);
    assert.equal(await rx.next(), 'good');
  });

  test('bad arguments throw and leave the sender usable', () => {
    const tx = udpSocket();
    const s = new TimedSender(() => undefined);
    closers.push(() => (tx.close(), s.close()));
    const to = { family: 'inet', address: 'not-an-address' } as const;
    assert.throws(
      () => s.arm(0, once(1, monotonicNowNs(), [{ fd: tx.fd, data: Buffer.from('x'), to }])),
      /IPv4/,
    );
    assert.throws(
      () => s.arm(0, once(1, monotonicNowNs(), [{ fd: tx.fd, data: Buffer.alloc(0), to }])),
      /size/,
    );
    assert.throws(() => s.arm(TIMED_SENDER_SLOTS, once(1, 1n, [])), /slot/);
    assert.deepEqual(s.take(), { sends: [], nextDeadlineNs: undefined });
    s.close();
    assert.throws(() => s.arm(0, once(1, 1n, [])), /closed/);
  });
});

describe('TimedSender at process exit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-timed-sender-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const netDir = new URL('../../../src/net/', import.meta.url).href;
  const scenarios: Record<string, string> = {
    'idle sender, script ends': `new TimedSender(() => {}); console.log('ok');`,
    'armed sender, process.exit(0)': `
      const s = new TimedSender(() => {});
      s.arm(0, { planId: 1, deadlineNs: monotonicNowNs() + 60_000_000_000n, periodNs: 0n, rounds: 1, datagrams: [] });
      setTimeout(() => { console.log('ok'); process.exit(0); }, 5);`,
    'armed sender keeps node alive until it fired': `
      const s = new TimedSender(() => { console.log('ok', s.take().sends.length); s.close(); });
      s.arm(5, { planId: 1, deadlineNs: monotonicNowNs() + 20_000_000n, periodNs: 0n, rounds: 1, datagrams: [] });`,
    'sender garbage-collected while idle': `
      new TimedSender(() => {});
      globalThis.gc();
      setTimeout(() => console.log('ok'), 10);`,
  };
  for (const [name, body] of Object.entries(scenarios)) {
    test(name, async () => {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.mjs`);
      writeFileSync(
        file,
        `import { TimedSender } from '${netDir}timed-sender.js';\n` +
          `import { monotonicNowNs } from '${netDir}precise-timer.js';\n${body}\n`,
      );
      const r = await new Promise<{ code: number | null; signal: string | null; stdout: string }>((resolve) =>
        execFile(process.execPath, ['--expose-gc', file], { timeout: 10_000 }, (error, stdout) => {
          const e = error as (Error & { code?: number; signal?: string }) | null;
          resolve({ code: e ? (e.code ?? null) : 0, signal: e?.signal ?? null, stdout });
        }),
      );
      assert.equal(r.signal, null);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^ok/);
    });
  }
});
