// Interop with Debian's keepalived 2.2.7 over VRRPv2 (IPv4 multicast), with simple password and with
// IPsec AH authentication: mastership handed over both ways (see helpers/vrrp-interop.ts), adverts of
// both implementations decoded by tshark side by side.
import { assertAdvertsAlike, handoverBothWays } from '../helpers/vrrp-interop.js';
import { keepalivedSkipReason, withLab } from '../helpers/vrrp-lab.js';
import { gated } from '../helpers/requirements.js';

const skipReason = keepalivedSkipReason();
const { describe, test } = gated(skipReason);

describe('interop with keepalived 2.2.7: VRRPv2', () => {
  test('VRRPv2 with auth_type PASS: handover both ways; adverts carry the password', () =>
    withLab('kav2p', async (lab) => {
      const result = await handoverBothWays(lab, {
        tag: 'v2pass',
        family: 4,
        vip: '10.5.0.100',
        instance: () => ({
          name: 'VI_1',
          vrid: 21,
          version: 2,
          advertInt: 1,
          vips: ['10.5.0.100/24', '10.5.0.101/24'],
          auth: { type: 'PASS', password: 'sesame' },
        }),
      });
      assertAdvertsAlike(
        result,
        {
          dst: '224.0.0.18',
          ttl: 255,
          version: 2,
          type: 1,
          vrid: 21,
          interval: 1,
          authType: 1,
          addrCount: 2,
          addresses: ['10.5.0.100', '10.5.0.101'],
          ah: false,
        },
        (m) => (m === result.ours ? '10.5.0.1' : '10.5.0.2'),
      );
    }));

  test('VRRPv2 with auth_type AH: handover both ways; adverts travel inside an AH header', () =>
    withLab('kav2ah', async (lab) => {
      const result = await handoverBothWays(lab, {
        tag: 'v2ah',
        family: 4,
        vip: '10.5.0.110',
        instance: () => ({
          name: 'VI_1',
          vrid: 22,
          version: 2,
          advertInt: 1,
          vips: ['10.5.0.110/24'],
          auth: { type: 'AH', password: 'sesame' },
        }),
      });
      assertAdvertsAlike(
        result,
        { dst: '224.0.0.18', version: 2, vrid: 22, interval: 1, addresses: ['10.5.0.110'], ah: true },
        (m) => (m === result.ours ? '10.5.0.1' : '10.5.0.2'),
      );
    }));
});
