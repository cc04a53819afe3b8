// A load-balancing lab in namespaces for the nftables plane's kernel test and benches:
//
//   client (10.10.0.2, fd00:10::2, + 10.10.0.21-28)  ── front LAN ──  lb eth0 (10.10.0.1, fd00:10::1,
//                                                                       VIPs 10.10.0.100, fd00:10::100)
//   rs1..rs3 (10.20.0.11-13, fd00:20::11-13;           ── back LAN ──   lb eth1 (10.20.0.1, fd00:20::1)
//             default route via lb; VIPs on lo for DR)
//
// The client reaches the servers only through the load balancer, which routes between the two LANs; the
// plane agent runs in lb's namespace. Every real server answers TCP with its name (nft-traffic.agent.ts).
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NetnsLab, netnsExec, netnsRun, run, setSysctl, waitForLine } from '../helpers/netns.js';
import type { Destination, LbChange, LbTable, Service, ServiceKey } from '../../src/lb/table/types.js';

export const VIP4 = '10.10.0.100';
export const VIP6 = 'fd00:10::100';
export const CLIENT4 = '10.10.0.2';
export const EXTRA_CLIENTS = Array.from({ length: 8 }, (_, i) => `10.10.0.${21 + i}`);
export const SERVERS = [1, 2, 3].map((n) => ({
  name: `rs${n}`,
  v4: `10.20.0.${10 + n}`,
  v6: `fd00:20::${10 + n}`,
}));
/** Ports every server listens on: NAT targets 8080 (TCP) and 5353 (UDP); DR services use 9080 on the VIP. */
export const NAT_PORT = 8080;
export const UDP_PORT = 5353;
export const DR_PORT = 9080;

const agentScript = (name: string): string => fileURLToPath(new URL(`./${name}.js`, import.meta.url));

/** Request/answer over JSON lines with an agent process. */
export class Agent {
  private nextId = 1;
  constructor(readonly child: ChildProcess) {}

  async request<T = unknown>(cmd: Record<string, unknown>, timeoutMs = 60_000): Promise<T> {
    const id = this.nextId++;
    this.child.stdin?.write(`${JSON.stringify({ id, ...cmd })}\n`);
    const line = await waitForLine(
      this.child,
      (l) => l.startsWith('{') && (JSON.parse(l) as { id?: number }).id === id,
      timeoutMs,
    );
    const answer = JSON.parse(line) as { ok: boolean; result?: T; message?: string };
    if (!answer.ok) throw new Error(answer.message ?? 'agent error');
    return answer.result as T;
  }

  send(cmd: Record<string, unknown>): void {
    this.child.stdin?.write(`${JSON.stringify({ id: 0, ...cmd })}\n`);
  }
}

export interface NftLab {
  lab: NetnsLab;
  lb: string;
  client: Agent;
  clientNs: string;
  serverNs: string[];
  /** Starts a plane agent in lb (one at a time; the previous one must have exited). */
  startPlane(options?: Record<string, unknown>): Agent;
  /** `nft` inside lb. */
  nft(args: string[]): string;
}

