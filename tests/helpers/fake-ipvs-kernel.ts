// A stand-in for the kernel's IPVS generic netlink family, for unit tests of the data plane's logic
// (ordering, pipelining, fallbacks) on machines without IPVS. It keeps a table and answers as
// ip_vs_ctl.c does (EEXIST, ESRCH, ENOENT, EINVAL for missing fields, HASHED on dumped services).
// The real kernel is the judge: tests/vm/ipvs-plane.test.ts runs the same plane against it.
import {
  type AttrSpec,
  attr,
  decodeMessages,
  encodeAck,
  encodeMessage,
  findAttr,
  type NetlinkMessage,
  NLM_F_DUMP,
  NLM_F_MULTI,
  NLMSG_DONE,
} from '../../src/net/netlink/codec.js';
import {
  CTRL_ATTR_FAMILY_ID,
  CTRL_ATTR_FAMILY_NAME,
  CTRL_ATTR_VERSION,
  CTRL_CMD_NEWFAMILY,
  decodeGenlMessage,
  encodeGenlPayload,
  GENL_ID_CTRL,
} from '../../src/net/netlink/genetlink.js';
import type { NetlinkTransport } from '../../src/net/netlink/transport.js';
import { attrStr } from '../../src/net/netlink/codec.js';
import * as K from '../../src/lb/ipvs/constants.js';
import {
  decodeDaemon,
  encodeDaemonAttrs,
  encodeInfoAttrs,
  encodeTimeoutAttrs,
  type IpvsDaemon,
} from '../../src/lb/ipvs/daemon.js';
import {
  decodeDestination,
  encodeDestinationAttrs,
  type IpvsDestination,
} from '../../src/lb/ipvs/destination.js';
import {
  decodeService,
  encodeServiceAttrs,
  isFwmarkService,
  type IpvsService,
} from '../../src/lb/ipvs/service.js';

export const FAKE_IPVS_FAMILY = 0x23;
const SCHEDULERS = new Set([
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'sed',
  'nq',
  'fo',
  'ovf',
  'mh',
  'twos',
]);
const E = { ENOENT: 2, ESRCH: 3, EEXIST: 17, EINVAL: 22 };

interface FakeService {
  service: IpvsService;
  destinations: Map<string, IpvsDestination>;
}

const svcKey = (s: IpvsService): string =>
  isFwmarkService(s)
    ? `f|${s.af}|${s.fwmark}`
    : 'address' in s
      ? `a|${s.af}|${s.protocol}|${s.address}|${s.port}`
      : '?';
const destKey = (d: IpvsDestination): string => `${d.af}|${d.address}|${d.port}`;

export interface SentCommand {
  cmd: number;
  flags: number;
  /** The whole request as sent. */
  bytes: Buffer;
}

export class FakeIpvsKernel implements NetlinkTransport {
  readonly services = new Map<string, FakeService>();
  readonly daemons = new Map<number, IpvsDaemon>();
  timeouts = { tcp: 900, tcpFin: 120, udp: 300 };
  /** Every IPVS command received, in order. */
  readonly sent: SentCommand[] = [];
  /** Most commands received while earlier ones were still unanswered (what pipelining achieves). */
  maxInFlight = 0;
  /** Refuse the next command of a number with this errno, once. */
  readonly refuseNext = new Map<number, number>();
  closed = false;
  private deliver: (d: Buffer) => void = () => undefined;
  private outbox: Buffer[] = [];
  private inFlight = 0;

  constructor(private readonly hasIpvs = true) {}

  onMessage(onDatagram: (d: Buffer) => void): void {
    this.deliver = onDatagram;
  }

  close(): void {
    this.closed = true;
  }

  send(datagram: Buffer): void {
    const msgs = decodeMessages(datagram);
    if (!msgs.ok) throw new Error(`fake kernel: ${msgs.error}`);
    for (const m of msgs.value) this.outbox.push(...this.handle(m, datagram));
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    // The real kernel runs the command inside sendmsg; its answer is read later, by the event loop.
    if (this.outbox.length > 0) {
      setImmediate(() => {
        const out = this.outbox;
        this.outbox = [];
        this.inFlight = 0;
        for (const d of out) this.deliver(d);
      });
    }
  }

