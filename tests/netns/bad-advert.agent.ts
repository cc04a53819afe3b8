// Runs inside a test namespace (`ip netns exec NS node bad-advert.agent.js IFNAME SOURCE KIND...`): sends one
// IPv4 VRRP advert per KIND to 224.0.0.18 from SOURCE, 400 ms apart, each faulty in one way:
//   pass:VRID:VIP,...      VRRPv2, auth PASS with the wrong password        (an authentication failure)
//   authtype:VRID:VIP,...  VRRPv2 without authentication, to a PASS instance (an auth type mismatch)
//   ttl:VRID:VIP,...       VRRPv3 with TTL 64                               (a protocol error: TTL)
//   version:VRID:VIP,...   VRRPv2 to a VRRPv3 instance                       (a protocol error: version)
//   checksum:VRID:VIP,...  VRRPv3 with a wrong checksum                     (a protocol error: checksum)
// and prints `sent KIND` after each.
import { native } from '../../src/net/native.js';
import { ipMreqn, NativeSocket } from '../../src/net/socket.js';
import type { Advert } from '../../src/vrrp/advert.js';
import { buildIpv4Packet } from '../../src/vrrp/wire/packet.js';
import { refuseOutsideSuiteNamespace } from '../helpers/namespace-guard.js';

refuseOutsideSuiteNamespace('bad-advert.agent.js');

const IPPROTO_RAW = 255;
const [ifname = 'eth0', source = '', ...kinds] = process.argv.slice(2);
const c = native().constants;
const tx = NativeSocket.open(c.AF_INET, c.SOCK_RAW, IPPROTO_RAW);
tx.setOption(c.SOL_SOCKET, c.SO_BINDTODEVICE, ifname);
tx.setOption(c.IPPROTO_IP, c.IP_MULTICAST_IF, ipMreqn('0.0.0.0', native().ifNameToIndex(ifname)));

function packet(kind: string, vrid: number, addresses: string[]): Uint8Array {
  const v2 = kind === 'pass' || kind === 'authtype' || kind === 'version';
  const advert: Advert = {
    version: v2 ? 2 : 3,
    vrid,
    priority: 100,
    intervalCs: 100,
    addresses,
    authType: kind === 'pass' ? 'pass' : 'none',
  };
  const bytes = buildIpv4Packet(advert, {
    source,
    destination: '224.0.0.18',
    id: vrid,
    ...(kind === 'pass' ? { authPass: 'wrong' } : {}),
    ...(kind === 'ttl' ? { ttl: 64 } : {}),
  });
  if (kind === 'checksum') bytes[20 + 6] ^= 0xff; // the VRRP checksum's high byte
  return bytes;
}

void (async () => {
  for (const spec of kinds) {
    const [kind = '', vrid = '0', vips = ''] = spec.split(':');
    tx.send(packet(kind, Number(vrid), vips.split(',')), { family: 'inet', address: '224.0.0.18' });
    process.stdout.write(`sent ${kind}\n`);
    await new Promise((r) => setTimeout(r, 400));
  }
  tx.close();
})();
