// linkbeat.ts: which interfaces keepalived polls (vrrp_if.c, init_interface_linkbeat).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { polledInterfaces } from '../../../../src/daemon/vrrp/linkbeat.js';

test('linkbeat_interfaces and linkbeat_use_polling pick the polled interfaces, tracked ones only', () => {
  const tracked = new Set(['eth0', 'eth1']);
  const none = polledInterfaces({
    global: { linkbeatUsePolling: false },
    linkbeatInterfaces: [],
    instances: [{ interface: 'eth0', linkbeatUsePolling: false }],
    tracked,
  });
  assert.deepEqual(none, { polled: [], messages: [] });

  const block = polledInterfaces({
    global: { linkbeatUsePolling: false },
    linkbeatInterfaces: [{ name: 'eth1' }, { name: 'eth9' }],
    instances: [{ interface: 'eth0', linkbeatUsePolling: false }],
    tracked,
  });
  assert.deepEqual(block.polled, ['eth1']);
  assert.deepEqual(block.messages, [
    'Turning off linkbeat for eth9 since not used for tracking',
    'Using MII-BMSR/ETHTOOL NIC polling thread(s)...',
  ]);

  // the global keyword, or the instance's own (deprecated), polls the instance's interface
  const global = polledInterfaces({
    global: { linkbeatUsePolling: true },
    linkbeatInterfaces: [],
    instances: [{ interface: 'eth0', linkbeatUsePolling: false }],
    tracked,
  });
  assert.deepEqual(global.polled, ['eth0']);
  const own = polledInterfaces({
    global: { linkbeatUsePolling: false },
    linkbeatInterfaces: [],
    instances: [
      { interface: 'eth0', linkbeatUsePolling: true },
      { interface: 'eth1', linkbeatUsePolling: false },
    ],
    tracked,
  });
  assert.deepEqual(own.polled, ['eth0']);
});
