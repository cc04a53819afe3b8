// Proof of the IPVS VM chain, end to end: Debian's kernel boots under TCG with the host's root, loads ip_vs,
// ipvsadm programs it, and keepalived 2.2.7 (inside a network namespace of the VM, real servers in two other
// namespaces) programs a virtual server and follows its TCP_CHECK verdicts; keepalived-ts runs there too.
// Everything runs inside the VM, which has no network device: nothing here can reach the host's network.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { IpvsVm, ipvsVmSkipReason } from '../helpers/ipvs-vm.js';

const worktree = fileURLToPath(new URL('../../../', import.meta.url));

function skipReason(): string | undefined {
  const vm = ipvsVmSkipReason();
  if (vm) return vm;
  for (const tool of ['/usr/sbin/ipvsadm', '/usr/sbin/ipvsadm-save', '/usr/sbin/keepalived'])
    if (!existsSync(tool)) return `${tool} is not installed`;
  return undefined;
}

// Namespaces inside the VM (they vanish with it): the director and two real servers on their own links.
const NS = { lb: 'kts-vm-lb', rs1: 'kts-vm-rs1', rs2: 'kts-vm-rs2' };
const RS1 = '192.168.1.11';
const RS2 = '192.168.2.11';

const topology = [
  ...Object.values(NS).map((ns) => `ip netns add ${ns} && ip -n ${ns} link set lo up`),
  ...(
    [
      [NS.rs1, 'veth1', '192.168.1.1/24', `${RS1}/24`],
      [NS.rs2, 'veth2', '192.168.2.1/24', `${RS2}/24`],
    ] as const
  ).flatMap(([ns, lbIf, lbAddr, rsAddr]) => [
    `ip link add ${lbIf} netns ${NS.lb} type veth peer name eth0 netns ${ns}`,
    `ip -n ${NS.lb} addr add ${lbAddr} dev ${lbIf} && ip -n ${NS.lb} link set ${lbIf} up`,
    `ip -n ${ns} addr add ${rsAddr} dev eth0 && ip -n ${ns} link set eth0 up`,
  ]),
  'mkdir -p /tmp/www /run/kts && echo ok > /tmp/www/index.html',
].join(' && ');

/** Starts busybox's web server in `ns` (a real server with port 80 open); its pid goes to /run/kts/NS.pid. */
function startRealServer(ns: string): string {
  return `setsid ip netns exec ${ns} busybox httpd -f -p 80 -h /tmp/www </dev/null >/dev/null 2>&1 & echo $! > /run/kts/${ns}.pid`;
}

const keepalivedConf = `global_defs {
  router_id kts_vm
}

virtual_server 10.0.0.1 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP

  real_server ${RS1} 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
  real_server ${RS2} 80 {
    weight 2
    TCP_CHECK {
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
}
`;

