// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// set_supplementary_groups (keepalived after 2.4.3, commit 541c59b8 "Add option for setting supplementary
// groups for scripts"): a script run as a user gets that user's supplementary groups (getgrouplist);
// without it, none (keepalived clears them; Node's spawn does too). The user exists only for the daemon:
// `ip netns exec` bind-mounts /etc/netns/NS/{passwd,group} over /etc, and VrrpLab starts daemons that way.
// KTS_DAEMON_IMPL=keepalived runs the case without the keyword against Debian's keepalived 2.2.7.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daemonUnderTest, keepalivedSkipReason, waitUntil, withLab } from '../helpers/vrrp-lab.js';
import { netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';
import { namespaceUsers } from '../helpers/netns-users.js';

const impl = daemonUnderTest();
const skipReason = impl === 'keepalived' ? keepalivedSkipReason() : netnsSkipReason();
const { describe, test } = gated(skipReason);

const USER = 'ktsgrp';
const UID = 4242;
const EXTRA_GID = 4243;

/** The host's users and groups, plus USER (group 4242) and a group 4243 listing USER. */
const addUserFor = (ns: string): (() => void) =>
  namespaceUsers(ns, {
    passwd: [`${USER}:x:${UID}:${UID}::/nonexistent:/usr/sbin/nologin`],
    group: [`${USER}:x:${UID}:`, `ktsextra:x:${EXTRA_GID}:${USER}`],
  });

function config(dir: string, keyword: string[]): string {
  return [
    'global_defs {',
    '  router_id a',
    `  script_user ${USER}`,
    ...keyword.map((k) => `  ${k}`),
    '}',
    'vrrp_script chk {',
    `  script "${dir}/ids.sh script"`,
    '  interval 1',
    `  user ${USER}`,
    '}',
    'vrrp_instance VI_1 {',
    '  interface eth0',
    '  virtual_router_id 71',
    '  priority 150',
    '  advert_int 0.3',
    '  version 3',
    '  virtual_ipaddress {',
    '    10.2.0.100/24',
    '  }',
    '  track_script {',
    '    chk',
    '  }',
    `  notify_master "${dir}/ids.sh notify"`,
    '}',
    '',
  ].join('\n');
}

async function groupsSeen(keyword: string[], label: string): Promise<{ script: string; notify: string }> {
  // A directory the script user can write to (the lab's own is root's alone).
  const dir = mkdtempSync(join(tmpdir(), 'kts-supgrp-'));
  chmodSync(dir, 0o777);
  writeFileSync(
    `${dir}/ids.sh`,
    '#!/bin/sh\nid -G > "$(dirname "$0")/$1.tmp" && mv "$(dirname "$0")/$1.tmp" "$(dirname "$0")/$1"\n',
  );
  chmodSync(`${dir}/ids.sh`, 0o755);
  try {
    return await withLab(label, async (lab) => {
      const [a] = lab.lan(['a']) as [LanMember];
      lab.addAddress(a, '10.2.0.1/24');
      const removeUser = addUserFor(a.ns);
      try {
        const d = lab.start(impl, a, label, config(dir, keyword));
        await d.waitForState('VI_1', 'MASTER', 15_000);
        const read = (name: string): Promise<string> =>
          waitUntil(
            () => (existsSync(`${dir}/${name}`) ? readFileSync(`${dir}/${name}`, 'utf8').trim() : undefined),
            () => `${name} output\n${d.log()}`,
            5000,
          );
        const seen = { script: await read('script'), notify: await read('notify') };
        assert.equal(await d.stop('SIGTERM'), 0, d.log());
        return seen;
      } finally {
        removeUser();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe(`set_supplementary_groups (${impl})`, () => {
  test('without it a script user has no supplementary groups', async () => {
    const seen = await groupsSeen([], 'supno');
    assert.deepEqual(seen, { script: `${UID}`, notify: `${UID}` });
  });

  test("with it the script user's supplementary groups are given too", async (t) => {
    if (impl === 'keepalived') {
      t.skip('keepalived differs: 2.2.7 (and 2.4.3) have no set_supplementary_groups; it came after 2.4.3');
      return;
    }
    const seen = await groupsSeen(['set_supplementary_groups'], 'supyes');
    assert.deepEqual(seen, { script: `${UID} ${EXTRA_GID}`, notify: `${UID} ${EXTRA_GID}` });
  });
});