  private handle(m: NetlinkMessage, bytes: Buffer): Buffer[] {
    const g = decodeGenlMessage(m);
    if (!g.ok) return [encodeAck(m, E.EINVAL)];
    if (m.type === GENL_ID_CTRL) {
      const name = attrStr(findAttr(g.value.attrs, CTRL_ATTR_FAMILY_NAME));
      if (name !== K.IPVS_GENL_NAME || !this.hasIpvs) return [encodeAck(m, E.ENOENT)];
      const payload = encodeGenlPayload({
        cmd: CTRL_CMD_NEWFAMILY,
        version: 2,
        attrs: [
          attr.str(CTRL_ATTR_FAMILY_NAME, 'IPVS'),
          attr.u16(CTRL_ATTR_FAMILY_ID, FAKE_IPVS_FAMILY),
          attr.u32(CTRL_ATTR_VERSION, 1),
        ],
      });
      return [encodeMessage({ type: GENL_ID_CTRL, flags: 0, seq: m.seq, pid: 0, payload }), encodeAck(m, 0)];
    }
    if (m.type !== FAKE_IPVS_FAMILY) return [encodeAck(m, E.ENOENT)];
    const cmd = g.value.cmd;
    this.sent.push({ cmd, flags: m.flags, bytes: Buffer.from(bytes) });
    const refused = this.refuseNext.get(cmd);
    if (refused !== undefined) {
      this.refuseNext.delete(cmd);
      return [encodeAck(m, refused)];
    }
    const reply = (c: number, attrs: AttrSpec[], multi = false): Buffer =>
      encodeMessage({
        type: FAKE_IPVS_FAMILY,
        flags: multi ? NLM_F_MULTI : 0,
        seq: m.seq,
        pid: 0,
        payload: encodeGenlPayload({ cmd: c, version: 1, attrs }),
      });
    const done = (): Buffer =>
      encodeMessage({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq: m.seq, pid: 0, payload: Buffer.alloc(4) });
    const a = g.value.attrs;
    const svcAttr = findAttr(a, K.IPVS_CMD_ATTR_SERVICE);
    const svc = svcAttr ? decodeService(svcAttr) : undefined;
    const found = svc?.ok ? this.services.get(svcKey(svc.value)) : undefined;
    const err = (errno: number): Buffer[] => [encodeAck(m, errno)];
    const ok = (): Buffer[] => [encodeAck(m, 0)];
    const full = (s: IpvsService): boolean =>
      s.schedName !== undefined &&
      s.flags !== undefined &&
      s.timeout !== undefined &&
      s.netmask !== undefined;

    switch (cmd) {
      case K.IPVS_CMD_GET_INFO:
        return [
          reply(K.IPVS_CMD_SET_INFO, encodeInfoAttrs({ version: 0x010201, connTabSize: 4096 })),
          ...ok(),
        ];
      case K.IPVS_CMD_GET_CONFIG:
        return [reply(K.IPVS_CMD_SET_CONFIG, encodeTimeoutAttrs(this.timeouts)), ...ok()];
      case K.IPVS_CMD_SET_CONFIG: {
        const t = { ...this.timeouts };
        for (const [type, field] of [
          [K.IPVS_CMD_ATTR_TIMEOUT_TCP, 'tcp'],
          [K.IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, 'tcpFin'],
          [K.IPVS_CMD_ATTR_TIMEOUT_UDP, 'udp'],
        ] as const) {
          const v = findAttr(a, type);
          if (v) t[field] = v.data.readUInt32LE(0);
        }
        this.timeouts = t;
        return ok();
      }
      case K.IPVS_CMD_FLUSH:
        this.services.clear();
        return ok();
      case K.IPVS_CMD_GET_SERVICE:
        if (m.flags & NLM_F_DUMP) {
          return [
            ...[...this.services.values()].map((s) =>
              reply(
                K.IPVS_CMD_NEW_SERVICE,
                [attr.nested(K.IPVS_CMD_ATTR_SERVICE, encodeServiceAttrs(s.service))],
                true,
              ),
            ),
            done(),
          ];
        }
        if (!found) return err(E.ESRCH);
        return [
          reply(K.IPVS_CMD_NEW_SERVICE, [
            attr.nested(K.IPVS_CMD_ATTR_SERVICE, encodeServiceAttrs(found.service)),
          ]),
          ...ok(),
        ];
      case K.IPVS_CMD_GET_DEST:
        return [
          ...[...(found?.destinations.values() ?? [])].map((d) =>
            reply(K.IPVS_CMD_NEW_DEST, [attr.nested(K.IPVS_CMD_ATTR_DEST, encodeDestinationAttrs(d))], true),
          ),
          done(),
        ];
      case K.IPVS_CMD_GET_DAEMON:
        return [
          ...[...this.daemons.values()].map((d) =>
            reply(K.IPVS_CMD_NEW_DAEMON, [attr.nested(K.IPVS_CMD_ATTR_DAEMON, encodeDaemonAttrs(d))], true),
          ),
          done(),
        ];
      case K.IPVS_CMD_NEW_DAEMON:
      case K.IPVS_CMD_DEL_DAEMON: {
        const dAttr = findAttr(a, K.IPVS_CMD_ATTR_DAEMON);
        const d = dAttr && decodeDaemon(dAttr);
        if (!d?.ok) return err(E.EINVAL);
        if (cmd === K.IPVS_CMD_DEL_DAEMON) return this.daemons.delete(d.value.state) ? ok() : err(E.ESRCH);
        if (d.value.mcastIfn === undefined || d.value.syncId === undefined) return err(E.EINVAL);
        if (this.daemons.has(d.value.state)) return err(E.EEXIST);
        this.daemons.set(d.value.state, d.value);
        return ok();
      }
    }
    // Service and destination commands.
    if (!svc?.ok) return err(E.EINVAL);
    const s = svc.value;
    if (cmd === K.IPVS_CMD_NEW_SERVICE || cmd === K.IPVS_CMD_SET_SERVICE) {
      if (!full(s) || ((s.flags ?? 0) & K.IP_VS_SVC_F_HASHED) !== 0) return err(E.EINVAL);
      if (!SCHEDULERS.has(s.schedName ?? '')) return err(E.ENOENT);
      const stored = { ...s, flags: (s.flags ?? 0) | K.IP_VS_SVC_F_HASHED, flagsMask: 0xffffffff };
      if (cmd === K.IPVS_CMD_NEW_SERVICE) {
        if (found) return err(E.EEXIST);
        this.services.set(svcKey(s), { service: stored, destinations: new Map() });
        return ok();
      }
      if (!found) return err(E.ESRCH);
      found.service = stored;
      return ok();
    }
    if (!found) return err(E.ESRCH);
    if (cmd === K.IPVS_CMD_DEL_SERVICE) {
      this.services.delete(svcKey(s));
      return ok();
    }
    const dAttr = findAttr(a, K.IPVS_CMD_ATTR_DEST);
    const dest = dAttr && decodeDestination(dAttr, s.af);
    if (!dest?.ok) return err(E.EINVAL);
    const d = dest.value;
    const key = destKey(d);
    if (cmd === K.IPVS_CMD_DEL_DEST) return found.destinations.delete(key) ? ok() : err(E.ENOENT);
    if (
      d.fwdMethod === undefined ||
      d.weight === undefined ||
      d.uThreshold === undefined ||
      d.lThreshold === undefined
    ) {
      return err(E.EINVAL);
    }
    if (cmd === K.IPVS_CMD_NEW_DEST) {
      if (found.destinations.has(key)) return err(E.EEXIST);
    } else if (!found.destinations.has(key)) return err(E.ENOENT);
    found.destinations.set(key, {
      ...d,
      tunType: d.tunType ?? 0,
      tunPort: d.tunPort ?? 0,
      tunFlags: d.tunFlags ?? 0,
    });
    return ok();
  }
}
