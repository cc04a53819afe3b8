// Traffic through a VIP, run inside test namespaces (bench/handover.ts, tests/netns/daemon-reload-traffic):
//   receiver NAME PORT: answers every datagram with its 4-byte sequence number and NAME. Prints "ready".
//   client VIP PORT INTERVAL_MS: sends sequence numbers to VIP:PORT every INTERVAL_MS until SIGUSR2, then
//     (after 500 ms for the last answers) prints one JSON line, a TrafficTally, and exits.
// A datagram with no answer is lost; one answered more than once (two routers holding the VIP, or a copy
// on the wire) is duplicated.
import { createSocket } from 'node:dgram';
import { refuseOutsideSuiteNamespace } from '../helpers/namespace-guard.js';

refuseOutsideSuiteNamespace('vip-traffic.agent.js');

/** What the client prints when stopped. */
export interface TrafficTally {
  sent: number;
  lost: number;
  /** Datagrams answered more than once (each counted once). */
  duplicated: number;
  /** The longest run of lost datagrams, times the interval. */
  longestOutageMs: number;
  /** Wall clock (Date.now()) each lost datagram was sent at. */
  lostAt: number[];
  /** Answers by receiver name. */
  by: Record<string, number>;
  /** Wall clock: when the first datagram that `firstOf` answered was sent (see the client's argv). */
  firstFromOther?: number;
}

function receiver(name: string, port: number): void {
  const sock = createSocket('udp4');
  sock.on('message', (msg, from) => {
    sock.send(Buffer.concat([msg.subarray(0, 4), Buffer.from(name)]), from.port, from.address);
  });
  sock.bind(port, '0.0.0.0', () => process.stdout.write('ready\n'));
}

/** `other`: the receiver whose first answer is reported as firstFromOther (the router the VIP moves to). */
function client(vip: string, port: number, intervalMs: number, other: string): void {
  const sock = createSocket('udp4');
  const answers = new Map<number, string[]>();
  const sentAt: number[] = [];
  let seq = 0;
  sock.on('message', (msg) => {
    if (msg.length < 4) return;
    const n = msg.readUInt32BE(0);
    answers.set(n, [...(answers.get(n) ?? []), msg.subarray(4).toString()]);
  });
  sock.bind(0, () => {
    const timer = setInterval(() => {
      const b = Buffer.alloc(4);
      sentAt.push(Date.now());
      b.writeUInt32BE(seq++);
      sock.send(b, port, vip, () => undefined);
    }, intervalMs);
    process.stdout.write('ready\n');
    process.once('SIGUSR2', () => {
      clearInterval(timer);
      setTimeout(() => {
        const tally: TrafficTally = {
          sent: seq,
          lost: 0,
          duplicated: 0,
          longestOutageMs: 0,
          lostAt: [],
          by: {},
        };
        let run = 0;
        for (let i = 0; i < seq; i++) {
          const who = answers.get(i);
          if (who === undefined) {
            tally.lost++;
            tally.lostAt.push(sentAt[i] as number);
            run++;
            tally.longestOutageMs = Math.max(tally.longestOutageMs, run * intervalMs);
            continue;
          }
          run = 0;
          if (who.length > 1) tally.duplicated++;
          for (const name of who) tally.by[name] = (tally.by[name] ?? 0) + 1;
          if (who.includes(other) && tally.firstFromOther === undefined) tally.firstFromOther = sentAt[i];
        }
        process.stdout.write(`${JSON.stringify(tally)}\n`);
        sock.close();
        process.exit(0);
      }, 500);
    });
  });
}

const [role, ...args] = process.argv.slice(2);
if (role === 'receiver') receiver(args[0] ?? '?', Number(args[1]));
else if (role === 'client') client(args[0] ?? '', Number(args[1]), Number(args[2] ?? 10), args[3] ?? '');
else {
  process.stderr.write(
    'usage: vip-traffic.agent.js receiver NAME PORT | client VIP PORT INTERVAL_MS [OTHER]\n',
  );
  process.exit(2);
}
