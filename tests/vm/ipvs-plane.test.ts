// IpvsDataPlane on a real kernel: Debian's 6.1 kernel in the IPVS VM (tests/helpers/ipvs-vm.ts), in a
// network namespace of the VM. Each scenario is programmed twice from an empty table, once with
// ipvsadm's own commands and once with the plane (tests/vm/ipvs-plane.inner.ts), and what ipvsadm then
// lists (`ipvsadm-save -n`, `ipvsadm -Ln` with --persistent-conn, --thresholds, --tun-info, --timeout,
// --daemon) must be the same, line for line, after every step.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LVS_SCHEDULERS, type LvsScheduler } from '../../src/config/model/lvs/types.js';
import type { Destination, LbChange, LbTable, Service, ServiceKey } from '../../src/lb/table/types.js';
import { IpvsVm, ipvsVmSkipReason } from '../helpers/ipvs-vm.js';
import { gated, missingTools } from '../helpers/requirements.js';
import type { InnerRequest, InnerResult, InnerStep } from './ipvs-plane.inner.js';

const inner = fileURLToPath(new URL('./ipvs-plane.inner.js', import.meta.url));
const NS = 'kts-vm-ipvs';

const { after, before, describe, test } = gated(ipvsVmSkipReason() ?? missingTools('ipvsadm'));

const TABLE_VIEWS = [
  'ipvsadm-save -n',
  'ipvsadm -Ln --persistent-conn',
  'ipvsadm -Ln --thresholds',
  'ipvsadm -Ln --tun-info',
];

// ---- building tables ----

const tcp = (address: string, port: number): ServiceKey => ({
  kind: 'address',
  family: address.includes(':') ? 'inet6' : 'inet',
  protocol: 'TCP',
  address,
  port,
});
const udp = (address: string, port: number): ServiceKey =>
  ({ ...tcp(address, port), protocol: 'UDP' }) as ServiceKey;
const rs = (address: string, port: number, extra: Partial<Destination> = {}): Destination => ({
  family: address.includes(':') ? 'inet6' : 'inet',
  address,
  port,
  method: 'NAT',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...extra,
});
const service = (
  key: ServiceKey,
  scheduler: LvsScheduler,
  destinations: Destination[],
  extra: Partial<Service> = {},
): Service => ({
  key,
  scheduler,
  schedFlags: [],
  onePacket: false,
  destinations,
  ...extra,
});
const addAll = (t: LbTable): LbChange[] =>
  t.services.flatMap((s) => [
    { op: 'add-service' as const, service: s },
    ...s.destinations.map((d) => ({ op: 'add-destination' as const, service: s.key, destination: d })),
  ]);

