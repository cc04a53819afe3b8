// What keepalived did during a fixture run, in the engine's vocabulary (send-advert, send-garp, state-change,
// notify, add-addresses, run-script, ...), each with the wall-clock time it was seen and the channel it was
// seen on:
//   wire   frames keepalived's interface sent (tcpdump in keepalived's namespace, pcap time)
//   log    keepalived's console log lines ("(VI_1) Entering MASTER STATE", "(VI_1) setting VIPs.")
//   fifo   keepalived's notify_fifo lines (INSTANCE "VI_1" MASTER 100, GROUP "G" BACKUP 0)
//   script lines the notify and vrrp_script wrappers wrote to the events FIFO when keepalived ran them
// Times from the log, the FIFOs and the wrappers are arrival times in the harness (wall-clock.ts);
// pcap times are the kernel's. Both are CLOCK_REALTIME.
import { spawnSync } from 'node:child_process';
import type { Action } from '../../src/vrrp/engine/engine.js';
import type { EngineSpec, VrrpState } from '../../src/vrrp/engine/spec.js';
import type { NotifyWrapper } from './oracle-config.js';

export type Channel = 'wire' | 'log' | 'fifo' | 'script';

/** A line read with its arrival time. */
export interface TimedLine {
  at: number;
  text: string;
}

/** One thing keepalived did, as an engine action (fields it cannot show are absent). */
export interface Observation {
  at: number;
  channel: Channel;
  action: Partial<Action> & { type: Action['type'] };
  /** The raw evidence (a log line, a frame summary). */
  seen: string;
}

/** A frame on keepalived's LAN. */
export interface WireFrame {
  /** ms since the epoch */
  at: number;
  ifname: string;
  srcMac: string;
  kind: 'advert' | 'garp' | 'na' | 'other';
  family: 4 | 6;
  src: string;
  dst: string;
  ttl: number;
  version?: number;
  type?: number;
  vrid?: number;
  priority?: number;
  intervalCs?: number;
  authType?: number;
  addresses?: string[];
  /** garp / na: the address announced. */
  target?: string;
}

const FIELDS = [
  'frame.time_epoch',
  'eth.src',
  'ip.src',
  'ipv6.src',
  'ip.dst',
  'ipv6.dst',
  'ip.ttl',
  'ipv6.hlim',
  'vrrp.version',
  'vrrp.type',
  'vrrp.virt_rtr_id',
  'vrrp.prio',
  'vrrp.adver_int',
  'vrrp.short_adver_int',
  'vrrp.auth_type',
  'vrrp.ip_addr',
  'vrrp.ipv6_addr',
  'arp.opcode',
  'arp.src.proto_ipv4',
  'arp.dst.proto_ipv4',
  'icmpv6.type',
  'icmpv6.nd.na.target_address',
];

/** Decodes a capture of interface `ifname` (VRRP, ARP, ICMPv6) with tshark. */
export function decodeWire(file: string, ifname: string): WireFrame[] {
  const r = spawnSync(
    'tshark',
    [
      '-r',
      file,
      '-Y',
      'vrrp || arp || icmpv6.type == 136',
      '-T',
      'fields',
      '-E',
      'separator=\t',
      '-E',
      'aggregator=,',
      ...FIELDS.flatMap((f) => ['-e', f]),
    ],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0 && !r.stdout) throw new Error(`tshark -r ${file} failed (${r.status}): ${r.stderr}`);
  const frames: WireFrame[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split('\t');
    const at = (name: string): string => f[FIELDS.indexOf(name)] ?? '';
    const num = (name: string): number => Number(at(name).split(',')[0]);
    const v4 = at('ip.src') !== '';
    const base = {
      // epoch seconds with microseconds: to ms without losing them
      at: Number(at('frame.time_epoch')) * 1000,
      ifname,
      srcMac: at('eth.src'),
      family: (v4 || at('arp.opcode') ? 4 : 6) as 4 | 6,
      src: at('ip.src') || at('ipv6.src') || at('arp.src.proto_ipv4'),
      dst: at('ip.dst') || at('ipv6.dst') || at('arp.dst.proto_ipv4'),
      ttl: v4 ? num('ip.ttl') : num('ipv6.hlim'),
    };
    if (at('vrrp.version')) {
      const version = num('vrrp.version');
      frames.push({
        ...base,
        kind: 'advert',
        version,
        type: num('vrrp.type'),
        vrid: num('vrrp.virt_rtr_id'),
        priority: num('vrrp.prio'),
        intervalCs: version === 3 ? num('vrrp.short_adver_int') : num('vrrp.adver_int') * 100,
        ...(at('vrrp.auth_type') ? { authType: num('vrrp.auth_type') } : {}),
        addresses: [at('vrrp.ip_addr'), at('vrrp.ipv6_addr')]
          .filter((x) => x)
          .join(',')
          .split(','),
      });
    } else if (at('arp.opcode')) {
      // announcements are requests naming the sender as the target (keepalived's form)
      const gratuitous = at('arp.opcode') === '1' && at('arp.src.proto_ipv4') === at('arp.dst.proto_ipv4');
      frames.push({ ...base, kind: gratuitous ? 'garp' : 'other', target: at('arp.src.proto_ipv4') });
    } else if (at('icmpv6.type') === '136') {
      const unsolicited = at('ipv6.dst').startsWith('ff');
      frames.push({ ...base, kind: unsolicited ? 'na' : 'other', target: at('icmpv6.nd.na.target_address') });
    }
  }
  return frames;
}

