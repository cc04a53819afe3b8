// `vrf` in the VM (tests/helpers/ipvs-vm.ts: Debian's kernel has VRF devices, this host's does not): a
// unicast instance without an interface (keepalived 2.4.3's way; 2.2.7 refuses such an instance, so ours
// runs alone here) whose address lives in a VRF sends and reads its adverts through that VRF, its socket
// bound to the VRF device. Without that binding its adverts find no route (ENETUNREACH) and both routers
// would hold the VIP. The peer is ours too, an ordinary unicast instance on its interface.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpvsVm, ipvsVmSkipReason } from '../helpers/ipvs-vm.js';
import { gated } from '../helpers/requirements.js';

const { after, before, describe, test } = gated(ipvsVmSkipReason());

const OURS = fileURLToPath(new URL('../../../bin/keepalived-ts', import.meta.url));
const VIP = '10.88.0.100';

// a: no interface, in VRF `blue` (a0 is its member); b: on b0, the other end of the veth.
const CONFIG_A = `global_defs {
  router_id vrf_a
}
vrrp_instance VI_VRF {
  state BACKUP
  vrf blue
  virtual_router_id 51
  priority 200
  advert_int 1
  unicast_src_ip 10.88.0.1
  unicast_peer {
    10.88.0.2
  }
  virtual_ipaddress {
    ${VIP}/24 dev a0
  }
}
`;
const CONFIG_B = `global_defs {
  router_id vrf_b
}
vrrp_instance VI_VRF {
  state BACKUP
  interface b0
  virtual_router_id 51
  priority 100
  advert_int 1
  unicast_src_ip 10.88.0.2
  unicast_peer {
    10.88.0.1
  }
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;

describe('vrf: an instance without an interface bound to its VRF (VM)', () => {
  let vm: IpvsVm;
  let share: string;

  const holdsVip = async (ns: string): Promise<boolean> =>
    (await vm.run(`ip -n ${ns} -br addr`)).includes(`${VIP}/24`);

  async function start(ns: string): Promise<void> {
    const files = `-f ${share}/${ns}.conf -p /run/kts/${ns}.pid -r /run/kts/${ns}.vrrp.pid -c /run/kts/${ns}.c.pid`;
    await vm.run(
      `TMPDIR=/tmp setsid ip netns exec ${ns} ${process.execPath} ${OURS} -P -n -l -D ${files} </dev/null >${share}/${ns}.log 2>&1 &`,
    );
  }

  async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    const logs = await vm.exec(`tail -n 30 ${share}/a.log ${share}/b.log`);
    assert.fail(`${what}\n${logs.stdout}`);
  }

  const log = async (ns: string): Promise<string> => (await vm.exec(`cat ${share}/${ns}.log`)).stdout;

  before(async () => {
    share = mkdtempSync(join(tmpdir(), 'kts-vm-vrf-'));
    writeFileSync(join(share, 'a.conf'), CONFIG_A);
    writeFileSync(join(share, 'b.conf'), CONFIG_B);
    vm = await IpvsVm.boot({ shareDir: share });
    await vm.run(
      [
        'modprobe vrf',
        'ip netns add a',
        'ip netns add b',
        'ip -n a link set lo up',
        'ip -n b link set lo up',
        'ip -n a link add a0 type veth peer name b0 netns b',
        'ip -n a link add blue type vrf table 10',
        'ip -n a link set blue up',
        'ip -n a link set a0 master blue',
        'ip -n a link set a0 up',
        'ip -n b link set b0 up',
        'ip -n a addr add 10.88.0.1/24 dev a0',
        'ip -n b addr add 10.88.0.2/24 dev b0',
        'mkdir -p /run/kts',
      ].join(' && '),
    );
  });

  after(async () => {
    await vm?.shutdown();
    if (share) rmSync(share, { recursive: true, force: true });
  });

  test('its adverts reach the peer through the VRF: one master, and the peer takes over at its stop', async () => {
    await start('b');
    await waitFor('b MASTER alone', async () => (await log('b')).includes('(VI_VRF) Entering MASTER STATE'));
    await start('a');
    // a (200) takes over; b hears it through the VRF and steps back
    await waitFor('b back to BACKUP under a', async () =>
      (await log('b')).includes('(VI_VRF) Entering BACKUP STATE'),
    );
    await waitFor('the VIP on a only', async () => (await holdsVip('a')) && !(await holdsVip('b')));
    assert.doesNotMatch(await log('a'), /cannot send advert|cannot open VRRP socket/);
    await vm.run('kill -TERM $(cat /run/kts/a.pid)');
    await waitFor(
      'the VIP on b only after a stopped',
      async () => (await holdsVip('b')) && !(await holdsVip('a')),
    );
    await vm.run('kill -TERM $(cat /run/kts/b.pid)');
    await waitFor('b stopped and its VIP gone', async () => !(await holdsVip('b')));
  });
});
