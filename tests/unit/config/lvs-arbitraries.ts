// fast-check generators of LVS models that the parser can produce (IPv4 only, valid values, no
// duplicate real servers), for round-trip property tests: print(model) read back equals model.
import fc from 'fast-check';
import type {
  Checker,
  ConnectOptions,
  Forwarding,
  HttpUrl,
  LvsSchedFlag,
  RealServer,
  ScriptRef,
  SorryServer,
  StatusRange,
  VirtualServer,
  VirtualServerGroup,
  VsgEntry,
} from '../../../src/config/model/lvs/types.js';
import { DNS_TYPES, LVS_SCHEDULERS, REGEX_OPTIONS } from '../../../src/config/model/lvs/types.js';
import { bigIntToAddress, addressToBigInt } from '../../../src/config/model/lvs/virtual-server.js';

const AT = { file: '/k.conf', line: 1 };

/** Builds an object leaving out undefined fields, as the parser does. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const word = fc.stringMatching(/^[a-z][a-z0-9._-]{0,11}$/);
const path = fc.stringMatching(/^\/[a-z0-9/._-]{0,20}$/);
const v4 = fc
  .tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 }))
  .map((p) => p.join('.'));
const port = fc.integer({ min: 1, max: 65535 });
const u32 = fc.integer({ min: 0, max: 4294967295 });
/** Milliseconds-resolution seconds, so the text form is exact. */
const seconds = (minMs: number, maxMs: number): fc.Arbitrary<number> =>
  fc.integer({ min: minMs, max: maxMs }).map((ms) => ms / 1000);
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });

const script: fc.Arbitrary<ScriptRef> = fc
  .record({
    command: fc.stringMatching(/^\/[a-z]{1,8}( [a-z0-9]{1,6}){0,2}$/),
    user: opt(word),
    group: opt(word),
  })
  .map((s) =>
    defined({ command: s.command, user: s.user, group: s.user === undefined ? undefined : s.group, at: AT }),
  );

const forwarding: fc.Arbitrary<Forwarding> = fc.oneof(
  fc.constantFrom<Forwarding>({ method: 'NAT' }, { method: 'DR' }, { method: 'TUN' }),
  fc.constant<Forwarding>({ method: 'TUN', tunnel: { type: 'ipip', checksum: 'nocsum' } }),
  fc
    .record({ port, checksum: opt(fc.constantFrom('nocsum' as const, 'csum' as const, 'remcsum' as const)) })
    .map((t): Forwarding => ({ method: 'TUN', tunnel: defined({ type: 'gue' as const, ...t }) })),
  opt(fc.constantFrom('nocsum' as const, 'csum' as const)).map((checksum): Forwarding => ({
    method: 'TUN',
    tunnel: defined({ type: 'gre' as const, checksum }),
  })),
);

const timings = {
  delayLoop: opt(seconds(1, 100000)),
  delayBeforeRetry: opt(seconds(0, 100000)),
  warmup: opt(seconds(0, 100000)),
  connectTimeout: opt(seconds(1, 4294967)),
};

const connect: fc.Arbitrary<ConnectOptions & { connectTimeout?: number }> = fc
  .record({
    connectIp: opt(v4),
    connectPort: opt(port),
    bindTo: opt(v4),
    bindPort: opt(port),
    bindIf: opt(fc.stringMatching(/^[a-z][a-z0-9]{0,14}$/)),
    fwmark: opt(u32),
    connectTimeout: timings.connectTimeout,
  })
  .map((c) => defined({ ...c, connectFamily: c.connectIp === undefined ? undefined : (4 as const) }));

const checkerTimings = fc
  .record({
    delayLoop: timings.delayLoop,
    delayBeforeRetry: timings.delayBeforeRetry,
    warmup: timings.warmup,
    retry: opt(u32),
    alpha: opt(fc.boolean()),
    logAllFailures: opt(fc.boolean()),
  })
  .map(defined);

const status: fc.Arbitrary<StatusRange> = fc
  .tuple(fc.integer({ min: 100, max: 599 }), fc.integer({ min: 0, max: 99 }))
  .map(([from, span]) => ({ from, to: Math.min(599, from + span) }));

const url: fc.Arbitrary<HttpUrl> = fc
  .record({
    path,
    digest: opt(fc.stringMatching(/^[0-9a-f]{32}$/)),
    statusCodes: fc.array(status, { maxLength: 3 }),
    virtualhost: opt(word),
    regex: opt(fc.stringMatching(/^[a-z0-9 ^.*]{1,12}$/).filter((r) => r.trim() === r && !r.includes('  '))),
    regexNoMatch: fc.boolean(),
    regexOptions: fc.uniqueArray(fc.constantFrom(...REGEX_OPTIONS), { maxLength: 3 }),
    regexStack: opt(
      fc
        .tuple(fc.integer({ min: 1, max: 100000 }), fc.integer({ min: 0, max: 100000 }))
        .map(([start, extra]) => ({ start, max: start + extra })),
    ),
    regexMinOffset: opt(fc.nat(1000)),
    regexMaxOffset: opt(fc.integer({ min: 1000, max: 100000 })),
  })
  // keepalived (and so the reader) drops the regex parameters of a url without a regex
  .map((u) =>
    defined(
      u.regex === undefined
        ? {
            ...u,
            regexNoMatch: false,
            regexOptions: [],
            regexStack: undefined,
            regexMinOffset: undefined,
            regexMaxOffset: undefined,
            at: AT,
          }
        : { ...u, at: AT },
    ),
  );

