// The live demo's client: run inside its own namespace (by `keepalived-ts demo --live`), it sends an ICMP
// echo request to the VIP every 10 ms on a raw socket and reports, as JSON lines on stdout, each run of
// requests that got no reply (an outage: how many, from when to when). The kernel of whichever router
// holds the VIP answers, so no responder runs on the routers.
import { fileURLToPath } from 'node:url';
import { NativeSocket, type ReceivedMessage } from '../net/socket.js';
import { native } from '../net/native.js';

const IPPROTO_ICMP = 1;
const ECHO_REQUEST = 8;
const ECHO_REPLY = 0;
/** A request unanswered for this long is lost. */
const REPLY_TIMEOUT_MS = 500;

export type ClientReport =
  | { type: 'ready' }
  | { type: 'first-reply'; at: number }
  | { type: 'outage'; lost: number; firstSeq: number; from: number; to: number }
  | { type: 'summary'; sent: number; answered: number; lost: number };

/** RFC 1071 checksum. */
function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2) sum += (b[b.length - 1] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function echoRequest(id: number, seq: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(ECHO_REQUEST, 0);
  b.writeUInt16BE(id, 4);
  b.writeUInt16BE(seq & 0xffff, 6);
  b.write('kts-demo', 8, 'latin1');
  b.writeUInt16BE(checksum(b), 2);
  return b;
}

/** The sequence number of an echo reply with our id (a raw socket hands the IPv4 header too). */
function replySeq(m: ReceivedMessage, id: number): number | undefined {
  const ihl = ((m.data[0] ?? 0) & 0x0f) * 4;
  const icmp = m.data.subarray(ihl);
  if (icmp.length < 8 || icmp[0] !== ECHO_REPLY || icmp.readUInt16BE(4) !== id) return undefined;
  return icmp.readUInt16BE(6);
}

export function runClient(vip: string, intervalMs: number): void {
  const report = (r: ClientReport): void => void process.stdout.write(JSON.stringify(r) + '\n');
  const c = native().constants;
  const socket = NativeSocket.open(c.AF_INET, c.SOCK_RAW, IPPROTO_ICMP);
  const id = process.pid & 0xffff;
  const sentAt: number[] = []; // by sequence number (a demo lasts far less than 65536 requests)
  const answered = new Set<number>();
  let firstAnswered: number | undefined;
  let judged = 0; // requests before this one are counted
  let outage: { firstSeq: number; lost: number } | undefined;
  let lost = 0;

  socket.onMessage(
    (m) => {
      const seq = replySeq(m, id);
      if (seq === undefined || seq >= sentAt.length) return;
      answered.add(seq);
      if (firstAnswered === undefined) {
        firstAnswered = seq;
        judged = seq;
        report({ type: 'first-reply', at: Date.now() });
      }
    },
    () => undefined, // an ICMP error queued on the socket: the request simply counts as lost
  );

  /** Counts the requests whose reply is due, in order; an outage ends at the first answered one. */
  const judge = (): void => {
    if (firstAnswered === undefined) return;
    const now = Date.now();
    while (judged < sentAt.length && (sentAt[judged] as number) < now - REPLY_TIMEOUT_MS) {
      if (answered.has(judged)) {
        if (outage)
          report({
            type: 'outage',
            ...outage,
            from: sentAt[outage.firstSeq] as number,
            to: sentAt[judged] as number,
          });
        outage = undefined;
      } else {
        lost++;
        if (outage) outage.lost++;
        else outage = { firstSeq: judged, lost: 1 };
      }
      judged++;
    }
  };

  const sender = setInterval(() => {
    const seq = sentAt.length;
    sentAt.push(Date.now());
    try {
      socket.send(echoRequest(id, seq), { family: 'inet', address: vip });
    } catch {
      // no route or no neighbour yet: lost like any other
    }
  }, intervalMs);
  const judging = setInterval(() => judge(), 100);
  report({ type: 'ready' });

  process.once('SIGTERM', () => {
    clearInterval(sender);
    clearInterval(judging);
    judge();
    const counted = firstAnswered === undefined ? 0 : judged - firstAnswered;
    report({ type: 'summary', sent: counted, answered: counted - lost, lost });
    socket.close();
    process.exit(0);
  });
}

// `node demo-client.js VIP [INTERVAL_MS]`, started by the demo inside the client namespace.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runClient(process.argv[2] ?? '', Number(process.argv[3] ?? 10));
}
