// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// The native socket layer against the real kernel: two namespaces on a bridge, an agent process in each
// (sockets-agent.ts) sending and receiving raw VRRP-protocol datagrams, gratuitous ARPs and neighbor
// advertisements. Plus the timerfd timer's precision, measured in this process.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import {
  hasSysctl,
  linkLocalAddress,
  NetnsLab,
  netnsSkipReason,
  run,
  setSysctl,
  waitForExit,
  waitForLine,
  type LanMember,
} from '../helpers/netns.js';
import { native } from '../../src/net/native.js';
import { monotonicNowNs, PreciseTimer } from '../../src/net/precise-timer.js';
import { NativeSocket } from '../../src/net/socket.js';
import { gated } from '../helpers/requirements.js';

const agent = fileURLToPath(new URL('./sockets.agent.js', import.meta.url));
const skipReason = netnsSkipReason();
const { after, before, describe, test } = gated(skipReason);

interface Received {
  [key: string]: unknown;
}

describe('native sockets in network namespaces', () => {
  let lab: NetnsLab;
  let a: LanMember;
  let b: LanMember;

  before(() => {
    lab = new NetnsLab('sock');
    [a, b] = lab.routers(['a', 'b'], { ipv4: '192.0.2', ipv6: '2001:db8::' }) as [LanMember, LanMember];
  });
  after(() => lab?.cleanup());

  /** Starts a receiver in `on`, runs a sender in `from`, returns the receiver's packet lines. */
  async function exchange(
    on: LanMember,
    receiverArgs: string[],
    from: LanMember,
    senderArgs: string[],
    count: number,
  ) {
    const receiver = lab.spawn(on.ns, [process.execPath, agent, ...receiverArgs]);
    await waitForLine(receiver, (l) => l === '"ready"');
    const sender = await waitForExit(lab.spawn(from.ns, [process.execPath, agent, ...senderArgs]));
    assert.equal(sender.status, 0, `sender failed: ${sender.stderr}`);
    const lines: Received[] = [];
    for (let i = 0; i < count; i++)
      lines.push(JSON.parse(await waitForLine(receiver, () => true)) as Received);
    return { lines, sender };
  }

  test('raw IPv4 protocol 112 multicast arrives with TTL 255, with the kernel header and with our own', async () => {
    const { lines } = await exchange(
      b,
      ['recv4', b.ifname, '224.0.0.18', '2'],
      a,
      ['send4', a.ifname, '224.0.0.18', '192.0.2.1', 'v4test'],
      2,
    );
    const payloads = lines.map((l) => l.payload as string).sort();
    assert.ok(payloads[0]?.endsWith('v4test-kernel-header'), payloads[0]);
    assert.ok(payloads[1]?.endsWith('v4test-own-header'), payloads[1]);
    for (const line of lines) {
      assert.equal(line.ttl, 255);
      assert.equal(line.protocol, 112);
      assert.equal(line.from, '192.0.2.1');
      assert.equal(line.dst, '224.0.0.18');
      assert.equal(line.ifindex, line.expectedIfindex);
    }
  });

  test('raw IPv6 protocol 112 multicast: hop limit 255 and pktinfo via ancillary data, kernel checksum', async () => {
    const linkLocalOfA = linkLocalAddress(a);
    assert.ok(linkLocalOfA, 'a has a link-local address');
    const { lines } = await exchange(
      b,
      ['recv6', b.ifname, 'ff02::12', '1'],
      a,
      ['send6', a.ifname, 'ff02::12', linkLocalOfA, 'v6test'],
      1,
    );
    const [line] = lines as [Received];
    assert.equal(line.hopLimit, 255);
    assert.equal(line.from, linkLocalOfA);
    assert.equal(line.dst, 'ff02::12');
    assert.equal(line.ifindex, line.expectedIfindex);
    assert.notEqual(line.checksum, 0, 'the kernel filled the checksum at offset 6');
    assert.equal(line.checksumValid, true);
    assert.equal(line.payload, 'v6test');
  });

  test('a gratuitous ARP from an AF_PACKET socket reaches the peer and updates its neighbour table', async () => {
    setSysctl(b.ns, `net.ipv4.conf.${b.ifname}.arp_accept`, 1);
    const { lines } = await exchange(
      b,
      ['recv-frames', b.ifname, 'arp', '1'],
      a,
      ['announce', a.ifname, '192.0.2.50'],
      1,
    );
    const [arp] = lines as [Received];
    assert.equal(arp.destinationMac, 'ff:ff:ff:ff:ff:ff');
    assert.equal(arp.sourceMac, a.mac);
    assert.equal(arp.operation, 1);
    assert.equal(arp.senderMac, a.mac);
    assert.equal(arp.senderIp, '192.0.2.50');
    assert.equal(arp.targetIp, '192.0.2.50');
    assert.equal(arp.ifindex, arp.expectedIfindex);
    assert.ok((arp.length as number) >= 42);
    const neigh = run(['ip', '-n', b.ns, 'neigh', 'show', '192.0.2.50', 'dev', b.ifname]);
    assert.match(neigh, new RegExp(`lladdr ${a.mac}`), `neighbour entry: ${neigh}`);
  });

  test('an unsolicited neighbour advertisement reaches the peer, valid enough for its kernel to learn it', async (t) => {
    const untracked = `net.ipv6.conf.${b.ifname}.accept_untracked_na`;
    const kernelLearns = hasSysctl(b.ns, untracked);
    if (kernelLearns) {
      // RFC 9131: only a router creates an entry from an untracked NA, so b forwards (inside its namespace).
      setSysctl(b.ns, untracked, 1);
      setSysctl(b.ns, `net.ipv6.conf.${b.ifname}.forwarding`, 1);
    }
    const { lines } = await exchange(
      b,
      ['recv-frames', b.ifname, 'na', '1'],
      a,
      ['announce', a.ifname, '2001:db8::50', 'router'],
      1,
    );
    const [na] = lines as [Received];
    assert.equal(na.destinationMac, '33:33:00:00:00:01');
    assert.equal(na.sourceMac, a.mac);
    assert.equal(na.sourceIp, '2001:db8::50');
    assert.equal(na.destinationIp, 'ff02::1');
    assert.equal(na.hopLimit, 255);
    assert.equal(na.override, true);
    assert.equal(na.router, true);
    assert.equal(na.target, '2001:db8::50');
    assert.equal(na.targetMac, a.mac);
    assert.equal(na.checksumValid, true);
    if (!kernelLearns) return t.skip('kernel lacks accept_untracked_na: neighbour-table check skipped');
    // The kernel only learns from an NA whose hop limit, checksum and option are all right.
    const neigh = run(['ip', '-n', b.ns, '-6', 'neigh', 'show', '2001:db8::50', 'dev', b.ifname]);
    assert.match(neigh, new RegExp(`lladdr ${a.mac}`), `neighbour entry: ${neigh}`);
  });
});

