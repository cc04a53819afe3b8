// The fault matrix on the network side (issue #14; docs/reliability.md, Faults): crash and restart, a host
// cut off, a flapping link, a partition of three routers, duplicated and delayed/reordered adverts, the
// interface deleted / renamed / readdressed, a VIP deleted by hand. Each states its outcome and time bound,
// asserts both and prints the measured figure (`FAULT ... | value | bound`); bench/faults.ts repeats them.
// KTS_DAEMON_IMPL=keepalived runs the same scenarios with Debian's keepalived 2.2.7 on every router.
import {
  addressChanged,
  delayedAdverts,
  duplicatedAdverts,
  hostLoss,
  interfaceRecreated,
  interfaceRenamed,
  linkFlap,
  masterCrash,
  partition,
  vipRemoved,
} from '../helpers/fault-scenarios.js';
import { daemonUnderTest, keepalivedSkipReason, withLab, type VrrpLab } from '../helpers/vrrp-lab.js';
import { netnsSkipReason } from '../helpers/netns.js';
import { gated, missingTools } from '../helpers/requirements.js';

const impl = daemonUnderTest();
const { describe, test } = gated(
  (impl === 'keepalived' ? keepalivedSkipReason() : netnsSkipReason()) ??
    missingTools('nft', 'tcpdump', 'tshark'),
);

/** A test body: the scenario in a lab of its own (figures printed and asserted by the scenario). */
function fault(tag: string, scenario: (lab: VrrpLab) => Promise<unknown>): () => Promise<void> {
  return async () => {
    await withLab(tag, scenario);
  };
}

describe(`faults: network (${impl})`, () => {
  test(
    'master crash (SIGKILL of its tree): backup takes over within master-down; restart: VIP back on it alone',
    fault('fcrash', (lab) => masterCrash(lab, impl)),
  );

  test(
    'host cut off the LAN: backup takes over within master-down; reconnected: one holder within an interval',
    fault('fcut', (lab) => hostLoss(lab, impl)),
  );

  test(
    'link flapping every 200 ms for 4 s: the daemons survive and settle on one holder',
    fault('fflap', (lab) => linkFlap(lab, impl, 4000)),
  );

  test(
    '3 routers partitioned and healed: exactly one master within one advert interval of the heal',
    fault('fpart', (lab) => partition(lab, impl)),
  );

  test(
    'every advert duplicated: no state change',
    fault('fdup', (lab) => duplicatedAdverts(lab, impl, 2000)),
  );

  test(
    'adverts delayed 0-450 ms at random (reordered at a 300 ms interval): no state change',
    fault('fdelay', (lab) => delayedAdverts(lab, impl, 3000)),
  );

  test(
    'interface deleted: backup takes over; recreated: MASTER again',
    fault('fifdel', (lab) => interfaceRecreated(lab, impl)),
  );

  test(
    'interface renamed away and back: backup takes over, then MASTER again',
    fault('fifren', (lab) => interfaceRenamed(lab, impl)),
  );

  test(
    'own address changed: no state change; adverts from the new address',
    fault('faddr', (lab) => addressChanged(lab, impl)),
  );

  test(
    'a VIP deleted by hand: back on the master alone within an interval',
    fault('fvip', (lab) => vipRemoved(lab, impl)),
  );
});
