// What /metrics shows, as metric families computed from a /status document. Names and labels follow the
// keepalived exporter most people run (mehdy/keepalived-exporter: keepalived_up, keepalived_vrrp_state
// {iname,intf,vrid,ip_address}, keepalived_advertisements_sent_total{iname,intf,vrid}, ...), so that its
// dashboards and alerts keep working; what it has no name for is named by Prometheus conventions under
// keepalived_vrrp_*, keepalived_checker_* and keepalived_bfd_*. Pure: the daemon feeds prom-client.
import type { VrrpStats } from '../vrrp/engine/stats.js';
import type { InstanceStatus, StatusDocument } from './status.js';

export type MetricType = 'gauge' | 'counter';

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  labelNames: readonly string[];
}

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The exporter's state numbers (keepalived's VRRP_STATE_*). */
const STATE_NUMBER: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98 };

const INSTANCE_LABELS = ['iname', 'intf', 'vrid'] as const;
const VIP_LABELS = ['iname', 'intf', 'vrid', 'ip_address'] as const;

/** keepalived's counter -> the exporter's metric name. */
export const EXPORTER_COUNTERS: ReadonlyArray<readonly [keyof VrrpStats, string, string]> = [
  ['advert_rcvd', 'keepalived_advertisements_received_total', 'Advertisements received'],
  ['advert_sent', 'keepalived_advertisements_sent_total', 'Advertisements sent'],
  ['become_master', 'keepalived_become_master_total', 'Became master'],
  ['release_master', 'keepalived_release_master_total', 'Released master'],
  ['packet_len_err', 'keepalived_packet_length_errors_total', 'Packet length errors'],
  ['advert_interval_err', 'keepalived_advertisements_interval_errors_total', 'Advertisement interval errors'],
  ['ip_ttl_err', 'keepalived_ip_ttl_errors_total', 'TTL errors'],
  ['invalid_type_rcvd', 'keepalived_invalid_type_received_total', 'Invalid type errors'],
  ['addr_list_err', 'keepalived_address_list_errors_total', 'Address list errors'],
  ['invalid_authtype', 'keepalived_authentication_invalid_total', 'Authentication invalid'],
  ['authtype_mismatch', 'keepalived_authentication_mismatch_total', 'Authentication mismatch'],
  ['auth_failure', 'keepalived_authentication_failure_total', 'Authentication failure'],
  ['pri_zero_rcvd', 'keepalived_priority_zero_received_total', 'Priority zero received'],
  ['pri_zero_sent', 'keepalived_priority_zero_sent_total', 'Priority zero sent'],
];

/** Counters of dropped adverts, by keepalived's counter name as the reason (one family, a label each). */
export const DROP_REASONS: ReadonlyArray<keyof VrrpStats> = [
  'packet_len_err',
  'advert_interval_err',
  'ip_ttl_err',
  'invalid_type_rcvd',
  'addr_list_err',
  'invalid_authtype',
  'authtype_mismatch',
  'auth_failure',
  'vers_err',
  'vrid_err',
  'chk_err',
  'auth_ext_missing',
  'auth_ext_malformed',
  'auth_ext_unknown_key',
  'auth_ext_invalid_hmac',
  'auth_ext_stale',
  'auth_ext_replay',
];

