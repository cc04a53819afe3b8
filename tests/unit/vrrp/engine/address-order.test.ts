import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareAddresses } from '../../../../src/vrrp/engine/address-order.js';

void describe('address order for the equal-priority tie-break', () => {
  void test('IPv4 numeric, not textual', () => {
    assert.equal(compareAddresses('10.0.0.40', '10.0.0.5'), 1);
    assert.equal(compareAddresses('10.0.0.4', '10.0.0.5'), -1);
    assert.equal(compareAddresses('192.168.1.1', '192.168.1.1'), 0);
  });
  void test('IPv6 with :: and embedded IPv4', () => {
    assert.equal(compareAddresses('fe80::2', 'fe80::10'), -1);
    assert.equal(compareAddresses('fe80::1:0', 'fe80::ffff'), 1);
    assert.equal(compareAddresses('::ffff:10.0.0.1', '::ffff:a00:1'), 0);
    assert.equal(compareAddresses('2001:db8:0:0:0:0:0:1', '2001:db8::1'), 0);
  });
  void test('mixed families or garbage compare equal', () => {
    assert.equal(compareAddresses('10.0.0.1', 'fe80::1'), 0);
    assert.equal(compareAddresses('10.0.0.256', '10.0.0.1'), 0);
    assert.equal(compareAddresses('fe80:::1', 'fe80::1'), 0);
  });
});
