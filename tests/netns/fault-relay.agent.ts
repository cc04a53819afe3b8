// Runs inside a test namespace (`ip netns exec NS node fault-relay.agent.js IFNAME SOURCE MIN_MS MAX_MS`):
// every IPv4 VRRP advert from SOURCE heard on IFNAME is sent again, unchanged (IP_HDRINCL), after a delay
// drawn at random between MIN_MS and MAX_MS for each packet: with a spread wider than the advert interval
// the copies arrive reordered. Paired with a rule that drops SOURCE's own frames at the receiver, the
// receiver hears only the delayed, reordered copies. Prints `ready`, then runs until killed.
import { native } from '../../src/net/native.js';
import { ipMreqn, NativeSocket } from '../../src/net/socket.js';
import { refuseOutsideSuiteNamespace } from '../helpers/namespace-guard.js';

refuseOutsideSuiteNamespace('fault-relay.agent.js');

const VRRP_PROTOCOL = 112;
const [ifname = 'eth0', source = '', minText = '0', maxText = '0'] = process.argv.slice(2);
const minMs = Number(minText);
const maxMs = Number(maxText);
const c = native().constants;
const ifindex = native().ifNameToIndex(ifname);

const tx = NativeSocket.open(c.AF_INET, c.SOCK_RAW, VRRP_PROTOCOL);
tx.setOption(c.SOL_SOCKET, c.SO_BINDTODEVICE, ifname);
tx.setOption(c.IPPROTO_IP, c.IP_HDRINCL, 1);
tx.setOption(c.IPPROTO_IP, c.IP_MULTICAST_IF, ipMreqn('0.0.0.0', ifindex));
// Our own copies must not come back to the receiving socket: they would be relayed again, for ever.
tx.setOption(c.IPPROTO_IP, c.IP_MULTICAST_LOOP, 0);

const rx = NativeSocket.open(c.AF_INET, c.SOCK_RAW, VRRP_PROTOCOL);
rx.setOption(c.SOL_SOCKET, c.SO_BINDTODEVICE, ifname);
rx.setOption(c.IPPROTO_IP, c.IP_ADD_MEMBERSHIP, ipMreqn('224.0.0.18', ifindex));
let relayed = 0;
rx.onMessage((m) => {
  const from = `${m.data[12]}.${m.data[13]}.${m.data[14]}.${m.data[15]}`;
  if (from !== source) return;
  const packet = Buffer.from(m.data);
  setTimeout(
    () => {
      tx.send(packet, { family: 'inet', address: '224.0.0.18' });
      relayed++;
    },
    minMs + Math.random() * (maxMs - minMs),
  );
});
process.on('SIGTERM', () => {
  process.stdout.write(`relayed ${relayed}\n`);
  process.exit(0);
});
process.stdout.write('ready\n');