describe('native socket basics (loopback only)', () => {
  test('errors carry the errno name as code', () => {
    assert.throws(() => native().ifNameToIndex('kts-no-such0'), {
      code: 'ENODEV',
      syscall: 'if_nametoindex',
    });
    const c = native().constants;
    const s = NativeSocket.open(c.AF_INET, c.SOCK_DGRAM, 0);
    try {
      assert.throws(() => s.bind({ family: 'inet', address: '192.0.2.77', port: 0 }), {
        code: 'EADDRNOTAVAIL',
      });
      assert.throws(() => s.bind({ family: 'inet', address: 'not-an-ip' }), TypeError);
    } finally {
      s.close();
    }
    assert.throws(() => native().close(s.fd), { code: 'EBADF' });
  });

  test('a UDP datagram over loopback comes back through poll + recvmsg with pktinfo and TTL', async () => {
    const c = native().constants;
    const s = NativeSocket.open(c.AF_INET, c.SOCK_DGRAM, 0);
    try {
      s.bind({ family: 'inet', address: '127.0.0.1', port: 0 });
      s.setOption(c.IPPROTO_IP, c.IP_PKTINFO, 1);
      s.setOption(c.IPPROTO_IP, c.IP_RECVTTL, 1);
      const me = s.localAddress();
      assert.equal(me?.family, 'inet');
      const received = new Promise<import('../../src/net/socket.js').ReceivedMessage[]>((resolve) => {
        const got: import('../../src/net/socket.js').ReceivedMessage[] = [];
        s.onMessage((m) => {
          got.push(m);
          if (got.length === 3) resolve(got);
        });
      });
      for (const word of ['one', 'two', 'three']) assert.equal(s.send(Buffer.from(word), me), word.length);
      const got = await received;
      assert.deepEqual(
        got.map((m) => m.data.toString()),
        ['one', 'two', 'three'],
      );
      assert.equal(got[0]?.dst, '127.0.0.1');
      assert.equal(got[0]?.ifindex, native().ifNameToIndex('lo'));
      assert.equal(got[0]?.ttl, 64);
      assert.equal(s.receive(), null, 'drained: recvmsg returns null at EAGAIN');
    } finally {
      s.close();
    }
  });

  test('a datagram larger than the receive buffer is reported truncated', async () => {
    const c = native().constants;
    const s = NativeSocket.open(c.AF_INET, c.SOCK_DGRAM, 0, 4);
    try {
      s.bind({ family: 'inet', address: '127.0.0.1', port: 0 });
      s.send(Buffer.from('longer than four'), s.localAddress());
      const m = await new Promise<import('../../src/net/socket.js').ReceivedMessage>((resolve) =>
        s.onMessage(resolve),
      );
      assert.equal(m.truncated, true);
      assert.equal(m.data.toString(), 'long');
    } finally {
      s.close();
    }
  });
});

