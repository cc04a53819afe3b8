// Round trip: a random model of the global + VRRP side, printed by print.ts and read back by the real
// reader (preprocessor + block parser + model builder), is the same model, without a diagnostic.
// The LVS side rides along: the LVS models of the corpus (tests/corpus/lvs) are printed by lvs/print.ts
// in the same text.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FsConfigHost } from '../../../../src/daemon/process/fs-config-host.js';
import { loadModel } from '../../../../src/config/index.js';
import { inheritedInstanceDefaults } from '../../../../src/config/model/vrrp/finalize.js';
import {
  defaultGlobalDefs,
  GLOBAL_TABLE,
  type GlobalDefs,
} from '../../../../src/config/model/global/global.js';
import { emptyModel, type Model } from '../../../../src/config/model/index.js';
import { parseIp } from '../../../../src/config/model/shared/ip.js';
import { printModel } from '../../../../src/config/model/print.js';
import type { IpAddressSpec } from '../../../../src/config/model/static/addresses.js';
import type { PrefixValue } from '../../../../src/config/model/shared/line-parts.js';
import type { RouteSpec } from '../../../../src/config/model/static/routes.js';
import type { RuleSpec } from '../../../../src/config/model/static/rules.js';
import type { SimpleSpec } from '../../../../src/config/model/shared/table.js';
import type { NotifyScripts, ScriptCommand, TrackRef } from '../../../../src/config/model/vrrp/tracking.js';
import type { VrrpInstance } from '../../../../src/config/model/vrrp/instance.js';
import type { TrackFile, TrackProcess, VrrpScript } from '../../../../src/config/model/vrrp/script.js';
import type { SyncGroup } from '../../../../src/config/model/vrrp/sync-group.js';
import { formatDiagnostic } from '../../../../src/config/types.js';
import { MemoryHost } from '../memory-host.js';
import { stripLocations } from '../model-helpers.js';

const LOC = { file: '/gen.conf', line: 1 };
// Built from character sets rather than fc.stringMatching, which is slow to instantiate in chains.
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const chars = (alphabet: string, minLength: number, maxLength: number) =>
  fc.array(fc.constantFrom(...alphabet), { minLength, maxLength }).map((a) => a.join(''));
const word = fc.tuple(chars(LOWER, 1, 1), chars(LOWER + DIGITS + '_.-', 0, 8)).map(([a, b]) => a + b);
const ident = fc
  .tuple(chars(LOWER + LOWER.toUpperCase(), 1, 1), chars(LOWER + DIGITS + '_', 0, 8))
  .map(([a, b]) => a + b);
const path = fc
  .tuple(chars(LOWER, 1, 6), fc.array(chars(LOWER + DIGITS + '_.-', 1, 8), { maxLength: 2 }))
  .map(([top, rest]) => ['', top, ...rest].join('/'));
const password = chars(LOWER + DIGITS, 1, 8);
const hmacKey = chars(LOWER + DIGITS, 32, 40);

// ---------- addresses ----------
const v4 = fc
  .tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 }))
  .map((t) => t.join('.'));
const v6 = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
  .map((g) => (parseIp(g.map((x) => x.toString(16)).join(':')) as { address: string }).address)
  .filter((a) => !a.startsWith('ff'));
const ipOf = (family: 4 | 6) => (family === 4 ? v4 : v6);
const prefixOf = (family: 4 | 6): fc.Arbitrary<PrefixValue> =>
  fc
    .tuple(ipOf(family), fc.boolean(), fc.integer({ min: 0, max: family === 4 ? 32 : 128 }))
    .map(([address, has, len]) => ({
      address,
      hasPrefix: has,
      prefix: has ? len : family === 4 ? 32 : 128,
    }));
const ifname = fc.constantFrom('eth0', 'eth1', 'bond0', 'ens3.100');

