// From the parsed config (virtual_server / real_server / checker blocks, values as written) to the
// resolved specs the scheduler and probes run on. Timings come from the config layer's own
// inheritance (effectiveCheckTimings: checker <- real_server <- virtual_server <- per-checker default);
// this file adds the connection, script and per-kind options. Pure: user names are resolved through
// an injected function, and what cannot be run is reported in `problems` rather than thrown.
import type { Checker, RealServer, VirtualServer } from '../../config/model/lvs/types.js';
import type { TrackFile } from '../../config/model/vrrp/script.js';
import {
  CHECKER_OPTION_DEFAULTS,
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_DELAY_LOOP,
  effectiveCheckTimings,
  effectiveWeight,
} from '../../config/model/lvs/defaults.js';
import type { CheckOptions, CheckerSpec, RealServerSpec } from './spec.js';

export interface CheckPlan {
  servers: RealServerSpec[];
  checkers: CheckerSpec[];
  /** Checkers that cannot run as configured (no misc_path, unknown track_file, BFD_CHECK, ...). */
  problems: string[];
}

export interface FromModelOptions {
  /** Maps a script `user [group]` to ids; absent or returning undefined: run as ourselves (reported). */
  resolveUser?: (user: string, group?: string) => { uid: number; gid: number; groups?: number[] } | undefined;
}