const AUTH_NAMES = ['none', 'pass', 'ah'] as const;

/** keepalived's frames as engine actions; unicast copies of one advert (one per peer) become one action. */
export function wireObservations(frames: WireFrame[], macs: Set<string>, spec: EngineSpec): Observation[] {
  const out: Observation[] = [];
  const mine = frames.filter((f) => macs.has(f.srcMac)).sort((a, b) => a.at - b.at);
  for (const f of mine) {
    if (f.kind === 'advert') {
      const inst = spec.instances.find(
        (i) => i.vrid === f.vrid && i.family === f.family && i.interface === f.ifname,
      );
      const multicast = f.dst === '224.0.0.18' || f.dst === 'ff02::12';
      const prev = out.at(-1);
      const prevAction = prev?.action as Extract<Action, { type: 'send-advert' }> | undefined;
      if (
        !multicast &&
        prev &&
        prevAction?.type === 'send-advert' &&
        Array.isArray(prevAction.to) &&
        prevAction.advert.vrid === f.vrid &&
        prevAction.advert.priority === f.priority &&
        f.at - prev.at < 2 &&
        !prevAction.to.includes(f.dst)
      ) {
        prevAction.to.push(f.dst);
        prev.seen += ` +${f.dst}`;
        continue;
      }
      out.push({
        at: f.at,
        channel: 'wire',
        action: {
          type: 'send-advert',
          ...(inst ? { instance: inst.name } : {}),
          ifname: f.ifname,
          family: f.family,
          source: f.src,
          to: multicast ? 'multicast' : [f.dst],
          advert: {
            version: f.version as 2 | 3,
            vrid: f.vrid as number,
            priority: f.priority as number,
            intervalCs: f.intervalCs as number,
            addresses: f.addresses ?? [],
            authType: f.version === 2 ? (AUTH_NAMES[f.authType ?? 0] ?? 'none') : 'none',
          },
        },
        seen: `advert v${f.version} vrid ${f.vrid} prio ${f.priority} int ${f.intervalCs}cs [${(f.addresses ?? []).join(',')}] ${f.src}>${f.dst} ttl ${f.ttl}`,
      });
    } else if (f.kind === 'garp' || f.kind === 'na') {
      const target = f.target ?? '';
      // which instance announces it: the one with the VIP, else (unicast) the one with that source
      const inst =
        spec.instances.find((i) => i.addresses.some((a) => a.address === target)) ??
        spec.instances.find((i) => i.sourceAddress === target);
      out.push({
        at: f.at,
        channel: 'wire',
        action: {
          type: 'send-garp',
          ...(inst ? { instance: inst.name } : {}),
          ifname: f.ifname,
          family: f.kind === 'garp' ? 4 : 6,
          addresses: [target],
        },
        seen: `${f.kind === 'garp' ? 'gratuitous ARP' : 'unsolicited NA'} for ${target} on ${f.ifname}`,
      });
    }
  }
  return out;
}

const SOCKPOOL_RE = /VRRP sockpool:/;
const STATE_RE = /\((\S+)\) (?:Entering|entering) (BACKUP|MASTER|FAULT) (?:STATE|state)/;
const VIPS_RE = /\((\S+)\) (setting|removing) VIPs\./;
const SEND_ERROR_RE = /\((\S+)\):? (?:send advert error|Cant send advert to)/;
const PRIORITY_RE = /\((\S+)\) Changing effective priority from (\d+) to (\d+)/;

/** A priority change keepalived logged. */
export interface PriorityChange {
  at: number;
  instance: string;
  from: number;
  to: number;
}

/**
 * State changes and VIP changes from keepalived's log (lines at or after `since`), priority changes apart.
 * keepalived's "removing VIPs" before its timers are armed (its clean-up at start) is left out.
 */