/** A static_ipaddress line (`track_group`, no `use_vmac`) or a VIP line (`use_vmac`, no `track_group`). */
function addressSpec(family: 4 | 6, kind: 'static' | 'virtual' = 'virtual'): fc.Arbitrary<IpAddressSpec> {
  return fc
    .record({
      p: prefixOf(family),
      broadcast:
        family === 4
          ? fc.option(fc.oneof(v4, fc.constantFrom('+', '-')), { nil: undefined })
          : fc.constant(undefined),
      dev: fc.option(ifname, { nil: undefined }),
      scope: fc.option(fc.constantFrom('global', 'site', 'link', 'host', 'nowhere' as const), {
        nil: undefined,
      }),
      label: fc.option(fc.constantFrom('eth0:1', 'eth1:vip'), { nil: undefined }),
      peer: fc.option(prefixOf(family), { nil: undefined }),
      flags: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
      trackGroup: fc.option(ident, { nil: undefined }),
      preferredLft: fc.option(fc.oneof(fc.nat(100000), fc.constant('forever' as const)), { nil: undefined }),
    })
    .map((r) => ({
      location: LOC,
      family,
      ...r.p,
      broadcast: r.broadcast,
      dev: r.dev,
      scope: r.scope,
      label: r.label,
      peer: r.peer,
      home: r.flags[0] ?? false,
      nodad: r.flags[1] ?? false,
      mngtmpaddr: r.flags[2] ?? false,
      noprefixroute: r.flags[3] ?? false,
      autojoin: r.flags[4] ?? false,
      noTrack: r.flags[5] ?? false,
      useVmac: kind === 'virtual' && (r.flags[6] ?? false),
      trackGroup: kind === 'static' ? r.trackGroup : undefined,
      preferredLft: r.preferredLft,
    }));
}

function routeSpec(family: 4 | 6): fc.Arbitrary<RouteSpec> {
  return fc
    .record({
      type: fc.constantFrom('unicast', 'blackhole', 'unreachable' as const),
      destination: prefixOf(family),
      src: fc.option(ipOf(family), { nil: undefined }),
      via: fc.option(ipOf(family), { nil: undefined }),
      dev: fc.option(ifname, { nil: undefined }),
      table: fc.option(fc.oneof(fc.integer({ min: 1, max: 250 }).map(String), fc.constant('main')), {
        nil: undefined,
      }),
      metric: fc.option(fc.nat(1000), { nil: undefined }),
      onlink: fc.boolean(),
      noTrack: fc.boolean(),
      mode: fc.constantFrom('prepend', 'add', 'append' as const),
      nexthops: fc.array(
        fc.record({
          via: ipOf(family),
          weight: fc.option(fc.integer({ min: 1, max: 256 }), { nil: undefined }),
          onlink: fc.boolean(),
        }),
        { maxLength: 2 },
      ),
      options: fc.array(
        fc.oneof(
          fc.tuple(
            fc.constant('mtu'),
            fc.oneof(fc.integer({ min: 576, max: 9000 }).map(String), fc.constant('lock 1400')),
          ),
          fc.tuple(fc.constant('protocol'), fc.constantFrom('bird', '12')),
          fc.tuple(fc.constant('realms'), fc.constant('10/20')),
        ),
        { maxLength: 2 },
      ),
    })
    .map((r) => ({
      location: LOC,
      family,
      type: r.type,
      destination: r.destination,
      src: r.src,
      via: r.via,
      dev: r.dev,
      table: r.table,
      // what route-tables.ts makes of it when the text is read again
      tableId: r.table === undefined ? undefined : r.table === 'main' ? 254 : Number(r.table),
      metric: r.metric,
      onlink: r.onlink,
      noTrack: r.noTrack,
      mode: r.mode,
      nexthops: r.nexthops.map((h) => (h.weight === undefined ? { via: h.via, onlink: h.onlink } : h)),
      options: r.options.map(([k, v]) => [k, v] as [string, string]),
    }))
    .map((r) => JSON.parse(JSON.stringify(r)) as RouteSpec);
}