export const SNAPSHOT_FAMILIES: readonly MetricFamily[] = [
  {
    name: 'keepalived_up',
    help: 'Status of keepalived (1: the VRRP child answers)',
    type: 'gauge',
    labelNames: [],
  },
  {
    name: 'keepalived_vrrp_state',
    help: 'State of vrrp (0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT)',
    type: 'gauge',
    labelNames: VIP_LABELS,
  },
  {
    name: 'keepalived_vrrp_excluded_state',
    help: 'State of vrrp with excluded VIP',
    type: 'gauge',
    labelNames: VIP_LABELS,
  },
  ...EXPORTER_COUNTERS.map(([, name, help]): MetricFamily => ({
    name,
    help,
    type: 'counter',
    labelNames: INSTANCE_LABELS,
  })),
  {
    name: 'keepalived_gratuitous_arp_delay_total',
    help: 'Gratuitous ARP delay (s)',
    type: 'counter',
    labelNames: INSTANCE_LABELS,
  },
  {
    name: 'keepalived_script_status',
    help: 'Tracker script status (0 BAD, 1 GOOD)',
    type: 'gauge',
    labelNames: ['name'],
  },
  {
    name: 'keepalived_vrrp_base_priority',
    help: 'Configured priority',
    type: 'gauge',
    labelNames: INSTANCE_LABELS,
  },
  {
    name: 'keepalived_vrrp_effective_priority',
    help: 'Priority after tracker weights',
    type: 'gauge',
    labelNames: INSTANCE_LABELS,
  },
  {
    name: 'keepalived_vrrp_tracker_priority_contribution',
    help: "A tracker's part in the effective priority",
    type: 'gauge',
    labelNames: ['iname', 'tracker'],
  },
  {
    name: 'keepalived_vrrp_tracker_fault',
    help: '1 while this tracker holds the instance in FAULT',
    type: 'gauge',
    labelNames: ['iname', 'tracker'],
  },
  {
    name: 'keepalived_vrrp_master_priority',
    help: 'Priority of the master as this router knows it',
    type: 'gauge',
    labelNames: INSTANCE_LABELS,
  },
  {
    name: 'keepalived_vrrp_adverts_dropped_total',
    help: "Adverts dropped, by keepalived's counter name",
    type: 'counter',
    labelNames: [...INSTANCE_LABELS, 'reason'],
  },
  {
    name: 'keepalived_sync_group_state',
    help: 'State of a sync group (0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT)',
    type: 'gauge',
    labelNames: ['name'],
  },
  {
    name: 'keepalived_bfd_session_up',
    help: '1 while the BFD session is Up',
    type: 'gauge',
    labelNames: ['name'],
  },
  {
    name: 'keepalived_checker_real_server_up',
    help: '1 while the real server is in the pool',
    type: 'gauge',
    labelNames: ['virtual_server', 'real_server'],
  },
  {
    name: 'keepalived_checker_real_server_weight',
    help: 'Weight of the real server',
    type: 'gauge',
    labelNames: ['virtual_server', 'real_server'],
  },
  {
    name: 'keepalived_checker_up',
    help: "1 while the checker's verdict is up",
    type: 'gauge',
    labelNames: ['virtual_server', 'real_server', 'checker'],
  },
  {
    name: 'keepalived_checker_last_duration_seconds',
    help: "The checker's last probe duration",
    type: 'gauge',
    labelNames: ['virtual_server', 'real_server', 'checker'],
  },
];

function instanceLabels(i: InstanceStatus): Record<string, string> {
  return { iname: i.name, intf: i.interface, vrid: String(i.vrid) };
}