export function logObservations(
  lines: TimedLine[],
  since: number,
): { observations: Observation[]; priorities: PriorityChange[] } {
  const observations: Observation[] = [];
  const priorities: PriorityChange[] = [];
  const last = new Map<string, VrrpState>();
  // what keepalived does before its timers are armed (the first socket pool line) is start-up
  let armed = false;
  for (const { at, text } of lines) {
    if (SOCKPOOL_RE.test(text)) armed = true;
    const s = STATE_RE.exec(text);
    if (s) {
      const instance = s[1] as string;
      const to = s[2] as VrrpState;
      const from = last.get(instance) ?? 'INIT';
      // keepalived may say a fault twice ("entering FAULT state" then "Entering FAULT STATE")
      if (from === to) continue;
      last.set(instance, to);
      if (at >= since)
        observations.push({
          at,
          channel: 'log',
          action: { type: 'state-change', instance, from, to },
          seen: text,
        });
      continue;
    }
    const v = VIPS_RE.exec(text);
    // before its timers are armed keepalived clears stale VIPs: a start-up clean-up, not an action
    if (v && at >= since && armed) {
      observations.push({
        at,
        channel: 'log',
        action: { type: v[2] === 'setting' ? 'add-addresses' : 'remove-addresses', instance: v[1] as string },
        seen: text,
      });
      continue;
    }
    // an advert keepalived could not send (its link is down) still counts as one it sent (advert_sent)
    const e = SEND_ERROR_RE.exec(text);
    if (e && at >= since) {
      observations.push({
        at,
        channel: 'log',
        action: { type: 'send-advert', instance: e[1] as string },
        seen: text,
      });
      continue;
    }
    const p = PRIORITY_RE.exec(text);
    if (p) priorities.push({ at, instance: p[1] as string, from: Number(p[2]), to: Number(p[3]) });
  }
  return { observations, priorities };
}

const FIFO_RE = /^(INSTANCE|GROUP) "([^"]+)" (\S+) (\d+)$/;

/**
 * Notifications from keepalived's notify_fifo, with the wrapper scripts that ran for them. A script belongs
 * to the notification of its owner whose state its role names (the generic `notify` to every one), the
 * first such script line at or after the FIFO line. MASTER_RX_LOWER_PRI is the engine's notify MASTER for
 * notify_master_rx_lower_pri. Each INSTANCE notification also stands for a state change (the caller drops
 * it where the log shows the same change).
 */
export function fifoObservations(
  fifo: TimedLine[],
  scripts: TimedLine[],
  wrappers: NotifyWrapper[],
): Observation[] {
  const out: Observation[] = [];
  const used = new Set<number>();
  const last = new Map<string, VrrpState>();
  for (const { at, text } of fifo) {
    const m = FIFO_RE.exec(text.trim());
    if (!m) continue;
    const kind = m[1] as 'INSTANCE' | 'GROUP';
    const name = m[2] as string;
    const event = m[3] as string;
    const rxLower = event === 'MASTER_RX_LOWER_PRI';
    if (event.endsWith('_PRIORITY')) continue;
    const state = (rxLower ? 'MASTER' : event) as VrrpState;
    const roles = rxLower
      ? ['masterRxLowerPri']
      : [
          state === 'MASTER'
            ? 'master'
            : state === 'BACKUP'
              ? 'backup'
              : state === 'FAULT'
                ? 'fault'
                : 'stop',
          'generic',
        ];
    const ran: string[] = [];
    for (const role of roles) {
      const w = wrappers.find((x) => x.owner === name && x.role === role);
      if (!w) continue;
      const index = scripts.findIndex(
        (l, i) => !used.has(i) && l.at >= at - 50 && l.text.startsWith(`notify ${name} ${role} `),
      );
      if (index < 0) continue;
      used.add(index);
      ran.push(w.fixturePath);
    }
    out.push({
      at,
      channel: 'fifo',
      action: {
        type: 'notify',
        name,
        kind,
        state,
        priority: Number(m[4]),
        scripts: ran.map((command) => ({ command })),
      },
      seen: text.trim() + (ran.length ? ` (ran ${ran.join(', ')})` : ''),
    });
    // a state keepalived reaches without logging it (a sync group member taken to FAULT) still notifies
    if (kind === 'INSTANCE' && !rxLower && state !== 'STOP' && last.get(name) !== state) {
      out.push({
        at,
        channel: 'fifo',
        action: { type: 'state-change', instance: name, from: last.get(name) ?? 'INIT', to: state },
        seen: text.trim(),
      });
    }
    if (kind === 'INSTANCE' && state === 'STOP') {
      out.push({
        at,
        channel: 'fifo',
        action: { type: 'state-change', instance: name, from: last.get(name) ?? 'INIT', to: 'STOP' },
        seen: text.trim(),
      });
    }
    if (kind === 'INSTANCE' && !rxLower) last.set(name, state);
  }
  return out;
}

/** vrrp_script runs, from the wrappers' "run NAME" lines. */
export function scriptRunObservations(scripts: TimedLine[]): Observation[] {
  return scripts.flatMap(({ at, text }) => {
    const m = /^run (\S+)/.exec(text);
    return m
      ? [
          {
            at,
            channel: 'script' as const,
            action: { type: 'run-script' as const, name: m[1] as string },
            seen: text,
          },
        ]
      : [];
  });
}
