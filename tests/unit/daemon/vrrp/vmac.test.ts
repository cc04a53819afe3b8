// The pure parts of the VMAC set-up: the virtual router MAC and the EUI-64 link-local keepalived derives
// from the base interface's MAC when that interface has no link-local address.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eui64LinkLocal, virtualRouterMac } from '../../../../src/daemon/vrrp/vmac.js';

describe('VMAC addresses', () => {
  test('00-00-5e-00-01-VRID for IPv4, 00-00-5e-00-02-VRID for IPv6 (RFC 5798 7.3)', () => {
    assert.equal(virtualRouterMac(4, 51), '00:00:5e:00:01:33');
    assert.equal(virtualRouterMac(6, 51), '00:00:5e:00:02:33');
    assert.equal(virtualRouterMac(6, 1), '00:00:5e:00:02:01');
    assert.equal(virtualRouterMac(4, 255), '00:00:5e:00:01:ff');
  });
  test('modified EUI-64: universal/local bit flipped, ff:fe in the middle', () => {
    assert.equal(eui64LinkLocal('52:54:00:12:34:56'), 'fe80::5054:ff:fe12:3456');
    assert.equal(eui64LinkLocal('00:00:5e:00:02:24'), 'fe80::200:5eff:fe00:224');
    assert.equal(eui64LinkLocal('not a mac'), undefined);
  });
});
