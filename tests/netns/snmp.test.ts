// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// SNMP against keepalived 2.2.7, both behind Debian's snmpd (master agentx on a socket in the lab's
// directory, listening on 127.0.0.1 of the test namespace only) with snmptrapd catching its notifications.
// keepalived runs a VRRP config with two instances in a sync group, three more alone (VRRPv2, VRRPv3,
// unicast, IPv6), static and virtual addresses, routes and rules, a script and a tracked file; once every
// instance is MASTER its walks of KEEPALIVED-MIB, VRRP-MIB and VRRPV3-MIB are taken, then a link goes down
// and the sync group's FAULT notifications are caught. Then keepalived stops, and our subagent
// (snmp-subagent.agent.ts) serves the same config and state: our config model, the namespace's interfaces,
// and the states, priorities, counters and script results keepalived's own dump files gave. Its walks must
// match keepalived's OID by OID and value by value, its notifications varbind by varbind, except for what
// MUST_DIFFER and the keepalived defects in snmp-lab.ts name with their reasons.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gated, missingTools } from '../helpers/requirements.js';
import { run, waitForLine } from '../helpers/netns.js';
import { keepalivedSkipReason, sleep, waitUntil, withLab } from '../helpers/vrrp-lab.js';
import {
  compareWalks,
  config,
  fileSize,
  KEEPALIVED,
  startSnmpd,
  sysOrRows,
  trapsSince,
  walkAll,
} from './snmp-lab.js';

const AGENT = fileURLToPath(new URL('./snmp-subagent.agent.js', import.meta.url));
const skip = keepalivedSkipReason() ?? missingTools('snmpd', 'snmpwalk', 'snmptrapd');
const { describe, test } = gated(skip);

/** keepalived's dump files, after its JSON and DATA signals; waits for the script's verdict in them. */
async function keepalivedDumps(pidFile: string, tmpDir: string): Promise<{ json: string; data: string }> {
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const json = join(tmpDir, 'keepalived.json');
  const data = join(tmpDir, 'keepalived.data');
  await waitUntil(
    () => {
      process.kill(pid, 36); // keepalived --signum=JSON
      process.kill(pid, 'SIGUSR1'); // DATA
      return existsSync(data) && /Status = GOOD/.test(readFileSync(data, 'utf8')) && existsSync(json);
    },
    'keepalived dumps with the script GOOD',
    20_000,
    500,
  );
  await sleep(300); // both files complete
  return { json, data };
}

/** Sends one command to the harness and waits for its answer line. */
async function ask(child: ChildProcess, cmd: object): Promise<Record<string, unknown>> {
  child.stdin?.write(`${JSON.stringify(cmd)}\n`);
  const line = await waitForLine(child, (l) => l.startsWith('{'), 20_000);
  const answer = JSON.parse(line) as Record<string, unknown>;
  if (answer.ok !== true) throw new Error(`harness: ${String(answer.message)}`);
  return answer;
}

describe('SNMP subagent against keepalived 2.2.7 (snmpd, snmpwalk, snmptrapd)', () => {
  test('the same walks OID by OID, the same sysORTable rows, the same FAULT notifications', (t) =>
    withLab('snmp', async (lab) => {
      const [a] = lab.lan(['a']);
      assert.ok(a);
      lab.addAddress(a, '10.7.0.1/24');
      lab.addAddress(a, '2001:db8::1/64');
      // eth1: what the sync group tracks, and where one VIP lives (a veth whose peer stays here).
      run(['ip', '-n', a.ns, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p']);
      run(['ip', '-n', a.ns, 'link', 'set', 'eth1p', 'up']);
      run(['ip', '-n', a.ns, 'link', 'set', 'eth1', 'up']);
      const { socket, trapLog } = await startSnmpd(lab, a.ns);
      const trackFile = lab.writeFile('tf.txt', '1\n');
      const conf = config(socket, trackFile);

      // ---- keepalived ----
      const k = lab.start('keepalived', a, 'k', conf);
      for (const name of ['VI_1', 'VI_2', 'VI_3', 'VI_4', 'VI_6'])
        await k.waitForState(name, 'MASTER', 20_000);
      const dumps = await keepalivedDumps(k.files.pid, k.files.tmpDir);
      const theirs = walkAll(a.ns);
      const theirSysOr = sysOrRows(a.ns);
      let mark = fileSize(trapLog);
      lab.setLink(a, 'eth1', false);
      await waitUntil(
        () =>
          trapsSince(trapLog, mark).some(
            (t) => t.line.includes('"G1"') && t.line.includes('2.1.1.3 = INTEGER: 3'),
          ),
        "keepalived's sync group FAULT notification",
        15_000,
      );
      await sleep(1000);
      const theirTraps = trapsSince(trapLog, mark);
      await k.stop();
      lab.setLink(a, 'eth1', true);
      await sleep(1000); // the notifications of keepalived's stop come and go

      // ---- ours, on the same config and state ----
      const harness = lab.net.spawn(a.ns, [process.execPath, AGENT]);
      const started = await ask(harness, {
        op: 'start',
        config: k.files.config,
        socket: `unix:${socket}`,
        json: dumps.json,
        data: dumps.data,
        files: { tf: 1 },
      });
      assert.equal(started.connected, true);
      const ours = walkAll(a.ns);
      const ourSysOr = sysOrRows(a.ns);
      mark = fileSize(trapLog);
      // The states eth1 going down gave keepalived, then its notifications in its order.
      await ask(harness, {
        op: 'state',
        instances: { VI_1: 'FAULT', VI_2: 'FAULT' },
        groups: { G1: 'FAULT' },
      });
      for (const t of theirTraps) {
        const name = /"(\w+)"/.exec(t.line)?.[1];
        const kind = t.line.includes('9586.100.5.2.10.0.1') ? 'group' : 'instance';
        await ask(harness, { op: 'trap', kind, name });
      }
      await waitUntil(
        () => trapsSince(trapLog, mark).length >= theirTraps.length,
        'our notifications',
        10_000,
      );
      await sleep(500);
      const ourTraps = trapsSince(trapLog, mark);
      await ask(harness, { op: 'close' });

      // ---- comparison ----
      const { report, differing, defects, equal } = compareWalks(theirs, ours);
      t.diagnostic(
        `keepalived ${theirs.size} objects, ours ${ours.size}; ${equal} equal, ${differing} must differ, ` +
          `${defects} keepalived defects, ${report.length} other differences; ` +
          `${theirTraps.length} notifications from keepalived, ${ourTraps.length} from ours`,
      );
      assert.deepEqual(report, [], `walks differ:\n${report.join('\n')}`);
      assert.match(theirs.get(`${KEEPALIVED}.1.1.0`) ?? '', /Keepalived v2\.2\.7/);
      assert.match(ours.get(`${KEEPALIVED}.1.1.0`) ?? '', /keepalived-ts/);
      // Enough was compared for the comparison to mean something, and each named difference showed.
      assert.ok(theirs.size > 450, `keepalived served ${theirs.size} objects`);
      assert.ok(differing >= 1, `${differing} must-differ values`); // the version; uptimes may agree by chance
      assert.ok(defects >= 20, `${defects} keepalived defects seen`);
      assert.deepEqual(ourSysOr, theirSysOr);
      assert.equal(theirSysOr.length, 4);

      assert.ok(theirTraps.length >= 3, `keepalived sent ${theirTraps.length} notifications`);
      assert.deepEqual(
        ourTraps.map((t) => t.varbinds),
        theirTraps.map((t) => t.varbinds),
      );
    }));
});