function ruleSpec(family: 4 | 6): fc.Arbitrary<RuleSpec> {
  return (
    fc
      .record({
        from: fc.option(prefixOf(family), { nil: undefined }),
        to: fc.option(prefixOf(family), { nil: undefined }),
        // exactly one action, as keepalived wants: a table, or one of the bare ones
        action: fc.oneof(
          fc.integer({ min: 1, max: 250 }).map(String),
          fc.constantFrom('l3mdev', 'nop', 'blackhole', 'prohibit', 'unreachable'),
        ),
        preference: fc.option(fc.nat(32765), { nil: undefined }),
        not: fc.boolean(),
        noTrack: fc.boolean(),
        options: fc.array(
          fc.oneof(
            fc.tuple(fc.constant('iif'), ifname),
            fc.tuple(fc.constant('fwmark'), fc.constant('0x10/0xff')),
            fc.tuple(fc.constant('uidrange'), fc.constant('1000-1999')),
          ),
          { maxLength: 2 },
        ),
      })
      // A rule line with no selector at all prints as nothing and cannot come back.
      .filter((r) => r.from !== undefined || r.to !== undefined)
      .map(({ action, not, ...r }) => {
        const table = /^\d+$/.test(action) ? action : undefined;
        const flags = [...(not ? ['not'] : []), ...(table === undefined ? [action] : [])];
        return JSON.parse(
          JSON.stringify({
            location: LOC,
            family,
            ...r,
            table,
            flags,
            tableId: table === undefined ? undefined : Number(table),
          }),
        ) as RuleSpec;
      })
  );
}

// ---------- scripts and trackers ----------
const scriptCommand: fc.Arbitrary<ScriptCommand> = fc
  .record({
    command: fc.oneof(
      path,
      fc.tuple(path, word).map(([p, a]) => `${p} ${a}`),
    ),
    user: fc.option(word, { nil: undefined }),
    group: fc.option(
      fc.oneof(
        word,
        word.map((w) => `:${w}`),
      ),
      { nil: undefined },
    ),
  })
  .map((s) =>
    s.user === undefined
      ? { command: s.command }
      : s.group === undefined
        ? { command: s.command, user: s.user }
        : s,
  );

const notifyScripts: fc.Arbitrary<NotifyScripts> = fc
  .record(
    {
      master: scriptCommand,
      backup: scriptCommand,
      fault: scriptCommand,
      stop: scriptCommand,
      deleted: fc.oneof(scriptCommand, fc.constant(true as const)),
      masterRxLowerPri: scriptCommand,
      any: scriptCommand,
    },
    { requiredKeys: [] },
  )
  .map((n) => n as NotifyScripts);

const trackRef = (names: fc.Arbitrary<string>, limit: number): fc.Arbitrary<TrackRef> =>
  fc
    .record({
      name: names,
      weight: fc.option(fc.integer({ min: -limit, max: limit }), { nil: undefined }),
      reverse: fc.boolean(),
    })
    .map((r) => JSON.parse(JSON.stringify({ location: LOC, ...r })) as TrackRef);

const uniqueRefs = (names: fc.Arbitrary<string>, limit: number) =>
  fc.uniqueArray(trackRef(names, limit), { selector: (r) => r.name, maxLength: 3 });

const refsTo = (names: string[], limit: number): fc.Arbitrary<TrackRef[]> =>
  names.length > 0 ? uniqueRefs(fc.constantFrom(...names), limit) : fc.constant([]);

// ---------- global ----------
const SKIPPED_GLOBALS = new Set(['vrrp_min_garp', 'include_check', 'random_seed']);
function simpleValue(spec: SimpleSpec): fc.Arbitrary<unknown> {
  switch (spec.kind) {
    case 'flag':
      return fc.boolean();
    case 'int':
      return fc.integer({ min: Math.max(spec.min, -0x7fffffff), max: Math.min(spec.max, 0x7fffffff) });
    case 'decimal':
      return fc
        .integer({ min: Math.ceil(spec.min * 1000), max: Math.floor(spec.max * 1000) })
        .map((n) => n / 1000);
    case 'word':
      return word;
    case 'rest':
      return fc.array(word, { minLength: 1, maxLength: 3 }).map((w) => w.join(' '));
    case 'script':
      return fc.record({ command: word, user: word }, { requiredKeys: ['command'] });
    case 'words':
      return fc.array(word, { maxLength: 3 });
    case 'optword':
      return fc.oneof(fc.constant(''), word);
    case 'choice':
      return fc.constantFrom(...spec.values);
  }
}

