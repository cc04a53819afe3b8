// The hostile sender of tests/netns/hostile-input.test.ts, run inside the sender's test namespace:
//   node hostile-sender.agent.js IFNAME SCALE ROUTER_A_IPV4 FLOOD_COUNT GO_FILE PID...
// 1. captures one IPSEC-AH and one auth_hmac advert of router a (for the replay categories);
// 2. sends every category of tests/netns/hostile-packets.ts, printing one JSON line per category before it
//    starts ({category, family, count, expect}) and `categories-done` at the end. It keeps pace with the
//    routers: before each burst it waits until the receive queues of the VRRP sockets of the daemons whose
//    VRRP process ids it was given (/proc/PID/net/raw and raw6) have room, so that no packet is lost to a
//    full socket buffer and every one must be counted;
// 3. once GO_FILE exists, floods FLOOD_COUNT adverts as fast as it can (no pacing) and prints
//    {flood: sent, seconds}.
import { existsSync, readFileSync } from 'node:fs';
import { native } from '../../src/net/native.js';
import { ipMreqn, NativeSocket } from '../../src/net/socket.js';
import { refuseOutsideSuiteNamespace } from '../helpers/namespace-guard.js';
import {
  floodShots,
  GROUP4,
  GROUP6,
  hostileCategories,
  type Captured,
  type Shot,
} from './hostile-packets.js';

refuseOutsideSuiteNamespace('hostile-sender.agent.js');

const [ifname = 'eth0', scaleText = '1', routerA = '', floodText = '0', goFile = '', ...pidTexts] =
  process.argv.slice(2);
const pids = pidTexts.map(Number);
const n = native();
const c = n.constants;
const ifindex = n.ifNameToIndex(ifname);
const say = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const IPPROTO_RAW = 255;
const IPV6_FREEBIND = 78;
const VRRP_PORTS = new Set(['0070', '0033']); // protocols 112 and 51 as /proc/net/raw shows them
/** Bytes queued on the routers' VRRP sockets above which the sender waits. */
const QUEUE_LIMIT = 48 * 1024;
const BURST = 32;

const tx4 = NativeSocket.open(c.AF_INET, c.SOCK_RAW, IPPROTO_RAW);
tx4.setOption(c.SOL_SOCKET, c.SO_BINDTODEVICE, ifname);
tx4.setOption(c.IPPROTO_IP, c.IP_MULTICAST_IF, ipMreqn('0.0.0.0', ifindex));
const tx6 = NativeSocket.open(c.AF_INET6, c.SOCK_RAW, 112);
tx6.setOption(c.SOL_SOCKET, c.SO_BINDTODEVICE, ifname);
tx6.setOption(c.IPPROTO_IPV6, c.IPV6_MULTICAST_IF, ifindex);
tx6.setOption(c.IPPROTO_IPV6, c.IPV6_MULTICAST_LOOP, 0);
tx6.setOption(c.IPPROTO_IPV6, IPV6_FREEBIND, 1); // forged sources
let hops = -1;

/** The bytes waiting in the routers' VRRP sockets. */
function queued(): number {
  let total = 0;
  for (const pid of pids)
    for (const file of ['raw', 'raw6']) {
      let text: string;
      try {
        text = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
      } catch {
        continue; // gone: the test will say so
      }
      for (const line of text.split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length < 5 || !VRRP_PORTS.has(f[1]!.split(':')[1]!)) continue;
        total += parseInt(f[4]!.split(':')[1]!, 16);
      }
    }
  return total;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function roomToSend(): Promise<void> {
  for (let waited = 0; queued() > QUEUE_LIMIT; waited++) await (waited < 50 ? tick() : sleep(1));
}

/** Sends one packet; true when the kernel took it. */
function sendOne(s: Shot): boolean {
  try {
    if (s.family === 4) tx4.send(s.bytes, { family: 'inet', address: GROUP4 });
    else {
      const hopLimit = s.hopLimit ?? 255;
      if (hopLimit !== hops) {
        tx6.setOption(c.IPPROTO_IPV6, c.IPV6_MULTICAST_HOPS, hopLimit);
        hops = hopLimit;
      }
      tx6.send(
        s.bytes,
        { family: 'inet6', address: GROUP6, scopeId: ifindex },
        { ifindex, source: s.source! },
      );
    }
    return true;
  } catch {
    return false;
  }
}

/** Sends every shot, pacing on the routers' queues; a send the kernel refuses (buffer full) is retried. */
async function sendPaced(shots: readonly Shot[]): Promise<void> {
  for (let i = 0; i < shots.length; i++) {
    if (i % BURST === 0) await roomToSend();
    for (let attempt = 0; !sendOne(shots[i]!); attempt++) {
      if (attempt > 1000) throw new Error(`cannot send packet ${i}`);
      await sleep(1);
    }
  }
}

/** Waits for one IPv4 packet of router a with `protocol` (and VRID, for VRRP). */
function capture(protocol: number, vrid: number): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const rx = NativeSocket.open(c.AF_INET, c.SOCK_RAW, protocol);
    rx.setOption(c.SOL_SOCKET, c.SO_BINDTODEVICE, ifname);
    rx.setOption(c.IPPROTO_IP, c.IP_ADD_MEMBERSHIP, ipMreqn(GROUP4, ifindex));
    rx.onMessage((m) => {
      const d = m.data;
      const from = `${d[12]}.${d[13]}.${d[14]}.${d[15]}`;
      const ihl = (d[0]! & 0x0f) * 4;
      const pdu = protocol === 51 ? ihl + 24 : ihl;
      if (from !== routerA || d[pdu + 1] !== vrid) return;
      rx.close();
      resolve(Uint8Array.from(d));
    });
  });
}

async function main(): Promise<void> {
  const giveUp = setTimeout(() => {
    say({ error: 'gave up after 10 minutes' });
    process.exit(3);
  }, 600_000);
  const captured: Captured = { ah: await capture(51, 22), hmac4: await capture(112, 23) };
  say({ captured: true });
  const categories = hostileCategories(Number(scaleText), captured);
  for (const [i, cat] of categories.entries()) {
    say({
      category: i,
      name: cat.name,
      family: cat.family,
      count: cat.shots.length,
      expect: cat.expect,
      chargedVrid: cat.chargedVrid ?? null,
    });
    await sendPaced(cat.shots);
  }
  // the last burst: wait until the routers have read it
  await roomToSend();
  say('categories-done');
  const floodCount = Number(floodText);
  if (floodCount > 0) {
    while (!existsSync(goFile)) await sleep(20);
    const shots = floodShots(floodCount);
    const started = process.hrtime.bigint();
    let sent = 0;
    for (const s of shots) if (sendOne(s)) sent++;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    say({ flood: sent, refused: floodCount - sent, seconds });
  }
  clearTimeout(giveUp);
  tx4.close();
  tx6.close();
}

main().catch((e: unknown) => {
  say({ error: String(e instanceof Error ? e.stack : e) });
  process.exit(2);
});
