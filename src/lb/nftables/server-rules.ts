// The objects of a service whose rules must know the real server they send a packet to: persistence (NAT
// or DR) and DR. nft(8) can only print such a rule when it names its server (layout.ts), so the service
// chain S has rules per real server <rs>, its server in the key of the service's set it looks up:
//
//   DR             saddr . sport . <rs> @S.conns / @S.closing  ...  fwd to <rs>   (connections.ts)
//   persistence    <rs> @S.live  client & mask . <rs> @S.persist  update @S.persist {...}  dnat to <rs>
//                  then, for each <rs>: delete @S.persist { client & mask . <rs> }
//   sh, dh, mh     jhash(...) mod N . <rs> @S.slots                  [update @S.persist {...}]  dnat to <rs>
//   fo             0 . <rs> @S.slots                                 [update @S.persist {...}]  dnat to <rs>
//   rr, wrr        goto S.schedule: numgen inc mod N vmap @S.slots
//                                    → goto S.to_<rs>: [update @S.persist {...}]  dnat to <rs>
// (a counter must be read once: rr and wrr jump to a chain per server). A persistent client whose server
// is quiesced or gone loses its entry when it comes back, and is scheduled again; its server's return does
// not take back the clients it lost meanwhile.
//
// Which server is live, and which slot goes where, are set elements; the rules of a server stay as long as
// it is known, including a while after it left the service (a departed server, whose DR connections carry
// on meanwhile). So a real server's removal, return or weight change is element changes only (for rr and
// wrr, also the counter's rule): the kernel checks every rule reachable from a base chain again at each
// commit that adds one, which would make each such change cost as much as the whole table. Departed
// servers beyond MAX_DEPARTED (the oldest first) lose their rules.

import type { NftExpr } from '../../net/netlink/nft-expr.js';
import {
  NFT_DATA_VERDICT,
  NFT_DATA_VERDICT_LEN,
  NFT_SET_EVAL,
  NFT_SET_TIMEOUT,
} from '../../net/netlink/nftables.js';
import type { LvsProtocol } from '../../config/model/lvs/types.js';
import type { Service } from '../table/types.js';
import { connectionRules, connectionSets, recordConnection } from './connections.js';
import {
  concatType,
  FAMILY,
  hostU32,
  NFT_TYPE,
  type PlaneTable,
  R_INDEX,
  R_KEY,
  scheduleChain,
  serverChain,
  serverTag,
  serviceName,
  serviceSets,
} from './layout.js';
import {
  elementsOf,
  type KnownServer,
  type RealisedChain,
  type RealisedSet,
  type ServiceRealisation,
  slotsShape,
} from './realised.js';
import {
  action,
  indexExprs,
  loadServer,
  persistenceKey,
  serverKeyBytes,
  serverKeyTypes,
  type ServerLayout,
} from './rule-parts.js';
import type { SlotTable } from './slots.js';

/** Bound of a persistence set (the kernel's default for a dynamic set is only 65535 elements). */
export const PERSISTENCE_LIMIT = 1 << 20;
/**
 * Departed servers that keep their rules, per service. Each costs a few set lookups for the packets that
 * no current server's rules claim, so the oldest loses its rules beyond this.
 */
export const MAX_DEPARTED = 8;

/** The current servers in the order `previous` knew them (new ones last), with the departed ones kept. */
function knownServers(
  current: KnownServer[],
  previous: ServiceRealisation | undefined,
  sequence: number,
  serverLen: number,
): KnownServer[] {
  const now = new Map(current.map((c) => [c.tag, c]));
  const out: KnownServer[] = [];
  for (const p of previous?.known ?? []) {
    const c = now.get(p.tag);
    if (c) out.push(c);
    else if (p.server.length === serverLen)
      out.push(p.departed === undefined ? { ...p, departed: sequence } : p);
    now.delete(p.tag);
  }
  out.push(...now.values());
  const departed = out
    .filter((k) => k.departed !== undefined)
    .sort((a, b) => (b.departed as number) - (a.departed as number));
  const dropped = new Set(departed.slice(MAX_DEPARTED).map((k) => k.tag));
  return out.filter((k) => !dropped.has(k.tag));
}