const globalDefs: fc.Arbitrary<GlobalDefs> = fc
  .record({
    // vrrp_min_garp rewrites other fields; include_check and random_seed are read by the preprocessor.
    picks: fc.uniqueArray(fc.constantFrom(...GLOBAL_TABLE.filter((e) => !SKIPPED_GLOBALS.has(e.keyword))), {
      selector: (e) => e.keyword,
      maxLength: 12,
    }),
    emails: fc.array(
      word.map((w) => `${w}@example.com`),
      { maxLength: 2 },
    ),
    version: fc.constantFrom(2, 3 as const),
    mcast4: fc.constantFrom('224.0.0.18', '224.0.0.19'),
  })
  .chain((r) =>
    fc.tuple(...r.picks.map((e) => simpleValue(e.spec))).map((vals) => {
      const g = defaultGlobalDefs();
      r.picks.forEach((e, i) => {
        (g as unknown as Record<string, unknown>)[e.field] = vals[i];
      });
      g.notificationEmail = r.emails;
      g.vrrpVersion = r.version;
      g.vrrpMcastGroup4 = r.mcast4;
      // Strict mode reshapes instances (tested on its own); the round trip covers the rest.
      g.vrrpStrict = false;
      g.location = undefined;
      return g;
    }),
  );

// ---------- instances ----------
interface Names {
  scripts: string[];
  files: string[];
  processes: string[];
}

