// keepalived's processes leave out the scripts this host cannot run (check_script_secure): a vrrp_script
// and every track_script naming it, a notify script, a MISC_CHECK. The host's verdicts come in as a table.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../model-helpers.js';
import {
  withUsableCheckerScripts,
  withUsableVrrpScripts,
  type ScriptCheck,
  type ScriptVerdict,
} from '../../../../../src/config/model/shared/script-availability.js';

const OK: ScriptVerdict = { lines: [], notFound: false, inhibited: false, runnable: true };
/** /ok/* runs; /gone/* is not there; /noexec/* is not executable; /unsafe/* is refused by script security. */
const host: ScriptCheck = (command) => {
  const program = command.split(/\s+/)[0] ?? '';
  if (program.startsWith('/gone/'))
    return {
      ...OK,
      runnable: false,
      notFound: true,
      lines: [`Script ${program} cannot be accessed - No such file or directory`],
    };
  if (program.startsWith('/noexec/'))
    return {
      ...OK,
      runnable: false,
      lines: [`WARNING - script '${program}' is not executable for uid:gid 0:0 - disabling.`],
    };
  if (program.startsWith('/unsafe/'))
    return {
      ...OK,
      inhibited: true,
      lines: [`Unsafe permissions found for script '${program}' - disabling.`],
    };
  return OK;
};

const VRRP = `vrrp_script chk_gone {
  script "/gone/check.sh arg"
  weight -20
}
vrrp_script chk_noexec {
  script /noexec/check.sh
}
vrrp_script chk_unsafe {
  script /unsafe/check.sh
}
vrrp_script chk_ok {
  script /ok/check.sh
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    10.0.0.1/24
  }
  track_script {
    chk_gone
    chk_noexec
    chk_unsafe
    chk_ok
  }
  notify_master /gone/master.sh
  notify_backup /ok/backup.sh
  notify_deleted /gone/deleted.sh
}
vrrp_sync_group G {
  group {
    VI_1
  }
  track_script {
    chk_gone
  }
  notify_fault /noexec/fault.sh
}
`;

void describe('scripts this host cannot run (keepalived check_script_secure)', () => {
  void test('VRRP: the vrrp_script and its track_script references go, notify scripts are dropped', () => {
    const { model } = build(VRRP);
    const r = withUsableVrrpScripts(model, host);
    assert.deepEqual(
      r.model.vrrpScripts.map((s) => s.name),
      ['chk_ok'],
    );
    const inst = r.model.instances[0];
    assert.deepEqual(
      inst?.track.scripts.map((t) => t.name),
      ['chk_ok'],
    );
    assert.equal(inst?.notify.master, undefined);
    assert.equal(inst?.notify.backup?.command, '/ok/backup.sh');
    // notify_deleted's meaning (DELETED instead of FAULT) stays without its script
    assert.equal(inst?.notify.deleted, true);
    assert.deepEqual(r.model.syncGroups[0]?.track.scripts, []);
    assert.equal(r.model.syncGroups[0]?.notify.fault, undefined);
    assert.deepEqual(r.lines, [
      'Script /gone/check.sh cannot be accessed - No such file or directory',
      'Disabling track script chk_gone since not found/accessible',
      "WARNING - script '/noexec/check.sh' is not executable for uid:gid 0:0 - disabling.",
      "Unsafe permissions found for script '/unsafe/check.sh' - disabling.",
      'Disabling track script chk_unsafe due to insecure',
      'Script /gone/master.sh cannot be accessed - No such file or directory',
      'Script /gone/deleted.sh cannot be accessed - No such file or directory',
      "WARNING - script '/noexec/fault.sh' is not executable for uid:gid 0:0 - disabling.",
    ]);
    // the model it came from is left as it was (a reload compares against it)
    assert.equal(model.vrrpScripts.length, 4);
    assert.equal(model.instances[0]?.track.scripts.length, 4);
  });

  void test('VRRP: without instances nothing is looked at', () => {
    const { model } = build('vrrp_script chk_gone {\n  script /gone/x\n}\n');
    const r = withUsableVrrpScripts(model, host);
    assert.deepEqual(r.lines, []);
    assert.equal(r.model, model);
  });

  void test('checker: a MISC_CHECK that cannot run is removed from its real server; notify scripts dropped', () => {
    const { model } = build(`virtual_server 10.0.0.1 80 {
  protocol TCP
  quorum_up /gone/up.sh
  real_server 10.0.0.2 80 {
    notify_down /ok/down.sh
    MISC_CHECK {
      misc_path "/gone/misc.sh  -x"
    }
    TCP_CHECK {
    }
  }
  real_server 10.0.0.3 80 {
    MISC_CHECK {
      misc_path /ok/misc.sh
    }
  }
}
`);
    const r = withUsableCheckerScripts(model, host);
    const vs = r.model.virtualServers[0];
    assert.deepEqual(
      vs?.realServers.map((rs) => rs.checkers.map((c) => c.kind)),
      [['TCP_CHECK'], ['MISC_CHECK']],
    );
    assert.equal(vs?.quorumUp, undefined);
    assert.equal(vs?.realServers[0]?.notifyDown?.command, '/ok/down.sh');
    assert.deepEqual(r.lines, [
      'Script /gone/misc.sh cannot be accessed - No such file or directory',
      'Disabling misc script /gone/misc.sh -x since not found/accessible',
      'Script /gone/up.sh cannot be accessed - No such file or directory',
    ]);
  });
});
