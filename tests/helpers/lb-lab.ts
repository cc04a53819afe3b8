// A classic LVS-NAT site in namespaces, for the load balancer's end-to-end test and benches:
//
//   client 10.1.0.2 (+ .21-.28), fd00:1::2          client LAN 10.1.0.0/24, fd00:1::/64
//     │
//   router eth1 10.1.0.1, fd00:1::1  eth0 10.2.0.1, fd00:2::1
//     │                                              front LAN 10.2.0.0/24, fd00:2::/64
//   lb1 eth0 10.2.0.2   lb2 eth0 10.2.0.3            VIPs 10.2.0.100, fd00:2::100 (VRRP, VI_FRONT)
//   lb1 eth1 10.3.0.2   lb2 eth1 10.3.0.3            gateway VIPs 10.3.0.254, fd00:3::254 (VI_BACK)
//     │                                              back LAN 10.3.0.0/24, fd00:3::/64
//   rs1 .11  rs2 .12  rs3 .13  rs4 .14 (the sorry server); default gateway: the back VIP
//
// The balancers run our full daemon (VRRP and checkers) with the configuration the test gives; VI_FRONT and
// VI_BACK are one sync group, so the gateway VIP follows the service VIP. Real servers run nginx (HTTP on
// port 80, answering their own name) and dnsmasq (port 53, answering who.lb.test with their own address),
// both started here with explicit configs in the lab's directory. The router also routes the back LAN
// through the VIP, so that a bench can reach a real server straight, by the same hops as through the VIP.
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from '../netns/nft-lab.js';
import { netnsExec, run, setSysctl, waitForLinkLocal } from './netns.js';
import {
  globalDefs,
  instanceConfig,
  makeObserver,
  OURS_LAUNCHER,
  oursMissingReason,
  sleep,
  type VrrpDaemon,
  VrrpLab,
  waitUntil,
} from './vrrp-lab.js';

export const VIP4 = '10.2.0.100';
export const VIP6 = 'fd00:2::100';
export const GATEWAY4 = '10.3.0.254';
export const GATEWAY6 = 'fd00:3::254';
export const CLIENT4 = '10.1.0.2';
export const CLIENT6 = 'fd00:1::2';
/** More client addresses, for schedulers and persistence keyed by the client. */
export const CLIENTS4 = Array.from({ length: 8 }, (_, i) => `10.1.0.${21 + i}`);
export const DNS_NAME = 'who.lb.test';

export interface RealServer {
  name: string;
  v4: string;
  v6: string;
}
export const REAL_SERVERS: RealServer[] = [1, 2, 3].map((n) => ({
  name: `rs${n}`,
  v4: `10.3.0.${10 + n}`,
  v6: `fd00:3::${10 + n}`,
}));
export const SORRY_SERVER: RealServer = { name: 'rs4', v4: '10.3.0.14', v6: 'fd00:3::14' };

const CLIENT_AGENT = fileURLToPath(new URL('../netns/lb-client.agent.js', import.meta.url));

export interface BalancerSpec {
  /** 1 or 2: lb1 (10.2.0.2) or lb2 (10.2.0.3). */
  index: 1 | 2;
  priority: number;
  /** Seconds (VRRPv3: hundredths allowed). */
  advertInt: number;
  /** virtual_server blocks, verbatim. */
  virtualServers: string;
}

/** The whole configuration of a balancer: global_defs, the sync group of VI_FRONT and VI_BACK, `spec`'s virtual servers. */
export function balancerConfig(spec: BalancerSpec): string {
  const common = { priority: spec.priority, advertInt: spec.advertInt, version: 3 as const };
  return [
    globalDefs(`lb${spec.index}`, ['lvs_data_plane nftables']),
    'vrrp_sync_group LB {\n  group {\n    VI_FRONT\n    VI_BACK\n  }\n}\n',
    instanceConfig({
      ...common,
      name: 'VI_FRONT',
      vrid: 51,
      interface: 'eth0',
      vips: [`${VIP4}/24`],
      extra: ['virtual_ipaddress_excluded {', `  ${VIP6}/64`, '}'],
    }),
    instanceConfig({
      ...common,
      name: 'VI_BACK',
      vrid: 52,
      interface: 'eth1',
      vips: [`${GATEWAY4}/24`],
      extra: ['virtual_ipaddress_excluded {', `  ${GATEWAY6}/64`, '}'],
    }),
    spec.virtualServers,
  ].join('\n');
}

