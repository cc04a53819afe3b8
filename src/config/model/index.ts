// The typed model of a whole keepalived.conf: the ConfigNode tree dispatched by top-level keyword to
// the block builders, then the semantic checks that need the whole picture.
import { resolveTables, tableResolverFor } from './static/route-tables.js';
import { checkScriptSecurity } from './shared/script-security.js';
import { ScriptUsers } from './shared/script-user.js';
import { checkStaticInterfaces, vrrpStopsOnMissingInterface } from './static/interface-checks.js';
import type { ConfigNode, SourceLocation } from '../types.js';
import { type BfdInstance, buildBfdInstance } from './bfd/bfd-instance.js';
import { checkVrrpReferences, finalizeInstances } from './vrrp/finalize.js';
import { warnUnresolvedVariables } from './shared/unresolved-variables.js';
import {
  defaultGlobalDefs,
  type GlobalDefs,
  readGlobalDefs,
  TOP_LEVEL_GLOBAL_TABLE,
} from './global/global.js';
import {
  type GarpGroup,
  type InterfaceDelays,
  type LinkbeatInterface,
  readGarpGroup,
  readInterfaceDelays,
  readLinkbeatInterfaces,
  readTrackGroup,
  type TrackGroup,
} from './global/interface-groups.js';
import { readStatusHttp, type StatusHttpConfig } from './global/status-http.js';
import { buildSsl, buildVirtualServer, buildVirtualServerGroup } from './lvs/virtual-server.js';
import { checkLvs } from './lvs/consistency.js';
import type { SslConfig, VirtualServer, VirtualServerGroup } from './lvs/types.js';
import { type IpAddressSpec, readAddressBlock } from './static/addresses.js';
import { readRouteBlock, type RouteSpec } from './static/routes.js';
import { readRuleBlock, type RuleSpec } from './static/rules.js';
import { checkStaticTrackGroups, checkTrackGroupReferences } from './static/track-groups.js';
import { type SyncGroup, buildSyncGroup } from './vrrp/sync-group.js';
import { simpleHandlers } from './shared/table.js';
import type { BuildContext, Handlers } from './shared/values.js';
import { walk } from './shared/values.js';
import { buildVrrpInstance, type VrrpInstance } from './vrrp/instance.js';
import {
  buildTrackFile,
  buildTrackProcess,
  buildVrrpScript,
  type TrackFile,
  type TrackProcess,
  type VrrpScript,
} from './vrrp/script.js';

export interface Model {
  global: GlobalDefs;
  vrrpScripts: VrrpScript[];
  trackFiles: TrackFile[];
  trackProcesses: TrackProcess[];
  syncGroups: SyncGroup[];
  instances: VrrpInstance[];
  staticAddresses: IpAddressSpec[];
  staticRoutes: RouteSpec[];
  staticRules: RuleSpec[];
  linkbeatInterfaces: LinkbeatInterface[];
  interfaceUpDownDelays: InterfaceDelays[];
  garpGroups: GarpGroup[];
  trackGroups: TrackGroup[];
  virtualServerGroups: VirtualServerGroup[];
  virtualServers: VirtualServer[];
  /** Names of every bfd_instance block, valid or not: track_bfd and BFD_CHECK references resolve by name
   * alone, as in keepalived's VRRP and checker processes. */
  bfdInstances: Array<{ name: string; location: SourceLocation }>;
  /** The valid bfd_instance blocks: the sessions the BFD child runs. */
  bfd: BfdInstance[];
  /** The top-level SSL block used by SSL_GET checkers. */
  ssl?: SslConfig;
  /** keepalived-ts's status listener (status_http); absent: off. */
  statusHttp?: StatusHttpConfig;
}

export function emptyModel(): Model {
  return {
    global: defaultGlobalDefs(),
    vrrpScripts: [],
    trackFiles: [],
    trackProcesses: [],
    syncGroups: [],
    instances: [],
    staticAddresses: [],
    staticRoutes: [],
    staticRules: [],
    linkbeatInterfaces: [],
    interfaceUpDownDelays: [],
    garpGroups: [],
    trackGroups: [],
    virtualServerGroups: [],
    virtualServers: [],
    bfdInstances: [],
    bfd: [],
  };
}

const namedIndex = new WeakMap<object[], Map<string, object>>();

