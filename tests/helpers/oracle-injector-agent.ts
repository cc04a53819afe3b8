// The other routers of a fixture, as seen by keepalived: runs in the injector namespace of the fixture
// oracle (`ip netns exec kts-...-p node oracle-injector-agent.js`), reads one JSON command a line on stdin
// and sends the packet at the wall-clock time it names, then prints what it did:
//   {"id": 1, "at": 1.7e12, "ifname": "eth0", "family": 4, "hex": "45c0...", "destination": "224.0.0.18"}
//   -> {"id": 1, "sentAt": 1.7e12, "lateMs": 0.02}          (or {"id": 1, "error": "..."})
// IPv4 packets are whole IP packets (IP_HDRINCL: any source, any TTL); IPv6 ones are VRRP payloads sent
// from `source` with hop limit `hopLimit`. It refuses to run outside a kts-* test namespace.
import { createInterface } from 'node:readline';
import { native } from '../../src/net/native.js';
import { ipMreqn, NativeSocket } from '../../src/net/socket.js';
import { waitUntilWall, wallNow } from './wall-clock.js';
import { refuseOutsideSuiteNamespace } from './namespace-guard.js';

const namespace = refuseOutsideSuiteNamespace('oracle-injector-agent.js');

interface Command {
  id: number;
  at: number;
  ifname: string;
  family: 4 | 6;
  hex: string;
  destination: string;
  source?: string;
  hopLimit?: number;
}

const VRRP = 112;
const c = native().constants;
const sockets = new Map<string, NativeSocket>();

function socketFor(ifname: string, family: 4 | 6): NativeSocket {
  const key = `${family}/${ifname}`;
  let s = sockets.get(key);
  if (s) return s;
  const ifindex = native().ifNameToIndex(ifname);
  if (family === 4) {
    s = NativeSocket.open(c.AF_INET, c.SOCK_RAW, VRRP);
    s.setOption(c.IPPROTO_IP, c.IP_HDRINCL, 1);
    s.setOption(c.IPPROTO_IP, c.IP_MULTICAST_LOOP, 0);
    s.setOption(c.IPPROTO_IP, c.IP_MULTICAST_IF, ipMreqn('0.0.0.0', ifindex));
  } else {
    s = NativeSocket.open(c.AF_INET6, c.SOCK_RAW, VRRP);
    s.setOption(c.IPPROTO_IPV6, c.IPV6_MULTICAST_LOOP, 0);
    s.setOption(c.IPPROTO_IPV6, c.IPV6_MULTICAST_IF, ifindex);
  }
  s.setOption(c.SOL_SOCKET, c.SO_BINDTODEVICE, ifname);
  sockets.set(key, s);
  return s;
}

function send(cmd: Command): void {
  const s = socketFor(cmd.ifname, cmd.family);
  const bytes = Buffer.from(cmd.hex, 'hex');
  if (cmd.family === 4) {
    s.send(bytes, { family: 'inet', address: cmd.destination });
    return;
  }
  const hops = cmd.hopLimit ?? 255;
  const multicast = cmd.destination.startsWith('ff');
  s.setOption(c.IPPROTO_IPV6, multicast ? c.IPV6_MULTICAST_HOPS : c.IPV6_UNICAST_HOPS, hops);
  const ifindex = native().ifNameToIndex(cmd.ifname);
  s.send(
    bytes,
    { family: 'inet6', address: cmd.destination, scopeId: ifindex },
    { ifindex, ...(cmd.source ? { source: cmd.source } : {}) },
  );
}

// real-time, so that a loaded machine does not make the sends late (children would not inherit it)
let scheduling = 'SCHED_FIFO 20';
try {
  native().setScheduler('fifo', 20); // the oracle's ORACLE_RT_PRIORITY: above keepalived's
} catch (e) {
  scheduling = `normal (${String(e)})`;
}

const say = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

// Commands are sent in time order; each waits for its time, then sends.
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const cmd = JSON.parse(line) as Command;
  queue = queue.then(async () => {
    socketFor(cmd.ifname, cmd.family); // opened now, not in the send's time
    await waitUntilWall(cmd.at);
    const sentAt = wallNow();
    try {
      send(cmd);
      say({ id: cmd.id, sentAt, lateMs: sentAt - cmd.at });
    } catch (e) {
      say({ id: cmd.id, error: String(e) });
    }
  });
});
process.stdin.on('end', () => void queue.then(() => process.exit(0)));
say({ ready: namespace, scheduling });