/** The master-down interval of a VRRPv3 backup (RFC 5798 6.1): 3 x advert + skew. */
export function masterDownIntervalMs(advertInt: number, priority: number): number {
  const advertCs = Math.round(advertInt * 100);
  const skewCs = Math.floor(((256 - priority) * advertCs) / 256);
  return (3 * advertCs + skewCs) * 10;
}

/** A slot of a service's slot map: the real server new connections of that slot go to. */
export interface Slot {
  slot: number;
  address: string;
  port: number;
}

interface ServerProcesses {
  nginx?: ChildProcess;
  dnsmasq?: ChildProcess;
}

export class LbLab {
  readonly vrrp: VrrpLab;
  readonly clientNs: string;
  readonly routerNs: string;
  /** lb1's and lb2's namespaces (index 0 and 1). */
  readonly balancerNs: string[] = [];
  private readonly serverNs = new Map<string, string>();
  private readonly processes = new Map<string, ServerProcesses>();
  /** Bridge-side ports of each balancer's links: cutting them is pulling its cables. */
  private readonly cables = new Map<number, { bridgeNs: string; port: string }[]>();
  readonly client: Agent;

  private constructor(vrrp: VrrpLab, balancers: 1 | 2) {
    this.vrrp = vrrp;
    const net = vrrp.net;
    const bridge = (n: number): string => `${net.prefix}-br${n}`;
    const lbNames = balancers === 2 ? ['lb1', 'lb2'] : ['lb1'];
    // lan() numbers its bridges br0, br1, br2 in call order.
    const [cl] = vrrp.lan(['cl']);
    const [rt, ...lbs] = vrrp.lan(['rt', ...lbNames]);
    const servers = vrrp.lan([...REAL_SERVERS, SORRY_SERVER].map((s) => s.name));
    if (!cl || !rt) throw new Error('lab LANs not created');
    this.clientNs = cl.ns;
    this.routerNs = rt.ns;

    // The router's second leg on the client LAN, the balancers' second legs on the back LAN.
    attach(rt.ns, 'eth1', bridge(0), 'rt');
    lbs.forEach((lb, i) => {
      this.balancerNs.push(lb.ns);
      attach(lb.ns, 'eth1', bridge(2), `lb${i + 1}`);
      this.cables.set(i + 1, [
        { bridgeNs: bridge(1), port: `port${i + 1}` },
        { bridgeNs: bridge(2), port: `lb${i + 1}` },
      ]);
    });

    const addr = (ns: string, ifname: string, ...cidrs: string[]): void => {
      for (const cidr of cidrs) vrrp.addAddress({ ns, ifname }, cidr);
    };
    addr(cl.ns, 'eth0', `${CLIENT4}/24`, `${CLIENT6}/64`, ...CLIENTS4.map((a) => `${a}/24`));
    run(['ip', '-n', cl.ns, 'route', 'add', 'default', 'via', '10.1.0.1']);
    run(['ip', '-n', cl.ns, '-6', 'route', 'add', 'default', 'via', 'fd00:1::1']);

    addr(rt.ns, 'eth1', '10.1.0.1/24', 'fd00:1::1/64');
    addr(rt.ns, 'eth0', '10.2.0.1/24', 'fd00:2::1/64');
    forwarding(rt.ns);
    makeObserver(rt);
    run(['ip', '-n', rt.ns, 'route', 'add', '10.3.0.0/24', 'via', VIP4]);
    run(['ip', '-n', rt.ns, '-6', 'route', 'add', 'fd00:3::/64', 'via', VIP6]);

    lbs.forEach((lb, i) => {
      addr(lb.ns, 'eth0', `10.2.0.${2 + i}/24`, `fd00:2::${2 + i}/64`);
      addr(lb.ns, 'eth1', `10.3.0.${2 + i}/24`, `fd00:3::${2 + i}/64`);
      forwarding(lb.ns);
      run(['ip', '-n', lb.ns, 'route', 'add', 'default', 'via', '10.2.0.1']);
      run(['ip', '-n', lb.ns, '-6', 'route', 'add', 'default', 'via', 'fd00:2::1']);
    });

    [...REAL_SERVERS, SORRY_SERVER].forEach((s, i) => {
      const member = servers[i];
      if (!member) throw new Error(`no namespace for ${s.name}`);
      this.serverNs.set(s.name, member.ns);
      addr(member.ns, 'eth0', `${s.v4}/24`, `${s.v6}/64`);
      makeObserver(member);
      run(['ip', '-n', member.ns, 'route', 'add', 'default', 'via', GATEWAY4]);
      run(['ip', '-n', member.ns, '-6', 'route', 'add', 'default', 'via', GATEWAY6]);
    });

    this.client = new Agent(vrrp.net.spawn(cl.ns, [process.execPath, CLIENT_AGENT]));
  }