const bytes = fc.array(fc.nat(255), { minLength: 1, maxLength: 8 });

const checker: fc.Arbitrary<Checker> = fc.oneof(
  fc
    .tuple(fc.constantFrom('TCP_CHECK' as const, 'PING_CHECK' as const), connect, checkerTimings)
    .map(([kind, c, t]): Checker => ({ kind, ...c, ...t, at: AT })),
  fc
    .record({
      kind: fc.constantFrom('HTTP_GET' as const, 'SSL_GET' as const),
      urls: fc.array(url, { minLength: 1, maxLength: 2 }),
      virtualhost: opt(word),
      httpProtocol: opt(fc.constantFrom('1.0' as const, '1.0C' as const, '1.1' as const)),
      fastRecovery: fc.boolean(),
      enableSni: fc.boolean(),
      tlsCompliant: fc.boolean(),
      c: connect,
      t: checkerTimings,
    })
    .map(({ c, t, ...h }): Checker => {
      const ssl = h.kind === 'SSL_GET';
      return defined({
        ...h,
        ...c,
        ...t,
        enableSni: ssl && h.enableSni,
        tlsCompliant: ssl && h.tlsCompliant,
        at: AT,
      });
    }),
  fc
    .record({
      heloName: opt(word),
      hosts: fc.array(connect, { maxLength: 2 }),
      c: connect,
      t: checkerTimings,
    })
    .map(({ c, t, heloName, hosts }): Checker =>
      defined({
        kind: 'SMTP_CHECK' as const,
        heloName,
        hosts: hosts.map((h) => ({ ...h, at: AT })),
        ...c,
        ...t,
        at: AT,
      }),
    ),
  fc
    .record({ type: opt(fc.constantFrom(...DNS_TYPES)), name: opt(word), c: connect, t: checkerTimings })
    .map(({ c, t, ...d }): Checker => defined({ kind: 'DNS_CHECK' as const, ...d, ...c, ...t, at: AT })),
  fc
    .record({
      payload: opt(bytes),
      requireReply: fc.boolean(),
      pattern: opt(
        fc.tuple(bytes, fc.array(fc.constantFrom(0xff, 0xf0, 0x0f, 0x00), { minLength: 8, maxLength: 8 })),
      ),
      minReplyLength: opt(fc.nat(65535)),
      maxReplyLength: opt(fc.nat(65535)),
      c: connect,
      t: checkerTimings,
    })
    .map(({ c, t, pattern, ...u }): Checker => {
      const replyPattern =
        u.requireReply && pattern
          ? {
              bytes: pattern[0].map((b, i) => b & (pattern[1][i] ?? 0xff)),
              mask: pattern[0].map((_, i) => pattern[1][i] ?? 0xff),
            }
          : undefined;
      return defined({ kind: 'UDP_CHECK' as const, ...u, replyPattern, ...c, ...t, at: AT });
    }),
  fc
    .record({ path: script, timeout: opt(u32), dynamic: fc.boolean(), t: checkerTimings })
    .map(({ t, path: p, ...m }): Checker =>
      defined({ kind: 'MISC_CHECK' as const, path: p, ...m, ...t, at: AT }),
    ),
  fc
    .record({
      trackFile: word,
      weight: opt(fc.integer({ min: -2147483647, max: 2147483647 })),
      reverse: fc.boolean(),
      dynamic: fc.boolean(),
    })
    .map((f): Checker =>
      defined({ kind: 'FILE_CHECK' as const, ...f, reverse: f.weight !== undefined && f.reverse, at: AT }),
    ),
  word.map((name): Checker => ({ kind: 'BFD_CHECK', name, at: AT })),
);

const realServer = (address: string, rsPort: number | undefined): fc.Arbitrary<RealServer> =>
  fc
    .record({
      weight: opt(fc.nat(2147483647)),
      forwarding: opt(forwarding),
      inhibitOnFailure: opt(fc.boolean()),
      notifyUp: opt(script),
      notifyDown: opt(script),
      uthreshold: opt(u32),
      lthreshold: opt(u32),
      alpha: opt(fc.boolean()),
      smtpAlert: opt(fc.boolean()),
      virtualhost: opt(word),
      snmpName: opt(word),
      ...timings,
      retry: opt(fc.integer({ min: 1, max: 4294967295 })),
      checkers: fc.array(checker, { maxLength: 2 }),
    })
    .map((r) => defined({ family: 4 as const, address, port: rsPort, ...r, at: AT }));

