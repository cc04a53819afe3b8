// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// Generic netlink against this machine's kernel. Read-only questions to the controller (no packet
// leaves, nothing changes), so no namespace is needed: family look-up, a missing family, and how a
// kernel without IPVS is reported.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { GENL_ID_CTRL, GenericNetlink, GenlFamilyNotFoundError } from '../../src/net/netlink/genetlink.js';
import { IpvsClient, probeIpvs } from '../../src/lb/ipvs/client.js';
import { IpvsUnavailableError } from '../../src/lb/ipvs/errors.js';
import { gated, needsRoot } from '../helpers/requirements.js';

const { describe, test } = gated(needsRoot());

void describe('generic netlink on the real kernel', () => {
  void test('the controller describes itself: id 0x10, its "notify" group, its operations', async () => {
    const genl = GenericNetlink.open();
    try {
      const ctrl = await genl.resolveFamily('nlctrl');
      assert.equal(ctrl.id, GENL_ID_CTRL);
      assert.ok(ctrl.version >= 1);
      assert.ok(ctrl.multicastGroups.some((g) => g.name === 'notify' && g.id > 0));
      assert.ok(
        ctrl.operations.some((o) => o.id === 3),
        'CTRL_CMD_GETFAMILY is an operation',
      );
    } finally {
      genl.close();
    }
  });

  void test('a family nobody registered is GenlFamilyNotFoundError', async () => {
    const genl = GenericNetlink.open();
    try {
      await assert.rejects(genl.resolveFamily('KTS_NO_SUCH'), GenlFamilyNotFoundError);
    } finally {
      genl.close();
    }
  });

  void test('IPVS: available with its version, or reported once as unavailable with a reason', async () => {
    const probe = await probeIpvs();
    if (existsSync('/proc/net/ip_vs')) {
      assert.ok(probe.available, 'the kernel has IPVS');
      assert.match(probe.version, /^\d+\.\d+\.\d+$/);
    } else {
      assert.ok(!probe.available);
      assert.equal(probe.error.reason, 'no-ipvs');
      assert.match(probe.error.message, /^IPVS: Can't initialize ipvs: the kernel has no IPVS/);
      await assert.rejects(IpvsClient.open(), IpvsUnavailableError);
    }
  });
});