function instance(index: number, g: GlobalDefs, names: Names): fc.Arbitrary<VrrpInstance> {
  return fc
    .record({
      family: fc.constantFrom(4, 6 as const),
      state: fc.constantFrom('MASTER', 'BACKUP' as const),
      priority: fc.integer({ min: 1, max: 255 }),
      iface: ifname,
      versionSet: fc.boolean(),
      version: fc.constantFrom(2, 3 as const),
      advertCs: fc.integer({ min: 1, max: 4095 }),
      accept: fc.boolean(),
      preempt: fc.boolean(),
      preemptDelay: fc.integer({ min: 0, max: 100000 }).map((n) => n / 100),
      auth: fc.option(
        fc.record({
          type: fc.constantFrom('PASS', 'AH' as const),
          password,
        }),
        {
          nil: undefined,
        },
      ),
      hmac: fc.option(
        fc.record({
          keys: fc.uniqueArray(
            fc.record({
              id: fc.integer({ min: 1, max: 255 }),
              value: hmacKey,
            }),
            { selector: (k) => k.id, minLength: 1, maxLength: 3 },
          ),
          antiReplay: fc.constantFrom('time', 'monotonic' as const),
          mode: fc.constantFrom('enforce', 'permissive', 'receive-only' as const),
          timeWindow: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
        }),
        { nil: undefined },
      ),
      nVips: fc.integer({ min: 1, max: 3 }),
      seed: fc.nat(),
      peers: fc.nat(2),
      srcIp: fc.boolean(),
      garp: fc.option(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), {
        nil: undefined,
      }),
      flags: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      notify: notifyScripts,
      vmac: fc.option(
        fc.record({
          name: fc.option(fc.constantFrom('vrrp.1', 'vmac1'), { nil: undefined }),
          netlinkNotifyMsg: fc.boolean(),
        }),
        { nil: undefined },
      ),
      debug: fc.integer({ min: 0, max: 4 }),
    })
    .chain((r) =>
      fc
        .record({
          vips: fc.array(addressSpec(r.family), { minLength: r.nVips, maxLength: r.nVips }),
          excluded: fc.array(addressSpec(r.family === 4 ? 6 : 4), { maxLength: 2 }),
          routes: fc.array(routeSpec(r.family), { maxLength: 2 }),
          rules: fc.array(ruleSpec(r.family), { maxLength: 2 }),
          peers: fc.uniqueArray(
            fc.record({
              address: ipOf(r.family),
              minTtl: fc.option(fc.nat(255), { nil: undefined }),
              maxTtl: fc.option(fc.nat(255), { nil: undefined }),
            }),
            { selector: (p) => p.address, maxLength: r.peers },
          ),
          src: ipOf(r.family),
          interfaces: uniqueRefs(fc.constantFrom('eth5', 'eth6', 'eth7'), 253),
          scripts: refsTo(names.scripts, 253),
          files: refsTo(names.files, 254),
          processes: refsTo(names.processes, 254),
        })
        .map((x) => {
          const i = inheritedInstanceDefaults(g);
          i.name = `VI_${index}`;
          i.location = LOC;
          i.state = r.state;
          i.interface = r.iface;
          i.virtualRouterId = index + 1;
          i.family = r.family;
          i.priority = r.priority;
          i.versionSet = r.versionSet;
          i.version = r.versionSet ? r.version : r.family === 6 ? 3 : g.vrrpVersion;
          i.advertInt = i.version === 2 ? Math.max(1, Math.round(r.advertCs / 100)) : r.advertCs / 100;
          if (i.advertInt > 255) i.advertInt = 255;
          i.accept = r.accept;
          // nopreempt with the address owner is undone by the checks, so only generate it below 255.
          i.preempt = r.priority === 255 ? true : r.preempt;
          i.preemptDelay = r.preemptDelay;
          if (r.auth && i.version === 2) {
            i.authentication = { location: LOC, ...r.auth };
            // keepalived starts an AH instance that is not the address owner as BACKUP: the checks do too.
            if (r.auth.type === 'AH' && i.priority !== 255) i.state = 'BACKUP';
          } else if (r.hmac)
            i.authHmac = JSON.parse(
              JSON.stringify({
                location: LOC,
                ...r.hmac,
                activeKey: r.hmac.keys[r.hmac.keys.length - 1]?.id,
              }),
            ) as VrrpInstance['authHmac'];
          i.virtualIpaddresses = x.vips;
          i.virtualIpaddressesExcluded = x.excluded;
          i.virtualRoutes = x.routes;
          i.virtualRules = x.rules;
          i.unicastPeers = x.peers.map((p) =>
            JSON.parse(JSON.stringify({ location: LOC, family: r.family, ...p })),
          ) as VrrpInstance['unicastPeers'];
          if (i.unicastPeers.some((p) => p.minTtl !== undefined || p.maxTtl !== undefined))
            i.checkUnicastSrc = true;
          if (r.srcIp) i.srcIp = x.src;
          if (r.garp)
            [i.garpMasterDelay, i.garpMasterRepeat, i.garpLowerPrioDelay, i.garpLowerPrioRepeat] = r.garp;
          // keepalived clears vmac_xmit_base (with an error) on an instance without use_vmac
          i.vmacXmitBase = (r.flags[0] ?? false) && r.vmac !== undefined;
          i.dontTrackPrimary = r.flags[1] ?? false;
          // keepalived refuses promote_secondaries with use_vmac (it sets it on VMACs anyway)
          i.promoteSecondaries = (r.flags[2] ?? false) && !r.vmac;
          i.trackSrcIp = r.flags[3] ?? false;
          i.lowerPrioNoAdvert = r.flags[4] ?? false;
          i.higherPrioSendAdvert = r.flags[5] ?? false;
          i.smtpAlert = r.flags[6] ?? false;
          i.unicastFaultNoPeer = r.flags[7] ?? false;
          i.debug = r.debug;
          i.notify = r.notify;
          if (r.vmac) {
            i.useVmac = JSON.parse(JSON.stringify(r.vmac)) as VrrpInstance['useVmac'];
            // use_vmac on a line that would go on the instance's VMAC anyway is keepalived's config error
            const redundant = (a: IpAddressSpec): boolean =>
              (a.dev === undefined || a.dev === i.interface) && a.family === i.family;
            const clear = (a: IpAddressSpec): IpAddressSpec => (redundant(a) ? { ...a, useVmac: false } : a);
            i.virtualIpaddresses = i.virtualIpaddresses.map(clear);
            i.virtualIpaddressesExcluded = i.virtualIpaddressesExcluded.map(clear);
          }
          i.track = {
            interfaces: x.interfaces,
            scripts: x.scripts,
            files: x.files,
            processes: x.processes,
            bfds: [],
          };
          return i;
        }),
    );
}