function bracketed(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Every sample of SNAPSHOT_FAMILIES for one document, by family name. `garpDelayS`: per instance.
 * Scripts are those some instance tracks (keepalived runs no other). */
export function snapshotSamples(
  doc: StatusDocument,
  garpDelayS: (instance: string) => number,
): Map<string, Sample[]> {
  const samples = new SnapshotSamples(garpDelayS);
  for (const i of doc.instances) samples.instance(i);
  return samples.finish(doc);
}

/** snapshotSamples() an instance at a time (the daemon spreads thousands over turns of its loop). */
export class SnapshotSamples {
  private readonly scripts = new Map<string, string>();
  private readonly out = new Map<string, Sample[]>(SNAPSHOT_FAMILIES.map((f) => [f.name, []]));

  constructor(private readonly garpDelayS: (instance: string) => number) {
    this.add('keepalived_up', {}, 1);
  }

  private add(name: string, labels: Record<string, string>, value: number): void {
    this.out.get(name)?.push({ labels, value });
  }

  instance(i: InstanceStatus): void {
    const add = this.add.bind(this);
    const scripts = this.scripts;
    const garpDelayS = this.garpDelayS;
    const base = instanceLabels(i);
    const state = STATE_NUMBER[i.state] ?? 0;
    // the exporter writes one sample per VIP, and one with an empty address when there is none
    if (i.vips.length === 0) add('keepalived_vrrp_state', { ...base, ip_address: '' }, state);
    for (const v of i.vips)
      add('keepalived_vrrp_state', { ...base, intf: v.interface, ip_address: v.address }, state);
    for (const v of i.excludedVips)
      add('keepalived_vrrp_excluded_state', { ...base, intf: v.interface, ip_address: v.address }, state);
    for (const [counter, name] of EXPORTER_COUNTERS) add(name, base, i.counters[counter]);
    add('keepalived_gratuitous_arp_delay_total', base, garpDelayS(i.name));
    add('keepalived_vrrp_base_priority', base, i.priority.base);
    add('keepalived_vrrp_effective_priority', base, i.priority.effective);
    for (const t of i.priority.trackers) {
      if (t.kind === 'script') scripts.set(t.name, t.status);
      const labels = { iname: i.name, tracker: `${t.kind}:${t.name}` };
      add('keepalived_vrrp_tracker_priority_contribution', labels, t.contribution);
      add('keepalived_vrrp_tracker_fault', labels, t.fault ? 1 : 0);
    }
    if (i.master.priority !== undefined) add('keepalived_vrrp_master_priority', base, i.master.priority);
    // a reason appears once it counted something: 17 zero series per instance would dominate a scrape
    for (const reason of DROP_REASONS)
      if (i.counters[reason] > 0)
        add('keepalived_vrrp_adverts_dropped_total', { ...base, reason }, i.counters[reason]);
  }

  /** The samples of everything but the instances; the whole set. */
  finish(doc: StatusDocument): Map<string, Sample[]> {
    this.others(doc);
    for (const vs of doc.virtualServers) for (const rs of vs.realServers) this.realServer(vs.name, rs);
    return this.out;
  }

  /** Scripts, sync groups and BFD sessions (what finish() adds but the real servers). */
  others(doc: Pick<StatusDocument, 'syncGroups' | 'bfd'>): void {
    const add = this.add.bind(this);
    for (const [name, status] of this.scripts)
      if (status === 'ok' || status === 'failed')
        add('keepalived_script_status', { name }, status === 'ok' ? 1 : 0);
    for (const g of doc.syncGroups)
      add('keepalived_sync_group_state', { name: g.name }, STATE_NUMBER[g.state] ?? 0);
    for (const b of doc.bfd) add('keepalived_bfd_session_up', { name: b.name }, b.up ? 1 : 0);
  }

  /** One real server's samples (the daemon adds thousands over turns of its loop). */
  realServer(
    virtualServer: string,
    rs: StatusDocument['virtualServers'][number]['realServers'][number],
  ): void {
    const labels = { virtual_server: virtualServer, real_server: bracketed(rs.address, rs.port) };
    this.add('keepalived_checker_real_server_up', labels, rs.up ? 1 : 0);
    this.add('keepalived_checker_real_server_weight', labels, rs.weight);
    for (const c of rs.checkers) {
      const cl = { ...labels, checker: c.id };
      this.add('keepalived_checker_up', cl, c.up ? 1 : 0);
      if (c.last !== undefined)
        this.add('keepalived_checker_last_duration_seconds', cl, c.last.durationMs / 1000);
    }
  }

  /** Every sample added so far, by family. */
  result(): Map<string, Sample[]> {
    return this.out;
  }
}

// ---- the exposition text, in pieces ----

/** Series rendered between two turns of the daemon's event loop (a scrape of 10,000 real servers is
 * 50,000 series: one family of them in one turn held the VRRP child's loop for tens of ms). */
export const SERIES_PER_TURN = 250;

export interface ExpositionValue {
  labels: Readonly<Record<string, string | number | undefined>>;
  value: number;
  /** A histogram's _bucket, _sum and _count lines. */
  metricName?: string;
}

/** A family as prom-client's Metric.get() returns it, or built from our own samples. */
export interface ExpositionFamily {
  name: string;
  help: string;
  type: string;
  /** Read as the text is written (a live Map's values do). */
  values: Iterable<ExpositionValue>;
  /** No label set repeats (prom-client's own families, a SeriesCounter): no merging pass. */
  unique?: boolean;
  /** Every value has exactly these labels: series are told apart by them without sorting each set. */
  labelNames?: readonly string[];
}

const escapeText = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function labelText(v: string | number | undefined): string {
  return typeof v === 'string' ? escapeText(v).replace(/"/g, '\\"') : String(v);
}

function valueText(v: number): string {
  if (Number.isNaN(v)) return 'Nan';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return `${v}`;
}

/** What prom-client tells series apart by: the metric name and the labels, whatever their order. */
function seriesKey(v: ExpositionValue, labelNames: readonly string[] | undefined): string {
  let key = v.metricName ?? '';
  if (labelNames !== undefined) {
    for (const n of labelNames) key += `\u0000${String(v.labels[n])}`;
    return key;
  }
  for (const n of Object.keys(v.labels).sort()) key += `,${n}:${String(v.labels[n])}`;
  return key;
}

/**
 * The Prometheus text of `families` exactly as prom-client's Registry.metrics() writes it (families
 * apart by a blank line, the same escapes and number forms; a label set given twice is one series, a
 * gauge's last value or a counter's sum), cut into pieces of about `seriesPerPiece` series: the daemon
 * lets its event loop turn between two pieces. The pieces joined are the text.
 */
export function* expositionPieces(
  families: Iterable<ExpositionFamily>,
  seriesPerPiece = SERIES_PER_TURN,
): Generator<string, void, undefined> {
  let parts: string[] = [];
  let work = 0;
  let first = true;
  const piece = (): string => {
    const text = parts.join('');
    parts = [];
    work = 0;
    return text;
  };
  for (const f of families) {
    const name = escapeText(f.name);
    parts.push(`${first ? '' : '\n\n'}# HELP ${name} ${escapeText(f.help)}\n# TYPE ${name} ${f.type}`);
    first = false;
    let series: Iterable<ExpositionValue> = f.values;
    if (!f.unique) {
      const at = new Map<string, number>();
      const merged: ExpositionValue[] = [];
      for (const v of f.values) {
        const key = seriesKey(v, f.labelNames);
        const i = at.get(key);
        if (i === undefined) {
          at.set(key, merged.length);
          merged.push(v);
        } else if (f.type === 'counter') {
          const was = merged[i] as ExpositionValue;
          merged[i] = { ...was, value: was.value + v.value };
        } else merged[i] = v;
        if (++work >= 2 * seriesPerPiece) yield piece();
      }
      series = merged;
    }
    for (const v of series) {
      const labels = Object.entries(v.labels).map(([n, x]) => `${n}="${labelText(x)}"`);
      const set = labels.length > 0 ? `{${labels.join(',')}}` : '';
      parts.push(`\n${v.metricName ?? name}${set} ${valueText(v.value)}`);
      if ((work += 2) >= 2 * seriesPerPiece) yield piece();
    }
  }
  parts.push('\n');
  yield piece();
}

/** A counter by label set, kept as the text is written from it (prom-client's Counter copies every series
 * of a family at each scrape: 10,000 real servers' verdicts took 8-12 ms in one turn). */
export class SeriesCounter {
  private readonly series = new Map<string, { labels: Record<string, string>; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
  ) {}

  inc(labels: Record<string, string>, by = 1): void {
    const key = this.labelNames.map((n) => labels[n] ?? '').join('\u0000');
    const s = this.series.get(key);
    if (s !== undefined) s.value += by;
    else this.series.set(key, { labels, value: by });
  }

  family(): ExpositionFamily {
    return { name: this.name, help: this.help, type: 'counter', values: this.series.values(), unique: true };
  }
}