/**
 * A vrrp_instance, vrrp_sync_group or track_group whose name is taken: keepalived checks the name before
 * it reads the block and skips the whole second block, so nothing inside it is read or reported.
 */
function addFirstNamed<T extends { name: string; location: { file: string; line: number } }>(
  list: T[],
  node: ConfigNode,
  ctx: BuildContext,
  build: () => T | undefined,
): void {
  const name = node.args[0];
  const first = name !== undefined ? list.find((x) => x.name === name) : undefined;
  if (first === undefined) addNamed(list, build(), node, ctx);
  else
    ctx.diags.error(
      node,
      node.keyword,
      `${name} is already defined at ${first.location.file}:${first.location.line}, ignored`,
    );
}

/** Keeps the first of two same-named objects and reports the second. */
function addNamed<T extends { name: string; location: { file: string; line: number } }>(
  list: T[],
  item: T | undefined,
  node: ConfigNode,
  ctx: BuildContext,
  /** keepalived 2.2.7 keeps a second vrrp_script / track_file / track_process of the same name without a
   * word (lookups by name find the first): only a note for those. */
  duplicate: 'error' | 'note' = 'error',
): void {
  if (!item) return;
  // An index per list keeps this linear: configs with thousands of instances are real.
  let index = namedIndex.get(list);
  if (index === undefined) {
    index = new Map(list.map((x) => [x.name, x] as const));
    namedIndex.set(list, index);
  }
  const first = index.get(item.name) as T | undefined;
  if (first) {
    ctx.diags[duplicate](
      node,
      node.keyword,
      `${item.name} is already defined at ${first.location.file}:${first.location.line}, ignored`,
    );
    return;
  }
  list.push(item);
  index.set(item.name, item);
}

/** `table NAME` of every route and rule, as numbers (route-tables.ts). */
function resolveRouteTables(
  m: Model,
  resolve: (table: string) => number | undefined,
  ctx: BuildContext,
): void {
  m.staticRoutes = resolveTables(m.staticRoutes, resolve, ctx.diags, 'route');
  m.staticRules = resolveTables(m.staticRules, resolve, ctx.diags, 'rule');
  for (const inst of m.instances) {
    inst.virtualRoutes = resolveTables(inst.virtualRoutes, resolve, ctx.diags, 'route');
    inst.virtualRules = resolveTables(inst.virtualRules, resolve, ctx.diags, 'rule');
  }
}