function bracket(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** "[10.0.0.1]:80/TCP"-style label of a virtual server, unique in one config. */
export function virtualServerLabel(vs: VirtualServer): string {
  const k = vs.key;
  if (k.kind === 'fwmark') return `fwmark ${k.fwmark}`;
  // One group may serve several protocols (a TCP and a UDP virtual server on the same addresses).
  if (k.kind === 'group') return `group ${k.group}/${vs.protocol ?? 'TCP'}`;
  return `${bracket(k.address)}:${k.port ?? 0}/${vs.protocol ?? 'TCP'}`;
}

export function realServerId(vs: VirtualServer, rs: RealServer): string {
  return `${virtualServerLabel(vs)} -> ${bracket(rs.address)}:${rs.port ?? 0}`;
}

function vsPort(vs: VirtualServer): number | undefined {
  return vs.key.kind === 'address' ? vs.key.port : undefined;
}

export function checkPlanFromModel(
  model: {
    virtualServers: readonly VirtualServer[];
    trackFiles?: readonly TrackFile[];
    global?: { checkerLogAllFailures: boolean };
  },
  options: FromModelOptions = {},
): CheckPlan {
  const plan: CheckPlan = { servers: [], checkers: [], problems: [] };
  const planned = new Set<string>();
  for (const vs of model.virtualServers) {
    for (const rs of vs.realServers) {
      const serverId = realServerId(vs, rs);
      // a virtual server written twice is one service (lb/table/resolve.ts): a real server both name is
      // checked once, as the first one says
      if (planned.has(serverId)) continue;
      planned.add(serverId);
      plan.servers.push({
        id: serverId,
        weight: effectiveWeight(vs, rs),
        notifyUp: rs.notifyUp?.command,
        notifyDown: rs.notifyDown?.command,
        omega: vs.omega,
      });
      rs.checkers.forEach((checker, index) => {
        const made = checkerSpecs(
          vs,
          rs,
          checker,
          `${serverId} #${index + 1} ${checker.kind}`,
          serverId,
          model,
          options,
        );
        if (typeof made === 'string') plan.problems.push(`${serverId}: ${checker.kind}: ${made}`);
        else plan.checkers.push(...made);
      });
    }
  }
  return plan;
}

function checkerSpecs(
  vs: VirtualServer,
  rs: RealServer,
  c: Checker,
  id: string,
  server: string,
  model: { trackFiles?: readonly TrackFile[]; global?: { checkerLogAllFailures: boolean } },
  options: FromModelOptions,
): CheckerSpec[] | string {
  const t = effectiveCheckTimings(vs, rs, c);
  const base = {
    server,
    timing: {
      delayLoopMs: t.delayLoop * 1000,
      retry: t.retry,
      delayBeforeRetryMs: t.delayBeforeRetry * 1000,
      warmupMs: t.warmup * 1000,
      alpha: t.alpha,
      // the checker's log_all_failures, or global_defs' checker_log_all_failures
      ...(('logAllFailures' in c && c.logAllFailures === true) || model.global?.checkerLogAllFailures === true
        ? { logAllFailures: true }
        : {}),
    },
    // ha_suspend: the daemon enables these while the virtual address is present.
    enabled: !vs.haSuspend,
  };
  const port = rs.port ?? vsPort(vs) ?? 0;
  const timeoutMs = (t.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT) * 1000;
  const plainConnect = { address: rs.address, port, timeoutMs };

  if (c.kind === 'BFD_CHECK') {
    if (c.name === undefined) return 'no BFD instance name';
    return [{ ...base, id, connect: plainConnect, options: { kind: 'BFD_CHECK', session: c.name } }];
  }

  if (c.kind === 'FILE_CHECK') {
    const tf = model.trackFiles?.find((f) => f.name === c.trackFile);
    if (tf?.file === undefined) return `track_file ${c.trackFile ?? '(none)'} not found or has no file`;
    const weighted = c.weight !== undefined;
    const opts: CheckOptions = {
      kind: 'FILE_CHECK',
      path: tf.file,
      weight: weighted ? (c.weight as number) : tf.weight,
      reverse: weighted ? c.reverse : tf.weightReverse,
    };
    return [{ ...base, id, connect: plainConnect, options: opts }];
  }

  if (c.kind === 'MISC_CHECK') {
    if (c.path === undefined) return 'no misc_path';
    let ids: { uid: number; gid: number; groups?: number[] } | undefined;
    if (c.path.user !== undefined) {
      ids = options.resolveUser?.(c.path.user, c.path.group);
      if (ids === undefined) return `cannot resolve user ${c.path.user}`;
    }
    const opts: CheckOptions = {
      kind: 'MISC_CHECK',
      command: c.path.command,
      // keepalived's default misc_timeout is the virtual server's delay_loop, not the checker's.
      timeoutMs: (c.timeout ?? vs.delayLoop ?? DEFAULT_DELAY_LOOP) * 1000,
      dynamic: c.dynamic,
      uid: ids?.uid,
      gid: ids?.gid,
      ...(ids?.groups !== undefined ? { groups: ids.groups } : {}),
    };
    return [{ ...base, id, connect: plainConnect, options: opts }];
  }

  const connect = {
    address: c.connectIp ?? rs.address,
    port: c.connectPort ?? (c.kind === 'PING_CHECK' ? 0 : port),
    bindTo: c.bindTo,
    bindPort: c.bindPort,
    bindIf: c.bindIf,
    timeoutMs,
    fwmark: c.fwmark,
  };
  switch (c.kind) {
    case 'TCP_CHECK':
    case 'PING_CHECK':
      return [{ ...base, id, connect, options: { kind: c.kind } }];
    case 'HTTP_GET':
    case 'SSL_GET': {
      if (c.urls.length === 0) return 'no url block';
      const opts: CheckOptions = {
        kind: c.kind,
        urls: c.urls.map((u) => ({
          path: u.path ?? '/',
          digest: u.digest,
          statusCodes:
            u.statusCodes.length > 0
              ? u.statusCodes.map((r): [number, number] => [r.from, r.to])
              : CHECKER_OPTION_DEFAULTS.httpStatusCodes.map((r): [number, number] => [r.from, r.to]),
          regex: u.regex,
          regexNoMatch: u.regexNoMatch,
          ...(u.regexMinOffset !== undefined ? { regexMinOffset: u.regexMinOffset } : {}),
          ...(u.regexMaxOffset !== undefined ? { regexMaxOffset: u.regexMaxOffset } : {}),
          ...(u.regexOptions.length > 0 ? { regexOptions: [...u.regexOptions] } : {}),
          // keepalived sends close_notify when either the url or the whole checker asks for it
          ...(c.kind === 'SSL_GET' && (c.tlsCompliant || u.tlsCompliant === true)
            ? { tlsCompliant: true }
            : {}),
          virtualhost: u.virtualhost,
        })),
        virtualhost: c.virtualhost ?? rs.virtualhost ?? vs.virtualhost,
        protocol: c.httpProtocol ?? '1.0',
        enableSni: c.enableSni,
        ...(c.fastRecovery ? { fastRecovery: true } : {}),
      };
      return [{ ...base, id, connect, options: opts }];
    }
    case 'SMTP_CHECK': {
      const opts: CheckOptions = {
        kind: 'SMTP_CHECK',
        heloName: c.heloName ?? CHECKER_OPTION_DEFAULTS.smtpHelo,
      };
      const specs: CheckerSpec[] = [{ ...base, id, connect, options: opts }];
      // Deprecated host{} blocks: keepalived itself advises one checker per host, which is what they become.
      c.hosts.forEach((h, i) =>
        specs.push({
          ...base,
          id: `${id} host ${i + 1}`,
          connect: {
            ...connect,
            address: h.connectIp ?? connect.address,
            port: h.connectPort ?? connect.port,
            bindTo: h.bindTo ?? connect.bindTo,
            bindPort: h.bindPort ?? connect.bindPort,
            bindIf: h.bindIf ?? connect.bindIf,
            fwmark: h.fwmark ?? connect.fwmark,
            timeoutMs: h.connectTimeout !== undefined ? h.connectTimeout * 1000 : connect.timeoutMs,
          },
          options: opts,
        }),
      );
      return specs;
    }
    case 'DNS_CHECK':
      return [
        {
          ...base,
          id,
          connect,
          options: {
            kind: 'DNS_CHECK',
            type: c.type ?? CHECKER_OPTION_DEFAULTS.dnsType,
            name: c.name ?? CHECKER_OPTION_DEFAULTS.dnsName,
          },
        },
      ];
    case 'UDP_CHECK': {
      const pattern = c.replyPattern;
      const opts: CheckOptions = {
        kind: 'UDP_CHECK',
        payload: c.payload !== undefined ? Uint8Array.from(c.payload) : undefined,
        requireReply: c.requireReply,
        replyData: pattern !== undefined ? Uint8Array.from(pattern.bytes) : undefined,
        // The model marks the bits that matter; the probe takes the bits to ignore.
        replyMask: pattern !== undefined ? Uint8Array.from(pattern.mask, (m) => ~m & 0xff) : undefined,
        minReplyLength: c.minReplyLength ?? 0,
        maxReplyLength: c.maxReplyLength ?? CHECKER_OPTION_DEFAULTS.udpMaxReplyLength,
      };
      return [{ ...base, id, connect, options: opts }];
    }
  }
}