const realServers: fc.Arbitrary<RealServer[]> = fc
  .uniqueArray(fc.tuple(v4, opt(port)), { maxLength: 3, selector: ([a, p]) => `${a} ${p ?? ''}` })
  .chain((eps) => (eps.length === 0 ? fc.constant([]) : fc.tuple(...eps.map(([a, p]) => realServer(a, p)))));

const sorry: fc.Arbitrary<SorryServer> = fc
  .record({ address: v4, port: opt(port), inhibit: fc.boolean(), forwarding: opt(forwarding) })
  .map((s) => defined({ family: 4 as const, ...s, at: AT }));

const FLAGS: readonly LvsSchedFlag[] = ['flag-1', 'flag-2', 'flag-3'];

export function arbVirtualServer(groupNames: readonly string[]): fc.Arbitrary<VirtualServer> {
  const key = fc.oneof(
    fc
      .tuple(v4, opt(port))
      .map(([address, p]) => defined({ kind: 'address' as const, family: 4 as const, address, port: p })),
    fc.integer({ min: 1, max: 4294967295 }).map((fwmark) => ({ kind: 'fwmark' as const, fwmark })),
    ...(groupNames.length > 0
      ? [fc.constantFrom(...groupNames).map((group) => ({ kind: 'group' as const, group }))]
      : []),
  );
  return fc
    .record({
      key,
      ipFamily: opt(fc.constant(4 as const)),
      scheduler: opt(fc.constantFrom(...LVS_SCHEDULERS)),
      baseFlags: fc.uniqueArray(fc.constantFrom(...FLAGS), { maxLength: 3 }),
      hashFlags: fc.uniqueArray(fc.constantFrom('port', 'fallback'), { maxLength: 2 }),
      ops: fc.boolean(),
      forwarding: opt(forwarding),
      persistenceEngine: opt(word),
      persistenceTimeout: opt(fc.integer({ min: 1, max: 2678400 })),
      granularity: opt(fc.integer({ min: 0, max: 32 })),
      protocol: opt(fc.constantFrom('TCP' as const, 'UDP' as const, 'SCTP' as const)),
      haSuspend: fc.boolean(),
      smtpAlert: opt(fc.boolean()),
      virtualhost: opt(word),
      snmpName: opt(word),
      alpha: fc.boolean(),
      omega: fc.boolean(),
      quorum: opt(fc.integer({ min: 1, max: 4294967295 })),
      hysteresis: opt(u32),
      quorumUp: opt(script),
      quorumDown: opt(script),
      weight: opt(fc.integer({ min: 1, max: 2147483647 })),
      inhibitOnFailure: fc.boolean(),
      ...timings,
      retry: opt(fc.integer({ min: 1, max: 4294967295 })),
      sorryServer: opt(sorry),
      realServers,
    })
    .map(({ baseFlags, hashFlags, granularity, ...v }) => {
      const hash =
        v.scheduler === 'sh' || v.scheduler === 'mh' ? hashFlags.map((f) => `${v.scheduler}-${f}`) : [];
      const mask =
        granularity === undefined
          ? undefined
          : bigIntToAddress(((1n << 32n) - 1n) ^ ((1n << BigInt(32 - granularity)) - 1n), 4);
      return defined({
        ...v,
        schedFlags: [...baseFlags, ...hash] as LvsSchedFlag[],
        persistenceGranularity: mask,
        at: AT,
      });
    });
}

const vsgEntry: fc.Arbitrary<VsgEntry> = fc.oneof(
  fc.tuple(v4, fc.nat(20), opt(port)).map(([first, span, p]) =>
    defined({
      kind: 'address' as const,
      family: 4 as const,
      first,
      last: bigIntToAddress(addressToBigInt(first) + BigInt(span), 4),
      port: p,
      at: AT,
    }),
  ),
  fc
    .tuple(fc.integer({ min: 1, max: 4294967295 }), opt(fc.constant(4 as const)))
    .map(([fwmark, family]) => defined({ kind: 'fwmark' as const, fwmark, family, at: AT })),
);

export const arbLvs: fc.Arbitrary<{ groups: VirtualServerGroup[]; servers: VirtualServer[] }> = fc
  .uniqueArray(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,7}$/), { maxLength: 2 })
  .chain((names) =>
    fc.record({
      groups: fc.tuple(
        ...names.map((name) =>
          fc.array(vsgEntry, { minLength: 1, maxLength: 4 }).map((entries) => ({ name, entries, at: AT })),
        ),
      ),
      servers: fc.array(arbVirtualServer(names), { maxLength: 2 }),
    }),
  );