// ---------- whole model ----------
const vrrpScript = (name: string): fc.Arbitrary<VrrpScript> =>
  fc
    .record({
      script: fc.tuple(path, fc.array(word, { maxLength: 2 })).map(([p, a]) => [p, ...a].join(' ')),
      interval: fc.integer({ min: 1, max: 60000 }).map((n) => n / 1000),
      timeout: fc.option(
        fc.integer({ min: 1, max: 60000 }).map((n) => n / 1000),
        { nil: undefined },
      ),
      weight: fc.integer({ min: -253, max: 253 }),
      weightReverse: fc.boolean(),
      rise: fc.integer({ min: 1, max: 10 }),
      fall: fc.integer({ min: 1, max: 10 }),
      user: fc.option(word, { nil: undefined }),
      initFail: fc.boolean(),
    })
    .map((s) => JSON.parse(JSON.stringify({ name, location: LOC, ...s })) as VrrpScript);

const trackFile = (name: string): fc.Arbitrary<TrackFile> =>
  fc
    .record({
      file: path,
      weight: fc.integer({ min: -1000, max: 1000 }),
      weightReverse: fc.boolean(),
      initFile: fc.option(
        fc.record({ value: fc.integer({ min: -100, max: 100 }), overwrite: fc.boolean() }),
        { nil: undefined },
      ),
    })
    .map((f) => JSON.parse(JSON.stringify({ name, location: LOC, ...f })) as TrackFile);

const trackProcess = (name: string): fc.Arbitrary<TrackProcess> =>
  fc
    .record({
      process: fc.array(word, { minLength: 1, maxLength: 3 }),
      paramMatch: fc.option(fc.constantFrom('initial', 'partial' as const), { nil: undefined }),
      weight: fc.integer({ min: -254, max: 254 }),
      weightReverse: fc.boolean(),
      quorum: fc.integer({ min: 1, max: 5 }),
      extraMax: fc.option(fc.nat(5), { nil: undefined }),
      forkDelay: fc.nat(5000).map((n) => n / 1000),
      terminateDelay: fc.nat(5000).map((n) => n / 1000),
      fullCommand: fc.boolean(),
    })
    .map((p) => {
      const { extraMax, ...rest } = p;
      return JSON.parse(
        JSON.stringify({
          name,
          location: LOC,
          ...rest,
          quorumMax: extraMax === undefined ? undefined : rest.quorum + extraMax,
        }),
      ) as TrackProcess;
    });

