// What the SNMP kernel tests share: Debian's snmpd (master agentx on a socket in the lab's directory,
// listening on 127.0.0.1 of the test namespace only) and snmptrapd started inside a namespace, walks of
// keepalived's MIBs as OID -> value maps, the notifications snmptrapd logged, the VRRP config both
// agents serve, and the objects that must differ between keepalived 2.2.7 and us (with the reasons).
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { netnsExec } from '../helpers/netns.js';
import { waitUntil, type VrrpLab } from '../helpers/vrrp-lab.js';

export const KEEPALIVED = '.1.3.6.1.4.1.9586.100.5';
export const VRRP_MIB = '.1.3.6.1.2.1.68';
export const VRRPV3_MIB = '.1.3.6.1.2.1.207';
export const SYS_OR = '.1.3.6.1.2.1.1.9.1';

/** Objects whose values must differ, and why. */
export const MUST_DIFFER: Array<{ oid: RegExp; why: string }> = [
  {
    oid: /^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.1\.1\.0$/,
    why: 'version: "Keepalived v2.2.7 (01/16,2022)" vs ours',
  },
  {
    oid: /^\.1\.3\.6\.1\.2\.1\.68\.1\.3\.1\.13\./,
    why: 'vrrpOperVirtualRouterUpTime: centiseconds from the agent start to the instance start, timing',
  },
  {
    oid: /^\.1\.3\.6\.1\.2\.1\.207\.1\.1\.1\.1\.12\./,
    why: 'vrrpv3OperationsVirtualRouterUpTime: centiseconds since the instance started, timing',
  },
];

/**
 * keepalived 2.2.7 defects we do not reproduce; the test checks keepalived still shows exactly these.
 * - vrrpAddressIsAdvertised: vrrp_header_ar_table sets its `adv` flag when it enters the first instance
 *   only, so the VIPs of every later instance read false(2); ours say true(1) for every VIP.
 * - VRRP-MIB vrrpOperTable and vrrpRouterStatsTable: snmp_rfcv2_header_list_table's "ifindex < target"
 *   test lacks parentheses and skips every instance once a row index is given, so a walk shows only the
 *   first row (and a Get finds none); ours shows every row.
 */
export const IS_ADVERTISED = /^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.2\.6\.1\.11\.(\d+)\.\d+$/;
export const RFC2787_ROW = /^\.1\.3\.6\.1\.2\.1\.68\.(1\.3\.1|2\.4\.1)\.\d+\.(\d+\.\d+)$/;

/** The VRRP config both agents run (snmp_socket names the lab's snmpd). */
export function config(socket: string, trackFile: string): string {
  return `global_defs {
  router_id lab1
  notification_email {
    ops@example.com
    noc@example.com
  }
  notification_email_from ka@example.com
  smtp_server 10.7.0.9 2525
  smtp_connect_timeout 20
  vrrp_garp_master_delay 1
  enable_snmp_vrrp
  enable_snmp_rfcv2
  enable_snmp_rfcv3
  enable_traps
  snmp_socket unix:${socket}
  script_user root
  enable_script_security
}
static_ipaddress {
  10.7.1.1/24 dev eth0
}
static_routes {
  10.8.0.0/16 via 10.7.0.254 dev eth0
}
static_rules {
  from 10.9.0.0/16 table 100 priority 100
}
vrrp_script chk {
  script "/bin/true"
  interval 1
  weight -10
  rise 2
  fall 3
}
track_file tf {
  file ${trackFile}
  weight 5
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  track_interface {
    eth1
  }
  notify_master "/bin/echo group master"
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret
  }
  notify_master "/bin/echo master"
  notify "/bin/echo generic"
  virtual_ipaddress {
    10.7.0.100/24 brd 10.7.0.255 label eth0:vip
    10.7.0.103/24 dev eth1 scope link
  }
  virtual_ipaddress_excluded {
    10.7.0.200
  }
  virtual_routes {
    10.20.0.0/16 via 10.7.0.254 dev eth0 metric 5 table 100
    blackhole 10.21.0.0/16
  }
  virtual_rules {
    from 10.7.0.100 table 100 priority 1000
    to 10.22.0.0/16 table 101 priority 1001
  }
}
vrrp_instance VI_2 {
  state BACKUP
  interface eth0
  virtual_router_id 52
  priority 100
  version 3
  advert_int 0.5
  nopreempt
  virtual_ipaddress {
    10.7.0.101/24
    10.7.0.102
  }
}
vrrp_instance VI_3 {
  state BACKUP
  interface eth0
  virtual_router_id 53
  priority 90
  preempt_delay 10
  unicast_src_ip 10.7.0.1
  unicast_peer {
    10.7.0.2
  }
  track_interface {
    eth1 weight -20
  }
  track_script {
    chk
  }
  track_file {
    tf
  }
  virtual_ipaddress {
    10.7.0.105/24
  }
}
vrrp_instance VI_4 {
  state BACKUP
  interface eth0
  virtual_router_id 50
  priority 80
  virtual_ipaddress {
    10.7.0.110/24
  }
}
vrrp_instance VI_6 {
  state BACKUP
  interface eth0
  virtual_router_id 60
  priority 120
  version 3
  virtual_ipaddress {
    fe80::100/64
    2001:db8::100/64
  }
}
`;
}