  /** Builds the namespaces and starts every real server's nginx and dnsmasq (the sorry server: nginx only). */
  static async start(tag: string, options: { balancers?: 1 | 2 } = {}): Promise<LbLab> {
    const missing = oursMissingReason();
    if (missing) throw new Error(missing);
    const vrrp = new VrrpLab(tag);
    try {
      const lab = new LbLab(vrrp, options.balancers ?? 2);
      for (const s of REAL_SERVERS) {
        lab.startNginx(s.name);
        lab.startDnsmasq(s.name);
      }
      lab.startNginx(SORRY_SERVER.name);
      for (const s of [...REAL_SERVERS, SORRY_SERVER]) await lab.waitListening(s.name, 'tcp', 80);
      for (const s of REAL_SERVERS) await lab.waitListening(s.name, 'udp', 53);
      return lab;
    } catch (error) {
      await vrrp.cleanup();
      throw error;
    }
  }

  nsOf(server: string): string {
    const ns = this.serverNs.get(server);
    if (!ns) throw new Error(`no real server ${server}`);
    return ns;
  }

  /** Starts our full daemon (VRRP and checkers: no -P / -C) on balancer `spec.index`. */
  startBalancer(spec: BalancerSpec): VrrpDaemon {
    const ns = this.balancerNs[spec.index - 1];
    if (!ns) throw new Error(`no balancer lb${spec.index}`);
    const label = `lb${spec.index}`;
    const files = this.vrrp.daemonFiles(label);
    writeFileSync(files.config, balancerConfig(spec));
    return this.vrrp.startOther(
      label,
      ns,
      [process.execPath, OURS_LAUNCHER, '-n', '-l', '-D', ...this.vrrp.fileArgs(files)],
      { impl: 'ours', files },
    );
  }

  /** nginx answering "NAME\n" on port 80 (IPv4 and IPv6), with its own prefix, pid file and temp dirs. */
  startNginx(server: string): void {
    const dir = this.serverDir(server, 'nginx');
    rmSync(join(dir, 'nginx.pid'), { force: true });
    const temp = (what: string): string => `${what}_temp_path ${dir}/${what};`;
    writeFileSync(
      join(dir, 'nginx.conf'),
      `user root; worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  server {
    listen 80 backlog=4096;
    listen [::]:80 backlog=4096;
    default_type text/plain;
    location / { return 200 "${server}\\n"; }
  }
}
`,
    );
    const child = this.vrrp.spawnOther(this.nsOf(server), [
      'nginx',
      '-e',
      `${dir}/error.log`,
      '-p',
      dir,
      '-c',
      join(dir, 'nginx.conf'),
    ]);
    this.processesOf(server).nginx = child;
  }

  /** dnsmasq answering who.lb.test with the server's own addresses, on port 53 of those addresses. */
  startDnsmasq(server: string): void {
    const s = [...REAL_SERVERS, SORRY_SERVER].find((r) => r.name === server);
    if (!s) throw new Error(`no real server ${server}`);
    const dir = this.serverDir(server, 'dnsmasq');
    const child = this.vrrp.spawnOther(this.nsOf(server), [
      'dnsmasq',
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      `--listen-address=${s.v4}`,
      `--listen-address=${s.v6}`,
      '--port=53',
      `--address=/${DNS_NAME}/${s.v4}`,
      `--address=/${DNS_NAME}/${s.v6}`,
      `--pid-file=${dir}/dnsmasq.pid`,
      `--log-facility=${dir}/dnsmasq.log`,
      '--user=root',
      '--group=root',
    ]);
    this.processesOf(server).dnsmasq = child;
  }

