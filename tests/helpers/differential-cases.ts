// The configs of the differential harness (differential.ts): one DiffCase per feature a user's config may
// rely on. Node a starts at priority 100 under node b's 150, reloads at 200 (so a goes BACKUP -> MASTER on
// kill-peer, BACKUP on restore-peer, MASTER again on hup), unless a case says otherwise.
import type { ConfigContext, DiffCase } from './differential.js';

/** Node a's priority in a phase, node b's priority. */
export function priorityOf(ctx: ConfigContext): number {
  if (ctx.node === 'b') return 150;
  return ctx.phase === 'initial' ? 100 : 200;
}

export function globals(ctx: ConfigContext, extra: string[] = []): string {
  return [
    'global_defs {',
    `  router_id node${ctx.self}`,
    '  script_user root',
    ...extra.map((l) => `  ${l}`),
    '}',
    '',
  ].join('\n');
}

export interface SimpleInstance {
  name?: string;
  vrid?: number;
  interface?: string;
  priority?: number;
  advertInt?: number;
  lines?: string[];
  vips?: string[];
}

/** A vrrp_instance with the node's priority and notify script; `lines` go in verbatim. */
export function instance(ctx: ConfigContext, s: SimpleInstance = {}): string {
  return [
    `vrrp_instance ${s.name ?? 'VI_1'} {`,
    '  state BACKUP',
    `  interface ${s.interface ?? 'eth0'}`,
    `  virtual_router_id ${s.vrid ?? 51}`,
    `  priority ${s.priority ?? priorityOf(ctx)}`,
    `  advert_int ${s.advertInt ?? 1}`,
    `  notify ${ctx.notify}`,
    ...(s.lines ?? []).map((l) => `  ${l}`),
    '  virtual_ipaddress {',
    ...(s.vips ?? ['10.9.0.100/24']).map((v) => `    ${v}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

function simple(
  name: string,
  globalLines: string[],
  s: SimpleInstance | ((ctx: ConfigContext) => SimpleInstance),
  more: Partial<DiffCase> = {},
): DiffCase {
  return {
    name,
    instances: [typeof s === 'function' ? 'VI_1' : (s.name ?? 'VI_1')],
    config: (ctx) => globals(ctx, globalLines) + instance(ctx, typeof s === 'function' ? s(ctx) : s),
    ...more,
  };
}

export const DIFF_CASES: DiffCase[] = [
  simple('v2-ipv4-multicast', [], {}),
  simple('v3-ipv4-multicast', [], { lines: ['version 3'] }),
  simple('v3-ipv6-multicast', [], { lines: ['version 3'], vips: ['2001:db8:9::100/64'] }),
  simple('vrrp_version-3-global', ['vrrp_version 3'], { advertInt: 0.5 }),
  simple('v2-advert_int-non-integer', [], { advertInt: 1.5 }),
  simple('vips-labels-scopes-dev', [], {
    vips: [
      '10.9.0.100/24 label eth0:vip',
      '10.9.0.101',
      '10.9.0.102/32 scope link',
      '10.9.1.100/24 dev eth1',
      '10.9.1.101/24 dev eth1 label eth1:x',
      '192.168.77.1/24 dev eth1 scope host',
      '2001:db8:9::100/64',
      '10.9.0.103/24 brd 10.9.0.255 noprefixroute',
    ],
  }),
  {
    name: 'multiple-instances-per-interface',
    instances: ['VI_1', 'VI_2', 'VI_3'],
    config: (ctx) =>
      globals(ctx) +
      instance(ctx, { name: 'VI_1', vrid: 51 }) +
      instance(ctx, { name: 'VI_2', vrid: 52, vips: ['10.9.0.110/24', '10.9.0.111/24'] }) +
      instance(ctx, {
        name: 'VI_3',
        vrid: 53,
        interface: 'eth1',
        lines: ['version 3'],
        vips: ['10.9.1.100/24', '2001:db8:9:1::100/64'],
      }),
  },
  simple('excluded-routes-rules', [], {
    lines: [
      'virtual_ipaddress_excluded {',
      '  10.9.0.200/24',
      '  10.9.1.200/24 dev eth1',
      '  2001:db8:9::200/64',
      '}',
      'virtual_routes {',
      '  10.20.0.0/24 via 10.9.0.254',
      '  src 10.9.0.100 10.21.0.0/24 via 10.9.0.254 dev eth0',
      '  10.22.0.0/24 via 10.9.0.254 table 100 metric 7',
      '  blackhole 10.23.0.0/24',
      '  2001:db8:77::/64 via 2001:db8:9::254',
      '}',
      'virtual_rules {',
      '  from 10.9.0.100/32 table 100 priority 1000',
      '  to 10.24.0.0/24 table 100 priority 1001',
      '}',
    ],
  }),
  {
    name: 'sync-group',
    instances: ['VI_1', 'VI_2'],
    config: (ctx) =>
      globals(ctx) +
      [
        'vrrp_sync_group SG {',
        '  group {',
        '    VI_1',
        '    VI_2',
        '  }',
        `  notify ${ctx.notify}`,
        '}',
        '',
      ].join('\n') +
      instance(ctx, { name: 'VI_1', vrid: 51 }) +
      instance(ctx, { name: 'VI_2', vrid: 52, interface: 'eth1', vips: ['10.9.1.100/24'] }),
  },
  simple('nopreempt', [], { lines: ['nopreempt'] }),
  // b (150, preempt_delay 3) takes a's MASTER back 3 s + master-down after it restarts: a longer step
  simple('preempt_delay', [], { lines: ['preempt_delay 3'] }, { stepMs: { 'restore-peer': 9000 } }),
  simple('unicast-v2', [], (ctx) => ({
    lines: [`unicast_src_ip 10.9.0.${ctx.self}`, 'unicast_peer {', `  10.9.0.${ctx.peer}`, '}'],
  })),
  simple('unicast-v3-ipv6', [], (ctx) => ({
    lines: [
      'version 3',
      `unicast_src_ip 2001:db8:9::${ctx.self}`,
      'unicast_peer {',
      `  2001:db8:9::${ctx.peer}`,
      '}',
    ],
    vips: ['2001:db8:9::100/64'],
  })),
  simple('garp-instance-knobs', [], {
    lines: [
      'garp_master_delay 2',
      'garp_master_repeat 3',
      'garp_master_refresh 3',
      'garp_master_refresh_repeat 2',
    ],
    vips: ['10.9.0.100/24', '2001:db8:9::100/64'],
  }),
  simple(
    'garp-global-knobs',
    [
      'vrrp_garp_master_delay 3',
      'vrrp_garp_master_repeat 2',
      'vrrp_garp_master_refresh 4',
      'vrrp_garp_master_refresh_repeat 1',
      'vrrp_garp_interval 0.2',
      'vrrp_gna_interval 0.3',
      'vrrp_garp_lower_prio_repeat 2',
    ],
    { vips: ['10.9.0.100/24', '2001:db8:9::100/64'] },
  ),
  simple('track_interface-weight', [], { lines: ['track_interface {', '  eth1 weight 60', '}'] }, {}),
  simple('dont_track_primary', [], { lines: ['dont_track_primary'] }),
  simple('owner-priority-255', [], (ctx) => ({ priority: ctx.node === 'a' ? 255 : 150 })),
  simple('v3-accept', [], { lines: ['version 3', 'accept'] }),
  simple('v3-no_accept', [], { lines: ['version 3', 'no_accept'] }),
  simple(
    'validation-globals',
    [
      'vrrp_skip_check_adv_addr',
      'vrrp_check_unicast_src',
      'vrrp_lower_prio_no_advert',
      'vrrp_higher_prio_send_advert',
    ],
    {},
  ),
  simple('lower_prio_no_advert-instance', [], { lines: ['lower_prio_no_advert', 'higher_prio_send_advert'] }),
  simple('vrrp_startup_delay', ['vrrp_startup_delay 2'], {}),
  simple('state-master-nonowner', [], { lines: ['state MASTER'] }),
];
