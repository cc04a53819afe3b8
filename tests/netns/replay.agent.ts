// Runs inside a test namespace (`ip netns exec NS node replay.agent.js IFNAME SOURCE DELAY_MS`): captures the
// first IPv4 VRRP advert from SOURCE on IFNAME with a raw socket, prints it as JSON, waits DELAY_MS, then
// sends the very same bytes again (IP_HDRINCL: header, source address and auth_hmac trailer unchanged) and
// prints `replayed`. Gives up after 15 s.
import { native } from '../../src/net/native.js';
import { ipMreqn, NativeSocket } from '../../src/net/socket.js';
import { refuseOutsideSuiteNamespace } from '../helpers/namespace-guard.js';

refuseOutsideSuiteNamespace('replay.agent.js');

const VRRP_PROTOCOL = 112;
const [ifname = 'eth0', source = '', delayText = '1000'] = process.argv.slice(2);
const c = native().constants;
const say = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
const giveUp = setTimeout(() => process.exit(3), 15_000);
const ifindex = native().ifNameToIndex(ifname);

const rx = NativeSocket.open(c.AF_INET, c.SOCK_RAW, VRRP_PROTOCOL);
rx.setOption(c.SOL_SOCKET, c.SO_BINDTODEVICE, ifname);
rx.setOption(c.IPPROTO_IP, c.IP_ADD_MEMBERSHIP, ipMreqn('224.0.0.18', ifindex));
rx.onMessage((m) => {
  const from = `${m.data[12]}.${m.data[13]}.${m.data[14]}.${m.data[15]}`;
  if (from !== source) return;
  rx.close();
  const packet = Buffer.from(m.data);
  say({ captured: packet.toString('hex'), length: packet.length });
  setTimeout(() => {
    const tx = NativeSocket.open(c.AF_INET, c.SOCK_RAW, VRRP_PROTOCOL);
    tx.setOption(c.SOL_SOCKET, c.SO_BINDTODEVICE, ifname);
    tx.setOption(c.IPPROTO_IP, c.IP_HDRINCL, 1);
    tx.setOption(c.IPPROTO_IP, c.IP_MULTICAST_IF, ipMreqn('0.0.0.0', ifindex));
    tx.send(packet, { family: 'inet', address: '224.0.0.18' });
    tx.close();
    clearTimeout(giveUp);
    say('replayed');
  }, Number(delayText));
});
say('ready');
