// The keepalived 2.2.7 side of a replay fixture: the keepalived.conf equivalent to the fixture's engine spec,
// the lab it needs (LANs, tracked-only interfaces, addresses of the injector that plays the other routers)
// and the small shell wrappers keepalived runs in place of the fixture's notify scripts and vrrp_scripts.
// Pure: text in, text out; oracle-lab.ts writes the files.
//
// Only what the fixture states is written; everything else is left to keepalived's own defaults, so a
// fixture that relies on a default of the engine's instanceSpec() is checked against keepalived's default.
// What keepalived 2.2.7 cannot express is said in `substitutions` (e.g. vrrp_script timeouts are whole
// seconds; track_process needs the proc connector, which only exists in the initial network namespace).
import type { EngineSpec, InstanceSpec } from '../../src/vrrp/engine/spec.js';
import type { FixtureRecord, Json } from './vrrp-fixture.js';

/** Where the lab keeps the files the config names. */
export interface OracleFiles {
  dir: string;
  /** keepalived's notify_fifo. */
  notifyFifo: string;
  /** FIFO the wrappers write one line to when keepalived runs them. */
  eventsFifo: string;
}

/** A LAN between keepalived's namespace and the injector's, named after keepalived's interface. */
export interface OracleLan {
  ifname: string;
  /** Addresses of keepalived's interface (CIDR); an fe80:: one replaces the kernel's link-local. */
  keepalived: string[];
  /** Addresses the injector owns on this LAN (advert sources, unicast peers). */
  injector: string[];
}

export interface ScriptWrapper {
  /** keepalived's vrrp_script name (the fixture's). */
  name: string;
  path: string;
  /** FIFO the wrapper reads its exit status from. */
  verdictFifo: string;
  body: string;
}

export interface NotifyWrapper {
  /** Instance or sync group the script is configured on. */
  owner: string;
  /** 'master' | 'backup' | 'fault' | 'stop' | 'generic' | 'masterRxLowerPri'. */
  role: string;
  /** The script path the fixture names (what the engine's notify action lists). */
  fixturePath: string;
  path: string;
  body: string;
}

export interface TrackFileWrapper {
  /** vrrp_track_file name in the config. */
  name: string;
  path: string;
  initial: number;
  /** Set when this file stands in for a track_process of that name. */
  forProcess?: { name: string; weight: number };
}

export interface OracleConfig {
  text: string;
  lans: OracleLan[];
  /** Interfaces only tracked (no VRRP on them): a veth pair's end in keepalived's namespace. */
  dummies: string[];
  linksDown: string[];
  scripts: ScriptWrapper[];
  notifies: NotifyWrapper[];
  trackFiles: TrackFileWrapper[];
  /** What keepalived 2.2.7 is given in place of what the fixture says, and why. */
  substitutions: string[];
}

/** Real-time priority keepalived is started with (chrt --rr, inherited by its VRRP child and scripts). */
export const KEEPALIVED_RT_PRIORITY = 10;
/** Real-time priority of the oracle's own drivers and observers: above keepalived's, so they are on time. */
export const ORACLE_RT_PRIORITY = 20;

const ROLE_KEYWORDS: Record<string, string> = {
  master: 'notify_master',
  backup: 'notify_backup',
  fault: 'notify_fault',
  stop: 'notify_stop',
  generic: 'notify',
  masterRxLowerPri: 'notify_master_rx_lower_pri',
};

/** Seconds as keepalived reads them ('0.1', '3'). */
function seconds(ms: number): string {
  return String(ms / 1000);
}