// Every kind of service keepalived programs, and what ipvsadm is told for the same table.
const FIRST_LOAD: Array<[Service, string[]]> = [
  [
    service(tcp('10.0.0.1', 80), 'wlc', [
      rs('192.168.1.2', 8080, { weight: 3, upperThreshold: 100, lowerThreshold: 10 }),
      rs('192.168.1.3', 8080, { weight: 2 }),
    ]),
    [
      '-A -t 10.0.0.1:80 -s wlc',
      '-a -t 10.0.0.1:80 -r 192.168.1.2:8080 -m -w 3 -x 100 -y 10',
      '-a -t 10.0.0.1:80 -r 192.168.1.3:8080 -m -w 2',
    ],
  ],
  [
    service(udp('10.0.0.1', 53), 'rr', [rs('192.168.1.4', 53)], { onePacket: true }),
    ['-A -u 10.0.0.1:53 -s rr -o', '-a -u 10.0.0.1:53 -r 192.168.1.4:53 -m -w 1'],
  ],
  [
    service({ ...tcp('10.0.0.3', 5060), protocol: 'SCTP' } as ServiceKey, 'lc', [
      rs('192.168.1.5', 5060, { weight: 4 }),
    ]),
    ['-A --sctp-service 10.0.0.3:5060 -s lc', '-a --sctp-service 10.0.0.3:5060 -r 192.168.1.5:5060 -m -w 4'],
  ],
  [
    service(tcp('2001:db8::1', 443), 'rr', [rs('2001:db8::10', 8443, { method: 'DR', weight: 3 })], {
      persistence: { timeoutS: 300, granularity: '64' },
    }),
    ['-A -t [2001:db8::1]:443 -s rr -p 300 -M 64', '-a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -g -w 3'],
  ],
  [
    service(
      { kind: 'fwmark', family: 'inet', fwmark: 5 },
      'sh',
      [
        rs('192.168.1.2', 0, { method: 'TUN', tunnel: { type: 'gue', port: 6080, checksum: 'csum' } }),
        rs('192.168.1.3', 0, { method: 'TUN', tunnel: { type: 'gre' } }),
        rs('192.168.1.4', 0, { method: 'TUN' }),
      ],
      { schedFlags: ['sh-fallback', 'sh-port'], onePacket: true },
    ),
    [
      '-A -f 5 -s sh -b sh-port,sh-fallback -o',
      '-a -f 5 -r 192.168.1.2:0 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum',
      '-a -f 5 -r 192.168.1.3:0 -i -w 1 --tun-type gre',
      '-a -f 5 -r 192.168.1.4:0 -i -w 1',
    ],
  ],
  [
    service({ kind: 'fwmark', family: 'inet6', fwmark: 6 }, 'wrr', [rs('2001:db8::30', 80, { weight: 5 })]),
    ['-A -f 6 -6 -s wrr', '-a -f 6 -6 -r [2001:db8::30]:80 -m -w 5'],
  ],
  [
    service(udp('10.0.0.2', 53), 'mh', [rs('192.168.1.7', 53)], {
      schedFlags: ['mh-port'],
      onePacket: true,
      persistence: { timeoutS: 60, granularity: '255.255.255.0' },
      persistenceEngine: 'sip',
    }),
    [
      '-A -u 10.0.0.2:53 -s mh -b mh-port -o -p 60 -M 255.255.255.0 --pe sip',
      '-a -u 10.0.0.2:53 -r 192.168.1.7:53 -m -w 1',
    ],
  ],
  [
    service(tcp('10.0.0.4', 0), 'wlc', [rs('192.168.1.8', 0, { method: 'DR' })], {
      persistence: { timeoutS: 360, granularity: '255.255.255.255' },
    }),
    ['-A -t 10.0.0.4:0 -s wlc -p 360', '-a -t 10.0.0.4:0 -r 192.168.1.8:0 -g -w 1'],
  ],
  [
    // An IPv4 service with an IPv6 real server: only tunnelling can mix families.
    service(tcp('10.0.0.5', 80), 'rr', [rs('2001:db8::20', 80, { method: 'TUN', weight: 2 })]),
    ['-A -t 10.0.0.5:80 -s rr', '-a -t 10.0.0.5:80 -r [2001:db8::20]:80 -i -w 2'],
  ],
];

const firstTable: LbTable = { services: FIRST_LOAD.map(([s]) => s) };

/** Replaces a service (by its key's position) in a table. */
function withService(t: LbTable, index: number, s: Service): LbTable {
  return { services: t.services.map((x, i) => (i === index ? s : x)) };
}

