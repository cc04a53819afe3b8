// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// enable_script_security without script_user: scripts written without a user run as `keepalived_script`,
// and when this host has no such user keepalived drops them as it reads the configuration (it never runs
// them as root); a script with its own user still runs. The user exists only for the daemon: `ip netns
// exec` bind-mounts /etc/netns/NS/passwd over /etc/passwd, and VrrpLab starts daemons that way.
// KTS_DAEMON_IMPL=keepalived runs both cases against Debian's keepalived 2.2.7.
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

const DEFAULT_USER = 'keepalived_script';
const UID = 4251;

/** The host's users and groups without keepalived_script, plus it when `withUser`. */
const usersFor = (ns: string, withUser: boolean): (() => void) =>
  namespaceUsers(ns, {
    without: [DEFAULT_USER],
    ...(withUser
      ? {
          passwd: [`${DEFAULT_USER}:x:${UID}:${UID}::/nonexistent:/usr/sbin/nologin`],
          group: [`${DEFAULT_USER}:x:${UID}:`],
        }
      : {}),
  });

function config(bin: string): string {
  return [
    'global_defs {',
    '  router_id a',
    '  enable_script_security',
    '}',
    'vrrp_instance VI_1 {',
    '  interface eth0',
    '  virtual_router_id 72',
    '  priority 150',
    '  advert_int 0.3',
    '  version 3',
    '  virtual_ipaddress {',
    '    10.2.0.100/24',
    '  }',
    `  notify_master "${bin}/mark.sh default"`,
    `  notify "${bin}/mark.sh own" root`,
    '}',
    '',
  ].join('\n');
}

/** Which scripts ran at the MASTER transition, and as which uid (`own`: the control with its own user). */
async function scriptsRun(withUser: boolean, label: string): Promise<Record<string, string>> {
  // The script in a directory only root can change (script security checks every component); what it
  // writes in one the script user can write to.
  const bin = mkdtempSync(join(tmpdir(), 'kts-dsu-bin-'));
  const out = mkdtempSync(join(tmpdir(), 'kts-dsu-out-'));
  chmodSync(bin, 0o755);
  chmodSync(out, 0o777);
  writeFileSync(`${bin}/mark.sh`, `#!/bin/sh\nid -u > "${out}/$1.tmp" && mv "${out}/$1.tmp" "${out}/$1"\n`);
  chmodSync(`${bin}/mark.sh`, 0o755);
  try {
    return await withLab(label, async (lab) => {
      const [a] = lab.lan(['a']) as [LanMember];
      lab.addAddress(a, '10.2.0.1/24');
      const restore = usersFor(a.ns, withUser);
      try {
        const d = lab.start(impl, a, label, config(bin));
        await d.waitForState('VI_1', 'MASTER', 15_000);
        // The control runs at the same transition as the script under test: once it has run, so would
        // the other have (each is started at once, and given a second more).
        await waitUntil(
          () => (existsSync(`${out}/own`) ? true : undefined),
          () => `the control script did not run\n${d.log()}`,
          5000,
        );
        await new Promise((r) => setTimeout(r, 1000));
        const seen: Record<string, string> = {};
        for (const name of ['own', 'default'])
          if (existsSync(`${out}/${name}`)) seen[name] = readFileSync(`${out}/${name}`, 'utf8').trim();
        assert.equal(await d.stop('SIGTERM'), 0, d.log());
        return seen;
      } finally {
        restore();
      }
    });
  } finally {
    rmSync(bin, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
}

describe(`enable_script_security and the default script user (${impl})`, () => {
  test('no keepalived_script user: a script without a user is dropped, never run as root', async () => {
    assert.deepEqual(await scriptsRun(false, 'dsuno'), { own: '0' });
  });

  test('a keepalived_script user: a script without a user runs as it', async () => {
    assert.deepEqual(await scriptsRun(true, 'dsuyes'), { own: '0', default: String(UID) });
  });
});
