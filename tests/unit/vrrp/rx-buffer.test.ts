// The VRRP socket receive buffer shares (keepalived 2.4.3's vrrp_create_sockpool) and vrrp_rx_bufs_policy
// as keepalived's parser reads it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { advertLength, rxBufferShare, shareBytes } from '../../../src/vrrp/rx-buffer.js';
import { loadModel } from '../../../src/config/index.js';
import { vrrpSetupFromModel } from '../../../src/vrrp/from-model.js';
import { MemoryHost } from '../config/memory-host.js';

const v2 = { family: 4, version: 2, vipCount: 1, ah: false, hmacTrailer: false } as const;

describe('VRRP receive buffer shares', () => {
  test("advert lengths as keepalived's vrrp_adv_len", () => {
    assert.equal(advertLength(v2), 40);
    assert.equal(advertLength({ ...v2, vipCount: 3, version: 3 }), 40);
    assert.equal(advertLength({ ...v2, ah: true }), 64);
    assert.equal(advertLength({ ...v2, family: 6, version: 3, vipCount: 2 }), 40);
    assert.equal(advertLength({ ...v2, hmacTrailer: true }), 68);
  });

  test('kernel_rx_buf_size first, then the policy', () => {
    assert.deepEqual(rxBufferShare(5000, 'ADVERT', 3, v2), { bytes: 5000 });
    assert.deepEqual(rxBufferShare(undefined, 9000, 3, v2), { bytes: 9000 });
    assert.deepEqual(rxBufferShare(0, 'ADVERT', 10, v2), { bytes: 400 });
    assert.deepEqual(rxBufferShare(undefined, 'MTU', 3, v2), { mtuTimes: 3 });
    assert.equal(shareBytes({ mtuTimes: 3 }, 1500), 4500);
    assert.equal(rxBufferShare(undefined, undefined, 3, v2), undefined);
  });
});

describe('vrrp_rx_bufs_policy in global_defs', () => {
  const file = '/etc/keepalived/keepalived.conf';
  const load = (line: string) => {
    const text = `global_defs {\n  ${line}\n}\nvrrp_instance V {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n`;
    return loadModel(file, new MemoryHost({ [file]: text }));
  };
  const messages = (line: string) =>
    load(line)
      .diagnostics.filter((d) => d.line === 2)
      .map((d) => `${d.severity}: ${d.message}`);

  test('MTU, ADVERT (any case) or a size; a size beats a policy, MTU beats ADVERT', () => {
    assert.equal(load('vrrp_rx_bufs_policy advert').model.global.vrrpRxBufsPolicy, 'ADVERT');
    assert.equal(load('vrrp_rx_bufs_policy 65536').model.global.vrrpRxBufsPolicy, '65536');
    assert.equal(load('vrrp_rx_bufs_policy 4096 MTU').model.global.vrrpRxBufsPolicy, '4096');
    assert.deepEqual(messages('vrrp_rx_bufs_policy 4096 MTU'), [
      'warning: Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy',
    ]);
    assert.equal(load('vrrp_rx_bufs_policy MTU ADVERT').model.global.vrrpRxBufsPolicy, 'MTU');
    assert.deepEqual(messages('vrrp_rx_bufs_policy bogus'), ['error: Invalid vrrp_rx_bufs_policy bogus']);
  });

  test('the instance gets its share', () => {
    const { model } = load('vrrp_rx_bufs_policy ADVERT');
    assert.deepEqual(vrrpSetupFromModel(model).instances.get('V')?.rxBuffer, { bytes: 3 * 40 });
  });
});