/** Sets, chains and the server list of a service with rules per real server. */
export function perServerObjects(
  service: Service,
  table: PlaneTable,
  layout: ServerLayout,
  slots: SlotTable,
  servers: Buffer[],
  previous: ServiceRealisation | undefined,
  sequence: number,
): Pick<ServiceRealisation, 'sets' | 'chains' | 'known'> {
  const name = serviceName(service.key);
  const family = service.key.family;
  const names = serviceSets(name);
  const tags = service.destinations.map(serverTag);
  const known = knownServers(
    tags.map((tag, d) => ({ tag, server: servers[d] as Buffer })),
    previous,
    sequence,
    layout.len,
  );
  const liveTags = new Set(tags.filter((_, d) => (service.destinations[d]?.weight ?? 0) > 0));
  const sets: RealisedSet[] = [];
  const rules: NftExpr[][] = [];
  const chains: RealisedChain[] = [];
  const protocol: LvsProtocol = service.key.kind === 'address' ? service.key.protocol : 'TCP';
  const serverKey = (k: KnownServer): Buffer => serverKeyBytes(k.server, layout);
  const idTypes = serverKeyTypes(layout);
  const idLen = FAMILY[family].addressLen + (layout.withPort ? 4 : 0);

  if (table === 'netdev') {
    sets.push(...connectionSets(name, family, protocol));
    rules.push(...connectionRules(name, family, protocol, layout, known));
  }

  const persistence = service.persistence;
  const persistKey = (k: KnownServer) =>
    persistence ? persistenceKey(family, persistence.granularity, k.server, layout) : undefined;
  // What sending a new connection to server k does: remember the client (its key in R_KEY already, or
  // not), record the connection (DR), then dnat or fwd.
  const send = (k: KnownServer, keyLoaded: boolean): NftExpr[] => {
    const out: NftExpr[] = [];
    const key = persistKey(k);
    if (key) {
      if (!keyLoaded) out.push(...key.exprs);
      out.push({ kind: 'dynset', set: names.persist, op: 'update', keyReg: R_KEY });
    }
    if (table === 'netdev') out.push(...recordConnection(name, family, k.server));
    out.push(...loadServer(k.server, layout), action(layout));
    return out;
  };

  if (persistence) {
    const f = FAMILY[family];
    sets.push(
      {
        name: names.live,
        shape: { flags: 0, keyLen: idLen, keyType: concatType(...idTypes) },
        elements: elementsOf(known.filter((k) => liveTags.has(k.tag)).map((k) => [serverKey(k), undefined])),
      },
      {
        name: names.persist,
        shape: {
          flags: NFT_SET_TIMEOUT | NFT_SET_EVAL,
          keyLen: f.addressLen + idLen,
          keyType: concatType(f.addressType, ...idTypes),
          timeoutMs: persistence.timeoutS * 1000,
          sizeHint: PERSISTENCE_LIMIT,
        },
        elements: new Map(),
      },
    );
    // A client remembered with a live server goes back to it; then, a client remembered with a server
    // quiesced or gone (no rule above took it) forgets it, and is scheduled again below.
    const keys = known.map((k) => ({ k, key: persistKey(k) as NonNullable<ReturnType<typeof persistKey>> }));
    for (const { k, key } of keys) {
      rules.push([
        ...key.exprs,
        { kind: 'lookup', set: names.live, sreg: key.serverReg },
        { kind: 'lookup', set: names.persist, sreg: R_KEY },
        ...send(k, true),
      ]);
    }
    for (const { key } of keys)
      rules.push([...key.exprs, { kind: 'dynset', set: names.persist, op: 'delete', keyReg: R_KEY }]);
  }

  const byTag = new Map(known.map((k) => [k.tag, k]));
  const filled = slots.slots.flatMap((d, i): [number, KnownServer][] => {
    const k = d === undefined ? undefined : byTag.get(tags[d] as string);
    return k ? [[i, k]] : [];
  });
  if (slots.index.kind === 'counter') {
    sets.push({
      name: names.slots,
      shape: slotsShape({ dataLen: NFT_DATA_VERDICT_LEN, dataType: NFT_DATA_VERDICT }),
      elements: elementsOf(
        filled.map(([i, k]) => [hostU32(i), { code: 'goto', chain: serverChain(name, k.tag) }]),
      ),
    });
    // In a chain of its own: a new modulus rewrites that one rule, not the service chain.
    const schedule = scheduleChain(name);
    rules.push([{ kind: 'verdict', verdict: { code: 'goto', chain: schedule } }]);
    chains.push({
      name: schedule,
      rules: [[...indexExprs(slots, family), { kind: 'lookup', set: names.slots, sreg: R_INDEX, dreg: 0 }]],
    });
    for (const k of known) chains.push({ name: serverChain(name, k.tag), rules: [send(k, false)] });
  } else {
    // A hash or fo's constant, then each server in turn: slot . server in @S.slots sends to that server.
    sets.push({
      name: names.slots,
      shape: { flags: 0, keyLen: 4 + idLen, keyType: concatType(NFT_TYPE.MARK, ...idTypes) },
      elements: elementsOf(filled.map(([i, k]) => [Buffer.concat([hostU32(i), serverKey(k)]), undefined])),
    });
    for (const k of known) {
      rules.push([
        ...indexExprs(slots, family, R_KEY),
        ...loadServer(k.server, layout, R_KEY + 1, false),
        { kind: 'lookup', set: names.slots, sreg: R_KEY },
        ...send(k, false),
      ]);
    }
  }
  return { sets, chains: [{ name, rules }, ...chains], known };
}