export function buildModel(nodes: ConfigNode[], ctx: BuildContext): Model {
  const m = emptyModel();
  warnUnresolvedVariables(nodes, ctx);
  const vrrpCtx: BuildContext = { ...ctx, missingArgumentStops: true };
  // keepalived 2.2.7's checker process stops the same way on a virtual_server keyword without its argument
  const lvsCtx: BuildContext = { ...ctx, missingArgumentStops: true };
  const scriptUsers = new ScriptUsers(ctx, nodes);
  const handlers: Handlers = {
    ...simpleHandlers(m.global, TOP_LEVEL_GLOBAL_TABLE, ctx),
    global_defs: (n) => {
      readGlobalDefs(n, ctx, m.global);
      scriptUsers.global(n, m.global.scriptUser);
    },
    linkbeat_interfaces: (n) =>
      m.linkbeatInterfaces.push(...readLinkbeatInterfaces(n, ctx, m.global.dynamicInterfaces)),
    interface_up_down_delays: (n) => m.interfaceUpDownDelays.push(...readInterfaceDelays(n, ctx)),
    garp_group: (n) => {
      const g = readGarpGroup(n, ctx, m.garpGroups);
      if (g) m.garpGroups.push(g);
    },
    track_group: (n) => addFirstNamed(m.trackGroups, n, ctx, () => readTrackGroup(n, ctx)),
    // A track_group must be declared before the static line that names it (checkTrackGroupReferences).
    static_ipaddress: (n) =>
      m.staticAddresses.push(
        ...checkTrackGroupReferences(readAddressBlock(n, ctx), m.trackGroups, 'address', ctx),
      ),
    static_routes: (n) =>
      m.staticRoutes.push(...checkTrackGroupReferences(readRouteBlock(n, ctx), m.trackGroups, 'route', ctx)),
    static_rules: (n) =>
      m.staticRules.push(...checkTrackGroupReferences(readRuleBlock(n, ctx), m.trackGroups, 'rule', ctx)),
    vrrp_script: (n) =>
      vrrpSide(ctx, () => {
        const s = buildVrrpScript(n, vrrpCtx);
        addNamed(m.vrrpScripts, s && scriptUsers.vrrpScript(n, s), n, ctx, 'note');
      }),
    track_file: (n) => addNamed(m.trackFiles, buildTrackFile(n, ctx), n, ctx, 'note'),
    vrrp_track_process: (n) => addNamed(m.trackProcesses, buildTrackProcess(n, ctx), n, ctx, 'note'),
    track_process: (n) => addNamed(m.trackProcesses, buildTrackProcess(n, ctx), n, ctx, 'note'),
    vrrp_sync_group: (n) =>
      vrrpSide(ctx, () => addFirstNamed(m.syncGroups, n, ctx, () => buildSyncGroup(n, vrrpCtx))),
    vrrp_instance: (n) =>
      vrrpSide(ctx, () => addFirstNamed(m.instances, n, ctx, () => buildVrrpInstance(n, vrrpCtx))),
    virtual_server_group: (n) =>
      checkerSide(ctx, () => {
        const g = buildVirtualServerGroup(n, lvsCtx);
        if (g) m.virtualServerGroups.push(g);
      }),
    virtual_server: (n) =>
      checkerSide(ctx, () => {
        const s = buildVirtualServer(n, lvsCtx);
        if (s) m.virtualServers.push(s);
      }),
    status_http: (n) => {
      if (m.statusHttp) ctx.diags.warn(n, n.keyword, 'status_http is already defined, this one replaces it');
      const cfg = readStatusHttp(n, ctx);
      if (cfg) m.statusHttp = cfg;
      else delete m.statusHttp;
    },
    SSL: (n) => {
      if (m.ssl) ctx.diags.warn(n, n.keyword, 'SSL is already defined, this one replaces it');
      m.ssl = buildSsl(n, ctx);
    },
    bfd_instance: (n) => {
      const bfd = buildBfdInstance(n, ctx, m.bfd);
      if (bfd) m.bfd.push(bfd);
      const name = n.args[0];
      if (name !== undefined && !m.bfdInstances.some((b) => b.name === name))
        m.bfdInstances.push({ name, location: { file: n.file, line: n.line } });
    },
  };
  walk(nodes, ctx, handlers, 'the top level', { vrrp_track_file: 'track_file' });
  scriptUsers.finish();
  if (ctx.files !== undefined) resolveRouteTables(m, tableResolverFor(ctx.files, m.global), ctx);
  vrrpSide(ctx, () => {
    finalizeInstances(m, ctx);
    checkVrrpReferences(m, ctx);
    checkStaticTrackGroups(m, ctx);
  });
  const interfaceUsers = {
    dynamicInterfaces: m.global.dynamicInterfaces,
    staticAddresses: m.staticAddresses,
    staticRoutes: m.staticRoutes,
    virtualRoutes: m.instances.map((i) => i.virtualRoutes),
  };
  checkStaticInterfaces(interfaceUsers, ctx);
  const vrrpStops = vrrpStopsOnMissingInterface(
    {
      ...interfaceUsers,
      instances: m.instances,
      syncGroupTracks: m.syncGroups.flatMap((g) => g.track.interfaces.map((t) => t.name)),
    },
    ctx,
  );
  checkScriptSecurity(m, ctx, { vrrpStops });
  checkerSide(ctx, () =>
    checkLvs(m.virtualServerGroups, m.virtualServers, ctx, {
      trackFiles: new Set(m.trackFiles.map((f) => f.name)),
      bfdInstances: new Set(m.bfdInstances.map((b) => b.name)),
    }),
  );
  return m;
}

/** Marks what `build` reports as found by keepalived's VRRP process (see Diagnostic.vrrp). */
function vrrpSide(ctx: BuildContext, build: () => void): void {
  const from = ctx.diags.items.length;
  build();
  for (const d of ctx.diags.items.slice(from)) d.vrrp = true;
}

/** Marks what `build` reports as found by keepalived's checker process alone (see Diagnostic.checker). */
function checkerSide(ctx: BuildContext, build: () => void): void {
  const from = ctx.diags.items.length;
  build();
  for (const d of ctx.diags.items.slice(from)) d.checker = true;
}