/** snmpwalk -On output as OID -> "TYPE: value" text (continuation lines joined). */
export function parseWalk(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^(\.[\d.]+) = (.*)$/.exec(line);
    if (m) {
      last = m[1] as string;
      out.set(last, m[2] as string);
    } else if (last !== undefined && line.trim() !== '') out.set(last, `${out.get(last)} ${line.trim()}`);
  }
  return out;
}

export function walk(ns: string, root: string): Map<string, string> {
  const r = netnsExec(ns, ['snmpwalk', '-v2c', '-c', 'public', '-m', '', '-On', '-Ot', '127.0.0.1', root], {
    timeoutMs: 60_000,
  });
  if (r.status !== 0) throw new Error(`snmpwalk ${root}: ${r.stderr}`);
  if (/No Such Object|No more variables/.test(r.stdout))
    throw new Error(`snmpwalk ${root}: ${r.stdout.trim()}`);
  return parseWalk(r.stdout);
}

export function walkAll(ns: string): Map<string, string> {
  return new Map([...walk(ns, KEEPALIVED), ...walk(ns, VRRP_MIB), ...walk(ns, VRRPV3_MIB)]);
}

/** sysORTable rows of keepalived's MIBs as "ID descr" (row numbers differ between runs of snmpd). */
export function sysOrRows(ns: string): string[] {
  const ids = walk(ns, `${SYS_OR}.2`);
  const descrs = walk(ns, `${SYS_OR}.3`);
  const rows: string[] = [];
  for (const [oid, id] of ids) {
    const row = oid.slice(`${SYS_OR}.2`.length);
    if (/9586|\.1\.3\.6\.1\.2\.1\.(68|207)$/.test(id)) rows.push(`${id} ${descrs.get(`${SYS_OR}.3${row}`)}`);
  }
  return rows.sort();
}

export interface Trap {
  line: string;
  /** Varbinds but sysUpTime.0, whose value is each agent's uptime. */
  varbinds: string[];
}

/** snmptrapd lines ("TRAP" then tab-separated varbinds) written after `from` bytes of its log. */
export function trapsSince(file: string, from: number): Trap[] {
  const text = readFileSync(file, 'utf8').slice(from);
  return text
    .split('\n')
    .filter((l) => l.startsWith('TRAP'))
    .map((line) => ({
      line,
      varbinds: line
        .slice(4)
        .split('\t')
        .filter((v) => v !== '' && !v.startsWith('.1.3.6.1.2.1.1.3.0 ')),
    }));
}

export const fileSize = (file: string): number => (existsSync(file) ? statSync(file).size : 0);

function snmpdArgv(dir: string): string[] {
  const files = (name: string): string => join(dir, name);
  return [
    'snmpd',
    '-f',
    '-C',
    '-c',
    files('snmpd.conf'),
    '-Lf',
    files('snmpd.log'),
    '-p',
    files('snmpd.pid'),
  ];
}