describe('scheduling policy', () => {
  test('the main thread can switch to SCHED_RR and back', () => {
    const before = native().getScheduler();
    assert.deepEqual(before, { policy: 'other', priority: 0 });
    native().setScheduler('rr', 5);
    try {
      assert.deepEqual(native().getScheduler(), { policy: 'rr', priority: 5 });
    } finally {
      native().setScheduler('other', 0);
    }
    assert.deepEqual(native().getScheduler(), before);
    assert.throws(() => native().setScheduler('rr', 1000), { code: 'EINVAL' });
    assert.throws(() => native().setScheduler('idle' as 'other', 0), TypeError);
  });
});

describe('precise timer (timerfd)', () => {
  test('never fires early; lateness stays small over 200 x 5 ms', async () => {
    const lateUs: number[] = [];
    await new Promise<void>((resolve) => {
      let next = monotonicNowNs() + 5_000_000n;
      const timer = new PreciseTimer((deadline, now) => {
        lateUs.push(Number(now - deadline) / 1000);
        if (lateUs.length === 200) {
          timer.close();
          resolve();
          return;
        }
        next += 5_000_000n;
        timer.armAt(next);
      });
      timer.armAt(next);
    });
    lateUs.sort((x, y) => x - y);
    const pct = (p: number): number =>
      lateUs[Math.min(lateUs.length - 1, Math.floor((p / 100) * lateUs.length))] as number;
    console.log(
      `# timerfd lateness over ${lateUs.length} x 5 ms: p50 ${pct(50).toFixed(1)} us, p99 ${pct(99).toFixed(1)} us, max ${pct(100).toFixed(1)} us`,
    );
    assert.ok((lateUs[0] as number) >= 0, 'a timerfd never expires before its deadline');
    // Loose bound: the machine is shared by several busy processes; bench/timer.ts gives the real figures.
    assert.ok(pct(50) < 2000, `median lateness ${pct(50)} us`);
  });

  test('disarm cancels, re-arming moves the deadline, a past deadline fires at once', async () => {
    let fired = 0;
    const timer = new PreciseTimer(() => fired++);
    timer.armIn(20_000_000n);
    timer.disarm();
    assert.equal(timer.armedAt, undefined);
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(fired, 0, 'disarmed timer stayed silent');
    const start = monotonicNowNs();
    const firedAt = await new Promise<bigint>((resolve) => {
      const t2 = new PreciseTimer((_d, now) => {
        t2.close();
        resolve(now);
      });
      t2.armAt(start - 1_000_000n);
    });
    assert.ok(firedAt - start < 50_000_000n, 'a deadline in the past fires on the next loop turn');
    timer.close();
  });
});