describe('IpvsDataPlane against the kernel (IPVS VM)', () => {
  let vm: IpvsVm;
  let shareDir: string;
  let runs = 0;

  /** The plane's side: one inner run (one plane) through every step, the views after each. */
  async function ours(
    steps: InnerStep[],
    views = TABLE_VIEWS,
    netNamespace?: string,
  ): Promise<InnerResult[]> {
    const request: InnerRequest = { steps, snapshot: views, ...(netNamespace ? { netNamespace } : {}) };
    const file = join(shareDir, `request-${runs++}.json`);
    writeFileSync(file, JSON.stringify(request));
    await vm.run(`ip netns exec ${NS} ipvsadm -C`);
    const out = await vm.run(`ip netns exec ${NS} node ${inner} < ${file}`, { timeoutMs: 300_000 });
    const parsed = JSON.parse(out) as { results: InnerResult[]; log: string[] };
    for (const [i, r] of parsed.results.entries()) assert.equal(r.error, undefined, `step ${i}: ${r.error}`);
    return parsed.results;
  }

  /** ipvsadm's side: each step's commands, then the same views. */
  async function theirs(steps: string[][], views = TABLE_VIEWS): Promise<string[][]> {
    await vm.run(`ip netns exec ${NS} ipvsadm -C`);
    const out: string[][] = [];
    for (const commands of steps) {
      // No globbing: `[2001:db8::1]:443` is a pattern to the shell.
      for (const c of commands) await vm.run(`set -f; ip netns exec ${NS} ipvsadm ${c}`);
      const snapshot: string[] = [];
      for (const v of views) snapshot.push(await vm.run(`ip netns exec ${NS} ${v}`));
      out.push(snapshot);
    }
    return out;
  }

  function sameViews(plane: InnerResult[], ipvsadm: string[][], what: string[], views = TABLE_VIEWS): void {
    assert.equal(plane.length, ipvsadm.length);
    for (const [i, r] of plane.entries()) {
      for (const [j, text] of r.snapshot.entries()) {
        assert.deepEqual(text.split('\n'), ipvsadm[i]![j]!.split('\n'), `${what[i]}: ${views[j]}`);
      }
    }
  }

  before(async () => {
    shareDir = mkdtempSync(join(tmpdir(), 'kts-vm-share-'));
    vm = await IpvsVm.boot({ shareDir });
    console.log(`# VM boot: ${vm.bootMs} ms (kernel ${vm.kernelVersion})`);
    await vm.run(
      `ip netns add ${NS} && ip -n ${NS} link set lo up && modprobe ip_vs && modprobe ip_vs_pe_sip`,
    );
  });

  after(async () => {
    await vm?.shutdown();
    if (shareDir) rmSync(shareDir, { recursive: true, force: true });
  });

  test('a first load of every kind of service: the same table as ipvsadm programs', async () => {
    const plane = await ours([
      { apply: { changes: addAll(firstTable), next: firstTable } },
      { readTable: true },
      { getService: { af: 2, protocol: 6, address: '10.0.0.1', port: 80 } },
      { getService: { af: 10, fwmark: 6 } },
      { getService: { af: 2, fwmark: 99 } },
      { zero: true },
    ]);
    // GET_SERVICE answers with the service and its counters (HASHED set by the kernel), or nothing.
    const web = plane[2]!.service!;
    assert.equal(web.schedName, 'wlc');
    assert.equal(web.flags, 0x0002);
    assert.equal(typeof web.stats64?.conns, 'string', 'counters come back (as text from the inner run)');
    assert.equal(plane[3]!.service?.schedName, 'wrr');
    assert.equal(plane[4]!.service, null);
    const ipvsadm = await theirs([FIRST_LOAD.flatMap(([, c]) => c)]);
    sameViews(plane.slice(0, 1), ipvsadm, ['first load']);
    assert.ok(plane[0]!.snapshot[0]!.split('\n').length > 20, 'the table is not empty');
    const tunnelAsRead = (t: Destination['tunnel']): NonNullable<Destination['tunnel']> =>
      !t ? { type: 'ipip' } : t.type === 'ipip' || t.checksum ? t : { ...t, checksum: 'nocsum' };
    // What the plane reads back from the kernel's dumps is the table it applied: DR and TUN servers
    // with the port the kernel keeps for them, tunnels with their defaults said (ipip, nocsum); the kernel lists
    // services and servers in its own order.
    const normalized = (t: LbTable): Map<string, Service> =>
      new Map(
        t.services.map((s) => [
          JSON.stringify(s.key),
          {
            ...s,
            destinations: s.destinations
              .map((d) => ({
                ...d,
                port: d.method === 'NAT' ? d.port : s.key.kind === 'address' ? s.key.port : 0,
                ...(d.method === 'TUN' ? { tunnel: tunnelAsRead(d.tunnel) } : {}),
              }))
              .sort((a, b) => a.address.localeCompare(b.address)),
          },
        ]),
      );
    assert.deepEqual(normalized(plane[1]!.table!), normalized(firstTable));
  });

  test('every scheduler this kernel has, with scheduler flags', async () => {
    const modules = await vm.run(`ls /lib/modules/$(uname -r)/kernel/net/netfilter/ipvs/`);
    const available = LVS_SCHEDULERS.filter((s) => new RegExp(`^ip_vs_${s}\\.ko`, 'm').test(modules));
    assert.ok(available.length >= 13, `schedulers: ${available.join(' ')}`);
    const services: Service[] = [];
    const commands: string[] = [];
    for (const [i, s] of available.entries()) {
      const key = tcp(`10.0.1.${i + 1}`, 80);
      const flags =
        s === 'sh' || s === 'mh'
          ? ([`${s}-fallback`, `${s}-port`] as Service['schedFlags'])
          : (['flag-3'] as const);
      services.push(service(key, s, [rs('192.168.2.1', 80, { weight: i + 1 })], { schedFlags: [...flags] }));
      commands.push(
        `-A -t 10.0.1.${i + 1}:80 -s ${s} -b ${flags.join(',')}`,
        `-a -t 10.0.1.${i + 1}:80 -r 192.168.2.1:80 -m -w ${i + 1}`,
      );
    }
    const t: LbTable = { services };
    sameViews(await ours([{ apply: { changes: addAll(t), next: t } }]), await theirs([commands]), [
      'schedulers',
    ]);
    console.log(`# schedulers compared: ${available.join(' ')}`);
  });

  test('edits and removals, step by step, as health changes them', async () => {
    const t0 = firstTable;
    const web = t0.services[0]!;
    const sticky = t0.services[3]!;
    const marked = t0.services[4]!;
    const dns = t0.services[6]!;
    const steps: Array<[string, LbChange[], LbTable, string[]]> = [];
    let t = t0;
    const step = (what: string, changes: LbChange[], next: LbTable, commands: string[]): void => {
      steps.push([what, changes, next, commands]);
      t = next;
    };
    step(
      'first load',
      addAll(t0),
      t0,
      FIRST_LOAD.flatMap(([, c]) => c),
    );

    const webRr = { ...web, scheduler: 'rr' as const };
    step('scheduler changed', [{ op: 'edit-service', service: webRr }], withService(t, 0, webRr), [
      '-E -t 10.0.0.1:80 -s rr',
    ]);

    const inhibited = { ...web.destinations[0]!, weight: 0 };
    const webInhibited = { ...webRr, destinations: [inhibited, web.destinations[1]!] };
    step(
      'inhibit_on_failure: weight 0',
      [{ op: 'edit-destination', service: web.key, destination: inhibited }],
      withService(t, 0, webInhibited),
      ['-e -t 10.0.0.1:80 -r 192.168.1.2:8080 -m -w 0 -x 100 -y 10'],
    );

    const webRemoved = { ...webInhibited, destinations: [inhibited] };
    step(
      'a failed server removed',
      [{ op: 'delete-destination', service: web.key, destination: web.destinations[1]! }],
      withService(t, 0, webRemoved),
      ['-d -t 10.0.0.1:80 -r 192.168.1.3:8080'],
    );

    const added = rs('192.168.1.9', 8080, { weight: 7, upperThreshold: 5 });
    step(
      'a server added',
      [{ op: 'add-destination', service: web.key, destination: added }],
      withService(t, 0, { ...webRemoved, destinations: [inhibited, added] }),
      ['-a -t 10.0.0.1:80 -r 192.168.1.9:8080 -m -w 7 -x 5'],
    );

    const sticky2 = { ...sticky, persistence: { timeoutS: 600, granularity: '48' } };
    step('persistence changed', [{ op: 'edit-service', service: sticky2 }], withService(t, 3, sticky2), [
      '-E -t [2001:db8::1]:443 -s rr -p 600 -M 48',
    ]);

    const { persistence: _p, persistenceEngine: _e, ...dnsPlain } = dns;
    const dns2: Service = { ...dnsPlain, schedFlags: ['mh-fallback'], onePacket: false };
    step(
      'persistence, engine and ops dropped',
      [{ op: 'edit-service', service: dns2 }],
      withService(t, 6, dns2),
      ['-E -u 10.0.0.2:53 -s mh -b mh-fallback'],
    );

    const gue2 = {
      ...marked.destinations[0]!,
      weight: 4,
      tunnel: { type: 'gue' as const, port: 6081, checksum: 'remcsum' as const },
    };
    step(
      'tunnel options changed',
      [{ op: 'edit-destination', service: marked.key, destination: gue2 }],
      withService(t, 4, { ...marked, destinations: [gue2, ...marked.destinations.slice(1)] }),
      ['-e -f 5 -r 192.168.1.2:0 -i -w 4 --tun-type gue --tun-port 6081 --tun-remcsum'],
    );

    const markedNow = t.services[4]!;
    step(
      'a firewall-mark service removed with its servers',
      [
        ...markedNow.destinations.map((d) => ({
          op: 'delete-destination' as const,
          service: marked.key,
          destination: d,
        })),
        { op: 'delete-service', key: marked.key },
      ],
      { services: t.services.filter((_, i) => i !== 4) },
      ['-D -f 5'],
    );

    const plane = await ours(steps.map(([, changes, next]) => ({ apply: { changes, next } })));
    const ipvsadm = await theirs(steps.map(([, , , commands]) => commands));
    sameViews(
      plane,
      ipvsadm,
      steps.map(([what]) => what),
    );
    console.log(`# steps applied (ms): ${plane.map((r) => r.ms.toFixed(1)).join(' ')}`);
  });

  test('lvs_timeouts: set, unset ones kept, restored', async () => {
    const views = ['ipvsadm -Ln --timeout'];
    const plane = await ours([{ timeouts: { tcp: 1000, udp: 30 } }, { restoreTimeouts: true }], views);
    const ipvsadm = await theirs([['--set 1000 0 30'], ['--set 900 120 300']], views);
    assert.deepEqual(
      plane.map((r) => r.snapshot[0]),
      ipvsadm.map((s) => s[0]),
    );
    assert.equal(plane[0]!.snapshot[0]!.trim(), 'Timeout (tcp tcpfin udp): 1000 120 30');
  });

  test('lvs_sync_daemon: master, then backup, then stopped', async () => {
    const views = ['ipvsadm -Ln --daemon'];
    const config = { interface: 'lo', syncId: 7, maxlen: 1472, port: 8848, ttl: 2, group: '224.0.0.81' };
    const plane = await ours(
      [
        { syncDaemon: { role: 'master', config } },
        { syncDaemon: { role: 'backup', config } },
        { stopSyncDaemon: { role: 'backup', syncId: 7 } },
      ],
      views,
    );
    const options =
      '--mcast-interface lo --syncid 7 --sync-maxlen 1472 --mcast-group 224.0.0.81 --mcast-port 8848 --mcast-ttl 2';
    const ipvsadm = await theirs(
      [
        [`--start-daemon master ${options}`],
        ['--stop-daemon master', `--start-daemon backup ${options}`],
        ['--stop-daemon backup'],
      ],
      views,
    );
    assert.deepEqual(
      plane.map((r) => r.snapshot[0]),
      ipvsadm.map((s) => s[0]),
    );
    assert.match(
      plane[0]!.snapshot[0]!,
      /^master sync daemon \(mcast=lo, syncid=7, maxlen=1472, group=224\.0\.0\.81, port=8848, ttl=2\)/,
    );
  });

  test('net_namespace_ipvs: the plane programs and reads the named namespace, not its own', async () => {
    const other = `${NS}-other`;
    await vm.run(`ip netns add ${other} && ip -n ${other} link set lo up`);
    try {
      const views = ['ipvsadm-save -n', `ip netns exec ${other} ipvsadm-save -n`];
      const t: LbTable = { services: [firstTable.services[0]!] };
      const plane = await ours(
        [{ apply: { changes: addAll(t), next: t } }, { readTable: true }, { flush: true }],
        views,
        `/run/netns/${other}`,
      );
      const [here, there] = plane[0]!.snapshot;
      assert.equal(here, '', 'nothing in the namespace the plane runs in');
      const ipvsadm = await theirs([FIRST_LOAD[0]![1]], ['ipvsadm-save -n']);
      assert.equal(there, ipvsadm[0]![0], 'the service in the named one, as ipvsadm programs it');
      assert.equal(plane[1]!.table?.services.length, 1, 'read back from the named namespace');
      assert.deepEqual(plane[2]!.snapshot, ['', ''], 'flushed there');
    } finally {
      await vm.run(`ip netns del ${other}`);
    }
  });

  test('a first load of 100 services x 10 servers, against ipvsadm-restore', async () => {
    const services: Service[] = [];
    const lines: string[] = [];
    for (let i = 0; i < 100; i++) {
      const vip = `10.1.${i >> 8}.${i & 255}`;
      const dests: Destination[] = [];
      lines.push(`-A -t ${vip}:80 -s wrr`);
      for (let j = 0; j < 10; j++) {
        dests.push(rs(`192.168.3.${j + 1}`, 80, { weight: j + 1 }));
        lines.push(`-a -t ${vip}:80 -r 192.168.3.${j + 1}:80 -m -w ${j + 1}`);
      }
      services.push(service(tcp(vip, 80), 'wrr', dests));
    }
    const t: LbTable = { services };
    const views = ['ipvsadm-save -n'];
    const [plane] = await ours([{ apply: { changes: addAll(t), next: t } }], views);
    writeFileSync(join(shareDir, 'restore.txt'), lines.join('\n') + '\n');
    await vm.run(`ip netns exec ${NS} ipvsadm -C`);
    const started = Date.now();
    await vm.run(`ip netns exec ${NS} ipvsadm-restore < ${shareDir}/restore.txt`);
    const restoreMs = Date.now() - started;
    const saved = await vm.run(`ip netns exec ${NS} ipvsadm-save -n`);
    assert.deepEqual(plane!.snapshot[0]!.split('\n'), saved.split('\n'));
    console.log(
      `# 1,100 commands in the VM (TCG): plane ${plane!.ms.toFixed(0)} ms, ipvsadm-restore ${restoreMs} ms (with its start-up)`,
    );
  });
});