  /** Stops a real server's nginx as an operator would (SIGTERM: nginx's fast shutdown); resolves once it has exited. */
  async stopNginx(server: string): Promise<void> {
    const child = this.processesOf(server).nginx;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null && child.signalCode === null) {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      await exited;
    }
    // its worker too: the port must be closed when this returns
    await waitUntil(() => !this.listening(server, 'tcp', 80), `${server}'s port 80 to close`, 5000);
  }

  /** Whether something in `server`'s namespace listens on `port`. */
  listening(server: string, proto: 'tcp' | 'udp', port: number): boolean {
    const flag = proto === 'tcp' ? '-Hltn' : '-Hlun';
    return netnsExec(this.nsOf(server), ['ss', flag, `sport = :${port}`]).stdout.trim() !== '';
  }

  waitListening(server: string, proto: 'tcp' | 'udp', port: number): Promise<boolean> {
    return waitUntil(() => this.listening(server, proto, port), `${server} listening on ${proto}/${port}`);
  }

  /**
   * The slots of a service in balancer `index`'s nftables table (`serviceName` as the plane names it, e.g.
   * tcp4_10.2.0.100_80); [] when the service or the table is not there.
   */
  slots(index: 1 | 2, serviceName: string): Slot[] {
    const ns = this.balancerNs[index - 1] as string;
    const r = netnsExec(ns, ['nft', '-j', 'list', 'table', 'inet', 'keepalived_ts']);
    if (r.status !== 0) return [];
    // The plane's layouts (src/lb/nftables/layout.ts): a map slot : address . port (NAT without
    // persistence), a verdict map slot : goto <service>.to_<address>_<port> (rr / wrr with rules per
    // server), or a set of slot . address . port (hash schedulers with rules per server).
    type Elem = unknown;
    const objects = (JSON.parse(r.stdout) as { nftables: Record<string, { name?: string; elem?: Elem[] }>[] })
      .nftables;
    const named = objects.flatMap((o) => [o.map, o.set]).find((x) => x?.name === `${serviceName}.slots`);
    const out: Slot[] = [];
    for (const e of named?.elem ?? []) {
      if (Array.isArray(e)) {
        const [slot, v] = e as [number, { concat?: [string, number]; goto?: { target: string } }];
        if (v.concat) out.push({ slot, address: v.concat[0], port: v.concat[1] });
        else if (v.goto) {
          const tag = v.goto.target.slice(`${serviceName}.to_`.length);
          const cut = tag.lastIndexOf('_');
          out.push({
            slot,
            address: tag.slice(0, cut).replaceAll('-', ':'),
            port: Number(tag.slice(cut + 1)),
          });
        }
      } else {
        const c = (e as { concat?: [number, string, number] }).concat;
        if (c) out.push({ slot: c[0], address: c[1], port: c[2] });
      }
    }
    return out.sort((a, b) => a.slot - b.slot);
  }

  /** `nft list table inet keepalived_ts` in balancer `index` ('' when there is none). */
  nftTable(index: 1 | 2): string {
    return netnsExec(this.balancerNs[index - 1] as string, ['nft', 'list', 'table', 'inet', 'keepalived_ts'])
      .stdout;
  }

  /** Pulls (or plugs back) every cable of balancer `index`: its ports on the front and back bridges. */
  setCables(index: 1 | 2, up: boolean): void {
    for (const c of this.cables.get(index) ?? [])
      run(['ip', '-n', c.bridgeNs, 'link', 'set', c.port, up ? 'up' : 'down']);
  }

  async cleanup(): Promise<void> {
    await this.vrrp.cleanup();
  }

  private processesOf(server: string): ServerProcesses {
    let p = this.processes.get(server);
    if (!p) this.processes.set(server, (p = {}));
    return p;
  }

  private serverDir(server: string, what: string): string {
    const dir = join(this.vrrp.dir, server, what);
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    return dir;
  }
}

/** A veth `ifname` in `ns` whose peer `port` is enslaved to the bridge of `bridgeNs`; both up. */
function attach(ns: string, ifname: string, bridgeNs: string, port: string): void {
  run(['ip', '-n', ns, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', port, 'netns', bridgeNs]);
  run(['ip', '-n', bridgeNs, 'link', 'set', port, 'master', 'br0', 'up']);
  run(['ip', '-n', ns, 'link', 'set', ifname, 'up']);
  waitForLinkLocal({ ns, ifname });
}

function forwarding(ns: string): void {
  setSysctl(ns, 'net.ipv4.ip_forward', 1);
  setSysctl(ns, 'net.ipv6.conf.all.forwarding', 1);
}