export async function startNftLab(tag: string): Promise<NftLab> {
  const lab = new NetnsLab(tag);
  try {
    const [cl, lbFront] = lab.lan(['cl', 'lb']);
    if (!cl || !lbFront) throw new Error('front LAN not created');
    const back = lab.lan(['rs1', 'rs2', 'rs3']);
    const lb = lbFront.ns;
    // lb's second leg on the back LAN's bridge (the bridge namespace of the second lan() call).
    const backBridge = `${lab.prefix}-br1`;
    run([
      'ip',
      '-n',
      lb,
      'link',
      'add',
      'eth1',
      'type',
      'veth',
      'peer',
      'name',
      'portlb',
      'netns',
      backBridge,
    ]);
    run(['ip', '-n', backBridge, 'link', 'set', 'portlb', 'master', 'br0', 'up']);
    run(['ip', '-n', lb, 'link', 'set', 'eth1', 'up']);

    for (const cidr of ['10.10.0.1/24', 'fd00:10::1/64', `${VIP4}/32`, `${VIP6}/128`])
      lab.addAddress({ ns: lb, ifname: 'eth0' }, cidr);
    for (const cidr of ['10.20.0.1/24', 'fd00:20::1/64']) lab.addAddress({ ns: lb, ifname: 'eth1' }, cidr);
    setSysctl(lb, 'net.ipv4.ip_forward', 1);
    setSysctl(lb, 'net.ipv6.conf.all.forwarding', 1);
    // DR replies come back through lb with the VIP (a local address of lb) as their source.
    for (const dev of ['all', 'eth1']) {
      setSysctl(lb, `net.ipv4.conf.${dev}.accept_local`, 1);
      setSysctl(lb, `net.ipv4.conf.${dev}.rp_filter`, 0);
    }

    for (const cidr of ['10.10.0.2/24', 'fd00:10::2/64', ...EXTRA_CLIENTS.map((a) => `${a}/24`)])
      lab.addAddress(cl, cidr);
    run(['ip', '-n', cl.ns, 'route', 'add', 'default', 'via', '10.10.0.1']);
    run(['ip', '-n', cl.ns, '-6', 'route', 'add', 'default', 'via', 'fd00:10::1']);
    setSysctl(cl.ns, 'net.ipv4.ip_local_port_range', '1024 65000');

    const serverNs: string[] = [];
    for (const [i, member] of back.entries()) {
      const s = SERVERS[i] as (typeof SERVERS)[number];
      lab.addAddress(member, `${s.v4}/24`);
      lab.addAddress(member, `${s.v6}/64`);
      run(['ip', '-n', member.ns, 'route', 'add', 'default', 'via', '10.20.0.1']);
      run(['ip', '-n', member.ns, '-6', 'route', 'add', 'default', 'via', 'fd00:20::1']);
      // DR: the VIPs are local on lo, never announced.
      run(['ip', '-n', member.ns, 'addr', 'add', `${VIP4}/32`, 'dev', 'lo']);
      run(['ip', '-n', member.ns, 'addr', 'add', `${VIP6}/128`, 'dev', 'lo', 'nodad']);
      setSysctl(member.ns, 'net.ipv4.conf.all.arp_ignore', 1);
      setSysctl(member.ns, 'net.ipv4.conf.all.arp_announce', 2);
      const server = lab.spawn(
        member.ns,
        [process.execPath, agentScript('nft-traffic.agent'), s.name, `${NAT_PORT},${DR_PORT}`, `${UDP_PORT}`],
        {
          ...process.env,
          KTS_NFT_AGENT: 'server',
        },
      );
      await waitForLine(server, (l) => l === 'ready');
      serverNs.push(member.ns);
    }

    const client = new Agent(
      lab.spawn(cl.ns, [process.execPath, agentScript('nft-traffic.agent')], {
        ...process.env,
        KTS_NFT_AGENT: 'client',
      }),
    );
    return {
      lab,
      lb,
      client,
      clientNs: cl.ns,
      serverNs,
      startPlane: (options = {}) =>
        new Agent(
          lab.spawn(lb, [process.execPath, agentScript('nft-plane.agent')], {
            ...process.env,
            KTS_NFT_AGENT: 'plane',
            KTS_NFT_OPTIONS: JSON.stringify(options),
          }),
        ),
      nft: (args) => netnsRun(lb, ['nft', ...args]),
    };
  } catch (error) {
    lab.cleanup();
    throw error;
  }
}

/** `nft` in a namespace, returning status and output (for "is it there?" questions). */
export function nftIn(ns: string, args: string[]): { status: number | null; stdout: string } {
  const r = netnsExec(ns, ['nft', ...args]);
  return { status: r.status, stdout: r.stdout };
}

// ---- building tables and the changes between them (what lb/table does, kept naive here) ----

export function destination(address: string, port: number, extra: Partial<Destination> = {}): Destination {
  return {
    family: address.includes(':') ? 'inet6' : 'inet',
    address,
    port,
    method: 'NAT',
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
    ...extra,
  };
}

export function service(key: ServiceKey, destinations: Destination[], extra: Partial<Service> = {}): Service {
  return { key, scheduler: 'rr', schedFlags: [], onePacket: false, destinations, ...extra };
}

export function tcp(address: string, port: number): ServiceKey {
  return {
    kind: 'address',
    family: address.includes(':') ? 'inet6' : 'inet',
    protocol: 'TCP',
    address,
    port,
  };
}

const keyText = (k: ServiceKey): string => JSON.stringify(k);
const destText = (d: Destination): string => `${d.address}|${d.port}`;

/** The changes from `prev` to `next`, service by service and destination by destination. */
export function tableChanges(prev: LbTable, next: LbTable): LbChange[] {
  const changes: LbChange[] = [];
  const before = new Map(prev.services.map((s) => [keyText(s.key), s]));
  const after = new Map(next.services.map((s) => [keyText(s.key), s]));
  for (const [k, s] of before) if (!after.has(k)) changes.push({ op: 'delete-service', key: s.key });
  for (const [k, s] of after) {
    const old = before.get(k);
    const { destinations, ...attributes } = s;
    if (!old) {
      changes.push({ op: 'add-service', service: attributes });
      for (const d of destinations) changes.push({ op: 'add-destination', service: s.key, destination: d });
      continue;
    }
    const { destinations: oldDestinations, ...oldAttributes } = old;
    if (JSON.stringify(oldAttributes) !== JSON.stringify(attributes))
      changes.push({ op: 'edit-service', service: attributes });
    const was = new Map(oldDestinations.map((d) => [destText(d), d]));
    const now = new Map(destinations.map((d) => [destText(d), d]));
    for (const [dk, d] of was)
      if (!now.has(dk)) changes.push({ op: 'delete-destination', service: s.key, destination: d });
    for (const [dk, d] of now) {
      const o = was.get(dk);
      if (!o) changes.push({ op: 'add-destination', service: s.key, destination: d });
      else if (JSON.stringify(o) !== JSON.stringify(d))
        changes.push({ op: 'edit-destination', service: s.key, destination: d });
    }
  }
  return changes;
}