const model: fc.Arbitrary<Model> = fc
  .record({
    global: globalDefs,
    nScripts: fc.nat(2),
    nFiles: fc.nat(2),
    nProcesses: fc.nat(2),
    nInstances: fc.integer({ min: 0, max: 4 }),
    staticFamily: fc.constantFrom(4, 6 as const),
  })
  .chain((r) => {
    const names: Names = {
      scripts: Array.from({ length: r.nScripts }, (_, i) => `chk_${i}`),
      files: Array.from({ length: r.nFiles }, (_, i) => `tf_${i}`),
      processes: Array.from({ length: r.nProcesses }, (_, i) => `proc_${i}`),
    };
    return fc
      .record({
        scripts: fc.tuple(...names.scripts.map(vrrpScript)),
        files: fc.tuple(...names.files.map(trackFile)),
        processes: fc.tuple(...names.processes.map(trackProcess)),
        instances: fc.tuple(...Array.from({ length: r.nInstances }, (_, i) => instance(i, r.global, names))),
        staticAddresses: fc.array(addressSpec(r.staticFamily, 'static'), { maxLength: 2 }),
        staticRoutes: fc.array(routeSpec(r.staticFamily), { maxLength: 2 }),
        staticRules: fc.array(ruleSpec(r.staticFamily), { maxLength: 2 }),
        grouped: fc.nat(4),
        groupNotify: notifyScripts,
      })
      .map((x) => {
        const m = emptyModel();
        m.global = r.global;
        m.vrrpScripts = x.scripts;
        m.trackFiles = x.files;
        m.trackProcesses = x.processes;
        m.instances = x.instances;
        // A static line's track_group names a group declared before it, on an address with a dev.
        m.staticAddresses = x.staticAddresses.map((a) =>
          a.trackGroup !== undefined && a.dev === undefined ? { ...a, trackGroup: undefined } : a,
        );
        const groups = [...new Set(m.staticAddresses.flatMap((a) => a.trackGroup ?? []))];
        m.trackGroups = groups.map((name) => ({ location: LOC, name, instances: ['VI_x'] }));
        m.staticRoutes = x.staticRoutes;
        m.staticRules = x.staticRules;
        const members = x.instances.slice(0, Math.min(x.grouped, x.instances.length));
        if (members.length >= 2) {
          const group: SyncGroup = {
            name: 'SG_1',
            location: LOC,
            members: members.map((i) => ({ name: i.name, location: LOC })),
            track: { interfaces: [], scripts: [], files: [], processes: [], bfds: [] },
            notify: x.groupNotify,
            syncGroupTrackingWeight: true,
          };
          m.syncGroups = [group];
        }
        return m;
      });
  });

function reparse(text: string, extraFiles: Record<string, string> = {}) {
  const host = new MemoryHost({ '/etc/keepalived/keepalived.conf': text, ...extraFiles });
  return loadModel('/etc/keepalived/keepalived.conf', host, {});
}

void describe('print -> read round trip', () => {
  void test('random global + VRRP models come back unchanged and without errors', () => {
    fc.assert(
      fc.property(model, (m) => {
        const text = printModel(m);
        const { model: back, diagnostics } = reparse(text);
        const errors = diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
        assert.deepEqual(errors, [], text);
        assert.deepEqual(stripLocations(back), stripLocations(m), text);
      }),
      { numRuns: 60 },
    );
  });

  void test('printing is stable: print(read(print(m))) == print(m)', () => {
    fc.assert(
      fc.property(model, (m) => {
        const text = printModel(m);
        assert.equal(printModel(reparse(text).model), text);
      }),
      { numRuns: 20 },
    );
  });

  const lvsDir = new URL('../../../../../tests/corpus/lvs/', import.meta.url).pathname;
  const lvsFiles = existsSync(lvsDir)
    ? readdirSync(lvsDir)
        .filter((f) => f.endsWith('.conf'))
        .sort()
    : [];
  void test('the LVS corpus prints and reads back together with a random VRRP side', () => {
    assert.ok(lvsFiles.length >= 12, `LVS corpus not found in ${lvsDir}`);
    const lvsModels = lvsFiles.map((f) => loadModel(join(lvsDir, f), new FsConfigHost(), {}).model);
    fc.assert(
      fc.property(model, fc.constantFrom(...lvsModels), (m, lvsModel) => {
        const combined: Model = {
          ...m,
          virtualServerGroups: lvsModel.virtualServerGroups,
          virtualServers: lvsModel.virtualServers,
          ssl: lvsModel.ssl,
          trackFiles: [...m.trackFiles, ...lvsModel.trackFiles],
        };
        const text = printModel(combined);
        const { model: back } = reparse(text);
        assert.deepEqual(stripLocations(back), stripLocations(combined), text);
      }),
      { numRuns: 20 },
    );
  });
});
