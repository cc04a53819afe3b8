// lvs_sync_daemon in the IPVS VM (tests/helpers/ipvs-vm.ts): the kernel's connection-sync daemon follows
// a VRRP instance, keepalived 2.2.7's way (its VRRP process drives it): a backup daemon while the instance
// is BACKUP, the master daemon once it is MASTER, none after a stop. Run with keepalived, then with ours,
// on the same one-router namespace inside the VM; `ipvsadm -L --daemon` must read the same at each step.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpvsVm, ipvsVmSkipReason } from '../helpers/ipvs-vm.js';
import { gated, missingTools, TOOLS } from '../helpers/requirements.js';

const { after, before, describe, test } = gated(ipvsVmSkipReason() ?? missingTools('ipvsadm', 'keepalived'));

const OURS = fileURLToPath(new URL('../../../bin/keepalived-ts', import.meta.url));
const NS = 'kts-vm-sync';

// One router alone on its LAN: BACKUP for the master-down interval (3 x 1 s + skew), then MASTER.
const CONFIG = `global_defs {
  router_id vm_sync
  lvs_sync_daemon eth0 VI_SYNC maxlen 1400 port 8848 ttl 2
}
vrrp_instance VI_SYNC {
  state BACKUP
  interface eth0
  virtual_router_id 77
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.77.0.100/24
  }
}
`;

describe('lvs_sync_daemon follows its VRRP instance (IPVS VM)', () => {
  let vm: IpvsVm;
  let share: string;

  const daemons = async (): Promise<string> =>
    (await vm.run(`ip netns exec ${NS} ipvsadm -L -n --daemon`)).trim();

  async function waitForDaemons(want: RegExp, what: string, timeoutMs = 60_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    let seen = '';
    while (Date.now() < until) {
      seen = await daemons();
      if (want.test(seen)) return seen;
      await new Promise((r) => setTimeout(r, 250));
    }
    const log = await vm.exec(`tail -40 ${share}/*.log`);
    assert.fail(`${what}: ipvsadm --daemon said:\n${seen}\nlog:\n${log.stdout}`);
  }

  /** Starts `impl` in the namespace, records the daemon list while BACKUP, once MASTER, and after a stop. */
  async function run(
    impl: 'keepalived' | 'ours',
  ): Promise<{ backup: string; master: string; stopped: string }> {
    const argv =
      impl === 'ours'
        ? `${process.execPath} ${OURS} -P -n -l -D`
        : `${TOOLS.keepalived.command} --no-syslog -P -n -l -D`;
    const files = `-f ${share}/sync.conf -p /run/kts/${impl}.pid -r /run/kts/${impl}.vrrp.pid -c /run/kts/${impl}.c.pid -b /run/kts/${impl}.b.pid`;
    await vm.run(
      `TMPDIR=/tmp setsid ip netns exec ${NS} ${argv} ${files} </dev/null >${share}/${impl}.log 2>&1 & echo $! > /run/kts/${impl}.launcher`,
    );
    const backup = await waitForDaemons(/backup sync daemon/, `${impl}: backup sync daemon while BACKUP`);
    const master = await waitForDaemons(/master sync daemon/, `${impl}: master sync daemon once MASTER`);
    await vm.run(`kill -TERM $(cat /run/kts/${impl}.pid)`);
    const stopped = await waitForDaemons(/^$/, `${impl}: no sync daemon after the stop`);
    return { backup, master, stopped };
  }

  before(async () => {
    share = mkdtempSync(join(tmpdir(), 'kts-vm-sync-'));
    writeFileSync(join(share, 'sync.conf'), CONFIG);
    vm = await IpvsVm.boot({ shareDir: share });
    // eth0 with a carrier: a veth pair inside the namespace.
    await vm.run(
      [
        `ip netns add ${NS}`,
        `ip -n ${NS} link add eth0 type veth peer name peer0`,
        `ip -n ${NS} addr add 10.77.0.1/24 dev eth0`,
        `ip -n ${NS} link set lo up`,
        `ip -n ${NS} link set eth0 up`,
        `ip -n ${NS} link set peer0 up`,
        'modprobe ip_vs',
        'mkdir -p /run/kts',
      ].join(' && '),
    );
  });

  after(async () => {
    await vm?.shutdown();
    if (share) rmSync(share, { recursive: true, force: true });
  });

  test('backup daemon while BACKUP, master once MASTER, none after a stop: as keepalived 2.2.7', async () => {
    const theirs = await run('keepalived');
    const ours = await run('ours');
    // keepalived runs only the master daemon once MASTER (the backup one is stopped first).
    assert.match(
      theirs.master,
      /master sync daemon \(mcast=eth0, syncid=77, maxlen=1400, group=224\.0\.0\.81, port=8848, ttl=2\)/,
    );
    assert.doesNotMatch(theirs.master, /backup sync daemon/);
    assert.deepEqual(ours, theirs);
  });
});
