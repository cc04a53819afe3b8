// Interop with Debian's keepalived 2.2.7 over VRRPv3: IPv4 multicast, IPv6 multicast and IPv4 unicast.
// Mastership handed over both ways (see helpers/vrrp-interop.ts); both implementations' adverts decoded by
// tshark side by side.
import assert from 'node:assert/strict';
import { assertAdvertsAlike, handoverBothWays } from '../helpers/vrrp-interop.js';
import { keepalivedSkipReason, withLab } from '../helpers/vrrp-lab.js';
import { linkLocalAddress } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';

const skipReason = keepalivedSkipReason();
const { describe, test } = gated(skipReason);
const ADVERT = 0.5;

describe('interop with keepalived 2.2.7: VRRPv3', () => {
  test('VRRPv3 over IPv4 multicast: handover both ways; adverts alike', () =>
    withLab('kav3', async (lab) => {
      const result = await handoverBothWays(lab, {
        tag: 'v3ip4',
        family: 4,
        vip: '10.5.0.120',
        instance: () => ({ name: 'VI_1', vrid: 31, version: 3, advertInt: ADVERT, vips: ['10.5.0.120/24'] }),
      });
      assertAdvertsAlike(
        result,
        {
          dst: '224.0.0.18',
          ttl: 255,
          version: 3,
          type: 1,
          vrid: 31,
          interval: 50,
          addrCount: 1,
          addresses: ['10.5.0.120'],
        },
        (m) => (m === result.ours ? '10.5.0.1' : '10.5.0.2'),
      );
    }));

  test('VRRPv3 over IPv6 multicast: handover both ways; unsolicited NA moves the VIP', () =>
    withLab('kav3v6', async (lab) => {
      const result = await handoverBothWays(lab, {
        tag: 'v3ip6',
        family: 6,
        vip: '2001:db8:5::120',
        instance: () => ({
          name: 'VI_1',
          vrid: 32,
          version: 3,
          advertInt: ADVERT,
          vips: ['2001:db8:5::120/64'],
        }),
      });
      assertAdvertsAlike(
        result,
        {
          dst: 'ff02::12',
          ttl: 255,
          version: 3,
          type: 1,
          vrid: 32,
          interval: 50,
          addresses: ['2001:db8:5::120'],
        },
        (m) => linkLocalAddress(m) ?? '?',
      );
    }));

  test('VRRPv3 over IPv4 unicast: handover both ways; adverts go to the peer only', () =>
    withLab('kauni', async (lab) => {
      const result = await handoverBothWays(lab, {
        tag: 'v3uni',
        family: 4,
        vip: '10.5.0.130',
        captureAt: 'keepalived',
        instance: (_self, selfIp, peerIp) => ({
          name: 'VI_1',
          vrid: 33,
          version: 3,
          advertInt: ADVERT,
          vips: ['10.5.0.130/24'],
          unicast: { srcIp: selfIp, peers: [peerIp] },
        }),
      });
      assertAdvertsAlike(
        result,
        { ttl: 255, version: 3, type: 1, vrid: 33, interval: 50, addresses: ['10.5.0.130'] },
        (m) => (m === result.ours ? '10.5.0.1' : '10.5.0.2'),
      );
      for (const advert of result.adverts)
        assert.equal(advert.dst, advert.src === '10.5.0.1' ? '10.5.0.2' : '10.5.0.1', JSON.stringify(advert));
    }));

  for (const family of [4, 6] as const) {
    const net = family === 4 ? '10.5.0.' : '2001:db8:5::';
    test(`IPv${family} unicast without an interface (keepalived 2.4.3) on our side: handover both ways`, () =>
      withLab(`kanoif${family}`, async (lab) => {
        // keepalived 2.2.7 refuses such an instance ("Unknown interface!"): it keeps its interface here.
        // Ours is bound to its unicast_src_ip only, its VIP on the `dev` written.
        const vrid = family === 4 ? 35 : 37;
        const result = await handoverBothWays(lab, {
          tag: `v3noif${family}`,
          family,
          vip: `${net}135`,
          captureAt: 'keepalived',
          instance: (_self, selfIp, peerIp) => ({
            name: 'VI_1',
            ...(selfIp === `${net}1` ? { interface: false as const } : {}),
            vrid,
            version: 3,
            advertInt: ADVERT,
            vips: [`${net}135/${family === 4 ? 24 : 64} dev eth0`],
            unicast: { srcIp: selfIp, peers: [peerIp] },
          }),
        });
        assertAdvertsAlike(
          result,
          // keepalived 2.2.7 leaves an IPv6 unicast socket's hop limit at the kernel's 64; ours sends 255
          {
            ...(family === 4 ? { ttl: 255 } : {}),
            version: 3,
            type: 1,
            vrid,
            interval: 50,
            addresses: [`${net}135`],
          },
          (m) => (m === result.ours ? `${net}1` : `${net}2`),
        );
        for (const advert of result.adverts) {
          assert.equal(advert.dst, advert.src === `${net}1` ? `${net}2` : `${net}1`, JSON.stringify(advert));
          if (advert.src === `${net}1`) assert.equal(advert.ttl, 255, JSON.stringify(advert));
        }
      }));
  }

  test('VRRPv3 with use_vmac on both sides: handover both ways; the VIP stays at the virtual MAC', () =>
    withLab('kavmac', async (lab) => {
      const result = await handoverBothWays(lab, {
        tag: 'v3vmac',
        family: 4,
        vip: '10.5.0.140',
        vmac: { ifname: 'vrrp.34', mac: '00:00:5e:00:01:22' },
        instance: () => ({
          name: 'VI_1',
          vrid: 34,
          version: 3,
          advertInt: ADVERT,
          vips: ['10.5.0.140/24'],
          useVmac: true,
        }),
      });
      assertAdvertsAlike(
        result,
        { dst: '224.0.0.18', ttl: 255, version: 3, vrid: 34, interval: 50, addresses: ['10.5.0.140'] },
        (m) => (m === result.ours ? '10.5.0.1' : '10.5.0.2'),
      );
    }));

  test('VRRPv3 over IPv6 with use_vmac on both sides: handover both ways; the NA names the virtual MAC', () =>
    withLab('kavmac6', async (lab) => {
      // The observer only learns the VIP from each new master's unsolicited NA: it must name 00-00-5e-00-02-VRID.
      const result = await handoverBothWays(lab, {
        tag: 'v3vmac6',
        family: 6,
        vip: '2001:db8:5::150',
        vmac: { ifname: 'vrrp.36', mac: '00:00:5e:00:02:24' },
        instance: () => ({
          name: 'VI_1',
          vrid: 36,
          version: 3,
          advertInt: ADVERT,
          vips: ['2001:db8:5::150/64'],
          useVmac: true,
        }),
      });
      // Both send from the link-local address of the base interface, which keepalived copies to the VMAC.
      assertAdvertsAlike(
        result,
        {
          dst: 'ff02::12',
          ttl: 255,
          version: 3,
          vrid: 36,
          interval: 50,
          addresses: ['2001:db8:5::150'],
          srcMac: '00:00:5e:00:02:24',
        },
        (m) => linkLocalAddress(m) ?? '?',
      );
    }));
});