/** Stops the lab's snmpd (the pid it wrote) and starts it again: the subagents lose their session. */
export async function restartSnmpd(lab: VrrpLab, ns: string): Promise<void> {
  const dir = join(lab.dir, 'snmp');
  const pid = Number(readFileSync(join(dir, 'snmpd.pid'), 'utf8').trim());
  process.kill(pid, 'SIGTERM');
  await waitUntil(
    () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    },
    'snmpd gone',
    10_000,
  );
  lab.spawnOther(ns, snmpdArgv(dir));
  await waitUntil(() => existsSync(join(dir, 'agentx.sock')), 'snmpd AgentX socket again', 10_000);
}

export async function startSnmpd(lab: VrrpLab, ns: string): Promise<{ socket: string; trapLog: string }> {
  const dir = join(lab.dir, 'snmp');
  mkdirSync(join(dir, 'state'), { recursive: true });
  const socket = join(dir, 'agentx.sock');
  const trapLog = join(dir, 'traps.log');
  writeFileSync(
    join(dir, 'snmpd.conf'),
    [
      'master agentx',
      `agentXSocket ${socket}`,
      'agentaddress udp:127.0.0.1:161',
      'rocommunity public 127.0.0.1',
      'trap2sink 127.0.0.1:162 public',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'snmptrapd.conf'), 'authCommunity log public\n');
  // net-snmp keeps state in SNMP_PERSISTENT_DIR (default /var/lib/snmp): the lab's directory instead, for
  // snmpd, snmptrapd and keepalived's own net-snmp alike; no MIB files loaded (numeric OIDs only).
  process.env.SNMP_PERSISTENT_DIR = join(dir, 'state');
  process.env.MIBS = '';
  const common = ['-f', '-C', '-c'];
  lab.spawnOther(ns, snmpdArgv(dir));
  lab.spawnOther(ns, [
    'snmptrapd',
    ...common,
    join(dir, 'snmptrapd.conf'),
    '-Lf',
    trapLog,
    '-m',
    '',
    '-On',
    '-p',
    join(dir, 'snmptrapd.pid'),
    '-F',
    'TRAP%V\t%v\n',
    'udp:127.0.0.1:162',
  ]);
  await waitUntil(() => existsSync(socket), 'snmpd AgentX socket', 10_000);
  await waitUntil(
    () => existsSync(trapLog) && readFileSync(trapLog, 'utf8').includes('NET-SNMP'),
    'snmptrapd',
    10_000,
  );
  return { socket, trapLog };
}

export interface WalkComparison {
  /** Differences nothing explains, one line each. */
  report: string[];
  /** MUST_DIFFER values seen differing. */
  differing: number;
  /** Differences that are keepalived's defects (IS_ADVERTISED, RFC2787_ROW). */
  defects: number;
  /** OIDs with the same value in both. */
  equal: number;
}

/** keepalived's walk against ours, OID by OID, with MUST_DIFFER and keepalived's defects set aside. */
export function compareWalks(theirs: Map<string, string>, ours: Map<string, string>): WalkComparison {
  const report: string[] = [];
  const firstRow = [...theirs.keys()].map((o) => RFC2787_ROW.exec(o)?.[2]).find((r) => r !== undefined);
  if (firstRow === undefined) report.push('keepalived shows no VRRP-MIB row');
  let differing = 0;
  let defects = 0;
  for (const oid of new Set([...theirs.keys(), ...ours.keys()])) {
    const t = theirs.get(oid);
    const o = ours.get(oid);
    if (t === o) continue;
    const must = MUST_DIFFER.find((m) => m.oid.test(oid));
    const adv = IS_ADVERTISED.exec(oid);
    const row = RFC2787_ROW.exec(oid);
    if (must && t !== undefined && o !== undefined) differing++;
    else if (adv && Number(adv[1]) > 1 && t === 'INTEGER: 2' && o === 'INTEGER: 1') defects++;
    else if (row && row[2] !== firstRow && t === undefined && o !== undefined) defects++;
    else report.push(`${oid}: keepalived ${t ?? '(absent)'}, ours ${o ?? '(absent)'}`);
  }
  const equal = [...theirs.keys()].filter((oid) => theirs.get(oid) === ours.get(oid)).length;
  return { report, differing, defects, equal };
}