function quoteFree(path: string): string {
  if (/[\s"]/.test(path)) throw new Error(`path with blanks or quotes: ${path}`);
  return path;
}

/** Builds keepalived's config and lab for a fixture. `records` gives the events (advert sources, reloads). */
export class OracleConfigBuilder {
  readonly scripts: ScriptWrapper[] = [];
  readonly notifies: NotifyWrapper[] = [];
  readonly trackFiles: TrackFileWrapper[] = [];
  readonly substitutions: string[] = [];

  constructor(
    private readonly files: OracleFiles,
    private readonly records: FixtureRecord[],
  ) {}

  /** The config text for a (partial) fixture spec and the completed spec the engine uses. */
  config(raw: Json, spec: EngineSpec): string {
    const out: string[] = ['global_defs {', '  router_id oracle', '  script_user root'];
    out.push(`  notify_fifo ${this.files.notifyFifo}`);
    const intervals = new Set(spec.instances.map((i) => i.garp.garpIntervalMs));
    const gna = new Set(spec.instances.map((i) => i.garp.gnaIntervalMs));
    if (intervals.size > 1 || gna.size > 1)
      throw new Error('instances with different garp/gna intervals: keepalived sets them per interface');
    const rawInstances = (raw.instances as Json[] | undefined) ?? [];
    const given = (key: string): boolean =>
      rawInstances.some((i) => (i.garp as Json | undefined)?.[key] !== undefined);
    if (given('garpIntervalMs')) out.push(`  vrrp_garp_interval ${seconds([...intervals][0] ?? 0)}`);
    if (given('gnaIntervalMs')) out.push(`  vrrp_gna_interval ${seconds([...gna][0] ?? 0)}`);
    if (spec.startupDelayMs !== undefined) out.push(`  vrrp_startup_delay ${seconds(spec.startupDelayMs)}`);
    out.push('}', '');
    for (const s of spec.scripts) out.push(...this.script(s));
    for (const f of spec.trackFiles)
      out.push(...this.trackFile(f.name, f.weight, f.reverse, f.initialValue ?? 0));
    for (const p of spec.trackProcesses)
      out.push(...this.processSubstitute(p.name, p.weight, p.reverse, spec));
    for (const g of spec.syncGroups) {
      out.push(`vrrp_sync_group ${g.name} {`, '  group {', ...g.members.map((m) => `    ${m}`), '  }');
      out.push(...this.notifyLines(g.name, g.notify as Record<string, string | undefined>));
      if (g.trackInterfaces.length || g.trackScripts.length || g.trackFiles.length || g.trackProcesses.length)
        throw new Error(`sync group ${g.name}: group trackers are not mapped yet`);
      out.push('}', '');
    }
    spec.instances.forEach((inst, n) => out.push(...this.instance(inst, rawInstances[n] ?? {})));
    return out.join('\n');
  }

  private script(s: EngineSpec['scripts'][number]): string[] {
    let wrapper = this.scripts.find((w) => w.name === s.name);
    if (!wrapper) {
      const path = `${this.files.dir}/script-${s.name}.sh`;
      const verdictFifo = `${this.files.dir}/verdict-${s.name}.fifo`;
      wrapper = {
        name: s.name,
        path,
        verdictFifo,
        body: [
          '#!/bin/sh',
          `echo "run ${s.name}" > ${this.files.eventsFifo}`,
          `read verdict < ${verdictFifo}`,
          'exit "$verdict"',
          '',
        ].join('\n'),
      };
      this.scripts.push(wrapper);
    }
    const wholeSeconds = (ms: number, what: string): number => {
      const s2 = Math.ceil(ms / 1000);
      if (s2 * 1000 !== ms) {
        const note = `vrrp_script ${s.name}: ${what} ${ms} ms is written as ${s2} s (keepalived 2.2.7 reads whole seconds)`;
        if (!this.substitutions.includes(note)) this.substitutions.push(note);
      }
      return s2;
    };
    const lines = [
      `vrrp_script ${s.name} {`,
      `  script "${quoteFree(wrapper.path)}"`,
      `  interval ${wholeSeconds(s.intervalMs, 'interval')}`,
      `  timeout ${wholeSeconds(s.timeoutMs, 'timeout')}`,
      `  rise ${s.rise}`,
      `  fall ${s.fall}`,
    ];
    if (s.weight !== 0 || s.reverse) lines.push(`  weight ${s.weight}${s.reverse ? ' reverse' : ''}`);
    if (s.initFail) lines.push('  init_fail');
    lines.push('}', '');
    return lines;
  }

  private trackFile(name: string, weight: number, reverse: boolean, initial: number): string[] {
    const path = `${this.files.dir}/track-${name}`;
    if (!this.trackFiles.some((f) => f.name === name)) this.trackFiles.push({ name, path, initial });
    return [
      `vrrp_track_file ${name} {`,
      `  file ${quoteFree(path)}`,
      `  weight ${weight}${reverse ? ' reverse' : ''}`,
      '}',
      '',
    ];
  }

  /**
   * keepalived's track_process learns of process starts and exits from the kernel's proc connector, which
   * only exists in the initial network namespace ("Failed to set/clear process event listen - errno 111"
   * in a test namespace). A vrrp_track_file with the same weight stands in: 1 while the process's weight
   * counts (running for a positive weight, not running otherwise), 0 otherwise: value x weight gives w or 0.
   */
  private processSubstitute(name: string, weight: number, reverse: boolean, spec: EngineSpec): string[] {
    if (reverse) throw new Error(`track_process ${name} reverse: no stand-in yet`);
    const fileName = `process_${name}`;
    const initiallyDown = spec.processesDown?.includes(name) ?? false;
    // weight > 0 counts while running; weight <= 0 counts while not running
    const counts = weight > 0 ? !initiallyDown : initiallyDown;
    const lines = this.trackFile(fileName, weight, false, counts ? 1 : 0);
    const entry = this.trackFiles.find((f) => f.name === fileName) as TrackFileWrapper;
    entry.forProcess = { name, weight };
    const note =
      `track_process ${name} (weight ${weight}) is a vrrp_track_file ${fileName} with weight ${weight}: keepalived ` +
      'tracks processes through the proc connector, which exists only in the initial network namespace';
    if (!this.substitutions.includes(note)) this.substitutions.push(note);
    return lines;
  }

  private notifyLines(owner: string, notify: Record<string, string | undefined>): string[] {
    const lines: string[] = [];
    for (const [role, keyword] of Object.entries(ROLE_KEYWORDS)) {
      const fixturePath = notify[role];
      if (fixturePath === undefined) continue;
      const path = `${this.files.dir}/notify-${owner}-${role}.sh`;
      if (!this.notifies.some((n) => n.path === path))
        this.notifies.push({
          owner,
          role,
          fixturePath,
          path,
          body: `#!/bin/sh\necho "notify ${owner} ${role} ${fixturePath} $*" > ${this.files.eventsFifo}\n`,
        });
      lines.push(`  ${keyword} "${quoteFree(path)}"`);
    }
    return lines;
  }

  private instance(inst: InstanceSpec, raw: Json): string[] {
    const has = (key: string): boolean => raw[key] !== undefined;
    const lines = [`vrrp_instance ${inst.name} {`];
    if (has('initialState')) lines.push(`  state ${inst.initialState}`);
    lines.push(`  interface ${inst.interface}`, `  virtual_router_id ${inst.vrid}`);
    if (has('priority')) lines.push(`  priority ${inst.priority}`);
    if (has('advertIntervalCs')) lines.push(`  advert_int ${inst.advertIntervalCs / 100}`);
    if (has('version')) lines.push(`  version ${inst.version}`);
    if (!inst.preempt) lines.push('  nopreempt');
    if (has('preemptDelayMs')) lines.push(`  preempt_delay ${seconds(inst.preemptDelayMs)}`);
    if (inst.dontTrackPrimary) lines.push('  dont_track_primary');
    if (inst.lowerPrioNoAdvert) lines.push('  lower_prio_no_advert');
    if (inst.higherPrioSendAdvert) lines.push('  higher_prio_send_advert');
    if (inst.accept) lines.push('  accept');
    if (inst.downTimerAdverts !== undefined) lines.push(`  down_timer_adverts ${inst.downTimerAdverts}`);
    const garp = (raw.garp as Json | undefined) ?? {};
    const wholeSeconds = (ms: number, keyword: string): string => {
      if (ms % 1000 !== 0) throw new Error(`${inst.name}: ${keyword} ${ms} ms is not whole seconds`);
      return String(ms / 1000);
    };
    if (garp.masterDelayMs !== undefined)
      lines.push(`  garp_master_delay ${wholeSeconds(inst.garp.masterDelayMs, 'garp_master_delay')}`);
    if (garp.masterRepeat !== undefined) lines.push(`  garp_master_repeat ${inst.garp.masterRepeat}`);
    if (garp.masterRefreshMs !== undefined)
      lines.push(`  garp_master_refresh ${wholeSeconds(inst.garp.masterRefreshMs, 'garp_master_refresh')}`);
    if (garp.masterRefreshRepeat !== undefined)
      lines.push(`  garp_master_refresh_repeat ${inst.garp.masterRefreshRepeat}`);
    if (garp.lowerPrioDelayMs !== undefined)
      lines.push(
        `  garp_lower_prio_delay ${wholeSeconds(inst.garp.lowerPrioDelayMs, 'garp_lower_prio_delay')}`,
      );
    if (garp.lowerPrioRepeat !== undefined)
      lines.push(`  garp_lower_prio_repeat ${inst.garp.lowerPrioRepeat}`);
    if (inst.authType !== 'none')
      lines.push(
        '  authentication {',
        `    auth_type ${inst.authType === 'pass' ? 'PASS' : 'AH'}`,
        `    auth_pass ${inst.authPass ?? 'secret'}`,
        '  }',
      );
    if (inst.unicastPeers.length)
      lines.push('  unicast_peer {', ...inst.unicastPeers.map((p) => `    ${p}`), '  }');
    lines.push(...this.notifyLines(inst.name, inst.notify as Record<string, string | undefined>));
    if (inst.trackInterfaces.length)
      lines.push(
        '  track_interface {',
        ...inst.trackInterfaces.map(
          (t) =>
            `    ${t.ifname}${t.weight !== 0 || t.reverse ? ` weight ${t.weight}` : ''}${t.reverse ? ' reverse' : ''}`,
        ),
        '  }',
      );
    const refs = (
      keyword: string,
      list: InstanceSpec['trackScripts'],
      rename = (n: string): string => n,
    ): void => {
      if (!list.length) return;
      lines.push(
        `  ${keyword} {`,
        ...list.map(
          (r) =>
            `    ${rename(r.name)}${r.weight !== undefined ? ` weight ${r.weight}` : ''}${r.reverse ? ' reverse' : ''}`,
        ),
        '  }',
      );
    };
    refs('track_script', inst.trackScripts);
    // track_process stand-ins are track files too (processSubstitute)
    const files = [
      ...inst.trackFiles,
      ...inst.trackProcesses.map((p) => ({ ...p, name: `process_${p.name}` })),
    ];
    refs('track_file', files);
    if (inst.trackBfds?.length) throw new Error(`${inst.name}: track_bfd is not mapped`);
    if (inst.addresses.length)
      lines.push(
        '  virtual_ipaddress {',
        ...inst.addresses.map((a) => `    ${a.address}/${a.prefix}${a.ifname ? ` dev ${a.ifname}` : ''}`),
        '  }',
      );
    if (inst.excludedAddresses.length)
      lines.push(
        '  virtual_ipaddress_excluded {',
        ...inst.excludedAddresses.map(
          (a) => `    ${a.address}/${a.prefix}${a.ifname ? ` dev ${a.ifname}` : ''}`,
        ),
        '  }',
      );
    if (inst.routes.length)
      lines.push('  virtual_routes {', ...inst.routes.map((r) => `    ${routeText(r)}`), '  }');
    if (inst.rules.length)
      lines.push('  virtual_rules {', ...inst.rules.map((r) => `    ${ruleText(r)}`), '  }');
    lines.push('}', '');
    return lines;
  }

  /**
   * The address keepalived's interface gets for an instance: its sourceAddress, unless that is one of its
   * own VIPs (the fixture's address owner). keepalived 2.2.7 never takes a VIP as an interface's address
   * (the instance faults at start: "no IPv4 address for interface", and its start-up clean-up deletes the
   * address), so the interface then gets x.y.z.250 of the same /24, and keepalived's adverts come from it.
   */
  interfaceAddress(inst: InstanceSpec): string {
    const source = inst.sourceAddress as string;
    if (!inst.addresses.some((a) => a.address === source)) return source;
    if (source.includes(':')) throw new Error(`${inst.name}: an IPv6 owner needs a lab address`);
    const own = source.replace(/\.\d+$/, '.250');
    const note =
      `${inst.name}: its source ${source} is also its VIP (address owner); keepalived 2.2.7 never uses a VIP as ` +
      `the interface's address ("no IPv4 address for interface", and the start-up clean-up deletes it), so ` +
      `the interface has ${own}/24 and keepalived's adverts come from ${own}`;
    if (!this.substitutions.includes(note)) this.substitutions.push(note);
    return own;
  }

  /** The lab a spec needs: one LAN per VRRP interface, a stand-alone link for each tracked-only interface. */
  topology(spec: EngineSpec): Pick<OracleConfig, 'lans' | 'dummies' | 'linksDown'> {
    const lans = new Map<string, OracleLan>();
    const lanOf = (ifname: string): OracleLan => {
      let lan = lans.get(ifname);
      if (!lan) lans.set(ifname, (lan = { ifname, keepalived: [], injector: [] }));
      return lan;
    };
    const add = (list: string[], cidr: string): void => {
      if (!list.includes(cidr)) list.push(cidr);
    };
    const cidr = (address: string): string => `${address}/${address.includes(':') ? 64 : 24}`;
    for (const inst of spec.instances) {
      const lan = lanOf(inst.interface);
      if (!inst.sourceAddress) throw new Error(`${inst.name}: no sourceAddress: the lab needs one`);
      add(lan.keepalived, cidr(this.interfaceAddress(inst)));
      for (const peer of inst.unicastPeers) add(lan.injector, cidr(peer));
    }
    for (const { line } of this.records) {
      const ev = line.event as Json | undefined;
      if (ev?.type !== 'advert' || typeof ev.from !== 'string') continue;
      const inst = spec.instances.find((i) => i.name === (ev.instance ?? spec.instances[0]?.name));
      if (!inst) continue;
      add(lanOf((ev.ifname as string | undefined) ?? inst.interface).injector, cidr(ev.from));
    }
    for (const lan of lans.values()) {
      const sources = lan.keepalived.filter((a) => !a.startsWith('fe80:'));
      const families = new Set(sources.map((a) => (a.includes(':') ? 6 : 4)));
      if (sources.length > families.size)
        throw new Error(`${lan.ifname}: instances with different source addresses of one family`);
    }
    const tracked = new Set<string>();
    for (const inst of spec.instances) for (const t of inst.trackInterfaces) tracked.add(t.ifname);
    for (const g of spec.syncGroups) for (const t of g.trackInterfaces) tracked.add(t.ifname);
    const dummies = [...tracked].filter((i) => !lans.has(i));
    return { lans: [...lans.values()], dummies, linksDown: spec.linksDown ?? [] };
  }
}

function routeText(r: object): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(r)) {
    if (k === 'to') parts.unshift(String(v));
    else parts.push(`${k} ${String(v)}`);
  }
  return parts.join(' ');
}

function ruleText(r: object): string {
  return Object.entries(r)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(' ');
}