describe('IPVS in a VM (Debian kernel under qemu TCG)', { skip: skipReason() ?? false }, () => {
  let vm: IpvsVm;
  let shareDir: string;
  const lbTable = (): Promise<string> => vm.run(`ip netns exec ${NS.lb} ipvsadm-save -n`);

  /** Polls the director's IPVS table until `check` accepts it. */
  async function waitForTable(
    check: (table: string) => boolean,
    what: string,
    timeoutMs = 30_000,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let table = '';
    while (Date.now() < deadline) {
      table = await lbTable();
      if (check(table)) return table;
      await new Promise((r) => setTimeout(r, 300));
    }
    const log = await vm.exec(`tail -30 ${shareDir}/keepalived.log`);
    assert.fail(`${what}: not seen within ${timeoutMs} ms; table:\n${table}\nkeepalived log:\n${log.stdout}`);
  }

  before(async () => {
    shareDir = mkdtempSync(join(tmpdir(), 'kts-vm-share-'));
    const started = Date.now();
    vm = await IpvsVm.boot({ shareDir });
    console.log(
      `# VM boot: ${vm.bootMs} ms (kernel ${vm.kernelVersion}); boot() returned after ${Date.now() - started} ms`,
    );
  });

  after(async () => {
    await vm?.shutdown();
    if (shareDir) rmSync(shareDir, { recursive: true, force: true });
  });

  test('the VM has no network device but loopback, and commands cost little', async () => {
    assert.equal((await vm.run('ls /sys/class/net')).trim(), 'lo');
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = Date.now();
      const r = await vm.exec('true');
      assert.equal(r.status, 0);
      samples.push(Date.now() - t);
    }
    console.log(`# exec('true') round trips: ${samples.join(' ')} ms`);
    const r = await vm.exec('sleep 10', { timeoutMs: 500 });
    assert.equal(r.timedOut, true);
    assert.equal(r.status, null);
  });

  test('modprobe ip_vs, then ipvsadm programs the kernel', async () => {
    await vm.run('modprobe ip_vs');
    await vm.run('ipvsadm -A -t 10.0.0.1:80 -s rr');
    assert.match(await vm.run('ipvsadm-save -n'), /^-A -t 10\.0\.0\.1:80 -s rr$/m);
    // The scheduler module was loaded on demand by the kernel (this needs the real switch_root).
    assert.match(await vm.run('lsmod'), /^ip_vs_rr\s/m);
    await vm.run('ipvsadm -C');
    assert.equal((await vm.run('ipvsadm-save -n')).trim(), '');
  });

  test('keepalived 2.2.7 programs a NAT virtual server and follows TCP_CHECK', async () => {
    const started = Date.now();
    await vm.run(topology);
    await vm.run(startRealServer(NS.rs1));
    await vm.run(startRealServer(NS.rs2));
    writeFileSync(join(shareDir, 'keepalived.conf'), keepalivedConf);
    await vm.run(
      `setsid ip netns exec ${NS.lb} keepalived -n -l -D -C -f ${shareDir}/keepalived.conf ` +
        `-p /run/kts/keepalived.pid -c /run/kts/checkers.pid </dev/null >${shareDir}/keepalived.log 2>&1 &`,
    );
    const both = await waitForTable(
      (t) => t.includes(`-r ${RS1}:80`) && t.includes(`-r ${RS2}:80`),
      'both real servers',
    );
    assert.equal(
      both.trim(),
      [
        '-A -t 10.0.0.1:80 -s rr',
        `-a -t 10.0.0.1:80 -r ${RS1}:80 -m -w 1`,
        `-a -t 10.0.0.1:80 -r ${RS2}:80 -m -w 2`,
      ].join('\n'),
    );
    console.log(`# keepalived programmed the table ${Date.now() - started} ms after the topology began`);

    const stopped = Date.now();
    await vm.run(`kill $(cat /run/kts/${NS.rs1}.pid)`);
    const without = await waitForTable((t) => !t.includes(`-r ${RS1}:80`), 'real server 1 removed');
    assert.equal(
      without.trim(),
      ['-A -t 10.0.0.1:80 -s rr', `-a -t 10.0.0.1:80 -r ${RS2}:80 -m -w 2`].join('\n'),
    );
    console.log(`# real server 1 left the table ${Date.now() - stopped} ms after it stopped`);

    await vm.run(startRealServer(NS.rs1));
    await waitForTable((t) => t.includes(`-r ${RS1}:80`), 'real server 1 back');

    // On SIGTERM keepalived removes the virtual servers it created.
    await vm.run(`kill $(cat /run/kts/keepalived.pid)`);
    await waitForTable((t) => t.trim() === '', 'the table emptied at keepalived stop');
    assert.match(
      await vm.run(`cat ${shareDir}/keepalived.log`),
      /TCP_CHECK on service \[192\.168\.1\.11\]:tcp:80 failed/,
    );
  });

  test('keepalived-ts runs inside the VM from this worktree', async () => {
    // --version goes to stderr, as keepalived's; it names the kernel it runs on.
    const version = await vm.exec(`node ${worktree}bin/keepalived-ts --version`);
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stderr, /\(keepalived-ts\)/);
    assert.match(version.stderr, new RegExp(`Running on Linux ${vm.kernelVersion.replace(/\./g, '\\.')} `));
    const r = await vm.exec(`node ${worktree}bin/keepalived-ts -t -f ${shareDir}/keepalived.conf`);
    assert.equal(r.status, 0, r.stderr);
  });
});
