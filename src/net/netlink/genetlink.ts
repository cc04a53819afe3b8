// Generic netlink (linux/genetlink.h): the 4-byte genlmsghdr after nlmsghdr, family resolution through
// the controller (CTRL_CMD_GETFAMILY: id, version, operations, multicast groups), and a client that
// sends commands of any family over requester.ts. Knows no family's messages; decoders never throw.

import {
  type Attr,
  type AttrSpec,
  type DecodeResult,
  type NetlinkMessage,
  attr,
  attrNested,
  attrStr,
  attrU16,
  attrU32,
  decodeAttrs,
  encodeAttrs,
  errnoName,
  findAttr,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_REQUEST,
} from './codec.js';
import { type NetlinkRequest, NetlinkRequester } from './requester.js';
import { type NetlinkTransport, openNetlinkSocket } from './transport.js';

export const NETLINK_GENERIC = 16;

/** struct genlmsghdr: cmd u8, version u8, reserved u16. */
export const GENL_HDRLEN = 4;
/** The controller's fixed family id (NLMSG_MIN_TYPE). */
export const GENL_ID_CTRL = 0x10;
/** Version libnl and the tools put in controller requests. */
export const CTRL_VERSION = 1;

export const CTRL_CMD_NEWFAMILY = 1;
export const CTRL_CMD_GETFAMILY = 3;

export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;
export const CTRL_ATTR_VERSION = 3;
export const CTRL_ATTR_HDRSIZE = 4;
export const CTRL_ATTR_MAXATTR = 5;
export const CTRL_ATTR_OPS = 6;
export const CTRL_ATTR_MCAST_GROUPS = 7;

export const CTRL_ATTR_OP_ID = 1;
export const CTRL_ATTR_OP_FLAGS = 2;

export const CTRL_ATTR_MCAST_GRP_NAME = 1;
export const CTRL_ATTR_MCAST_GRP_ID = 2;

/** GENL_NAMSIZ: family names are at most 15 characters plus NUL. */
export const GENL_NAMSIZ = 16;

export interface GenlHeader {
  cmd: number;
  version: number;
}

/** A decoded generic netlink message: nlmsghdr fields, genlmsghdr, the family header, the attributes. */
export interface GenlMessage extends GenlHeader {
  /** nlmsg_type: the family id. */
  family: number;
  flags: number;
  seq: number;
  /** The family's own fixed header (hdrsize bytes), empty for most families. */
  userHeader: Buffer;
  attrs: Attr[];
}

export interface GenlOperation {
  id: number;
  /** GENL_ADMIN_PERM, GENL_CMD_CAP_DO, GENL_CMD_CAP_DUMP, ... */
  flags: number;
}

export interface GenlMulticastGroup {
  name: string;
  id: number;
}

/** What the controller says about a family. */
export interface GenlFamily {
  id: number;
  name: string;
  version: number;
  /** Size of the family's fixed header after genlmsghdr. */
  headerSize: number;
  maxAttr: number;
  operations: GenlOperation[];
  multicastGroups: GenlMulticastGroup[];
}

// ---- encoding ------------------------------------------------------------------------------

export function encodeGenlHeader(h: GenlHeader): Buffer {
  return Buffer.from([h.cmd & 0xff, h.version & 0xff, 0, 0]);
}

/** A command of `family`: genlmsghdr, then the attributes (families with a user header pass it first). */
export interface GenlCommand extends GenlHeader {
  family: number;
  attrs?: readonly AttrSpec[];
  userHeader?: Uint8Array;
}

function padTo4(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc((bytes.length + 3) & ~3);
  out.set(bytes, 0);
  return out;
}

export function encodeGenlPayload(c: Omit<GenlCommand, 'family'>): Buffer {
  return Buffer.concat([
    encodeGenlHeader(c),
    // The family header is padded to 4 bytes before the attributes (NLMSG_ALIGN(hdrsize)).
    padTo4(c.userHeader ?? new Uint8Array(0)),
    encodeAttrs(c.attrs ?? []),
  ]);
}

/** nlmsg flags: REQUEST | ACK for a command, plus DUMP for a dump (as libnl's nl_send_auto sends them). */
export function genlFlags(dump: boolean): number {
  return NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0);
}

export function genlRequest(c: GenlCommand, dump = false): NetlinkRequest {
  return { type: c.family, flags: genlFlags(dump), payload: encodeGenlPayload(c) };
}

/** CTRL_CMD_GETFAMILY by name. */
export function getFamilyRequest(name: string): NetlinkRequest {
  return genlRequest({
    family: GENL_ID_CTRL,
    cmd: CTRL_CMD_GETFAMILY,
    version: CTRL_VERSION,
    attrs: [attr.str(CTRL_ATTR_FAMILY_NAME, name)],
  });
}

// ---- decoding ------------------------------------------------------------------------------

export function decodeGenlMessage(msg: NetlinkMessage, userHeaderLen = 0): DecodeResult<GenlMessage> {
  if (msg.payload.length < GENL_HDRLEN + userHeaderLen) {
    return { ok: false, error: `genetlink payload ${msg.payload.length} bytes, header needs ${GENL_HDRLEN}` };
  }
  const attrStart = GENL_HDRLEN + ((userHeaderLen + 3) & ~3);
  const attrs = decodeAttrs(msg.payload.subarray(Math.min(attrStart, msg.payload.length)));
  if (!attrs.ok) return { ok: false, error: `genetlink attributes: ${attrs.error}` };
  return {
    ok: true,
    value: {
      family: msg.type,
      flags: msg.flags,
      seq: msg.seq,
      cmd: msg.payload[0] as number,
      version: msg.payload[1] as number,
      userHeader: Buffer.from(msg.payload.subarray(GENL_HDRLEN, GENL_HDRLEN + userHeaderLen)),
      attrs: attrs.value,
    },
  };
}

/** The controller's CTRL_CMD_NEWFAMILY reply. */
export function decodeFamily(msg: GenlMessage): DecodeResult<GenlFamily> {
  if (msg.cmd !== CTRL_CMD_NEWFAMILY) return { ok: false, error: `controller command ${msg.cmd}` };
  const id = attrU16(findAttr(msg.attrs, CTRL_ATTR_FAMILY_ID));
  const name = attrStr(findAttr(msg.attrs, CTRL_ATTR_FAMILY_NAME));
  if (id === undefined || name === undefined) return { ok: false, error: 'family id or name missing' };
  const operations: GenlOperation[] = [];
  for (const op of attrNested(findAttr(msg.attrs, CTRL_ATTR_OPS)) ?? []) {
    const inner = attrNested(op);
    const opId = attrU32(inner && findAttr(inner, CTRL_ATTR_OP_ID));
    if (inner && opId !== undefined) {
      operations.push({ id: opId, flags: attrU32(findAttr(inner, CTRL_ATTR_OP_FLAGS)) ?? 0 });
    }
  }
  const multicastGroups: GenlMulticastGroup[] = [];
  for (const group of attrNested(findAttr(msg.attrs, CTRL_ATTR_MCAST_GROUPS)) ?? []) {
    const inner = attrNested(group);
    const groupName = attrStr(inner && findAttr(inner, CTRL_ATTR_MCAST_GRP_NAME));
    const groupId = attrU32(inner && findAttr(inner, CTRL_ATTR_MCAST_GRP_ID));
    if (groupName !== undefined && groupId !== undefined)
      multicastGroups.push({ name: groupName, id: groupId });
  }
  return {
    ok: true,
    value: {
      id,
      name,
      version: attrU32(findAttr(msg.attrs, CTRL_ATTR_VERSION)) ?? 0,
      headerSize: attrU32(findAttr(msg.attrs, CTRL_ATTR_HDRSIZE)) ?? 0,
      maxAttr: attrU32(findAttr(msg.attrs, CTRL_ATTR_MAXATTR)) ?? 0,
      operations,
      multicastGroups,
    },
  };
}

// ---- client --------------------------------------------------------------------------------

/** A command the kernel refused: `code` is the errno name (EEXIST, ESRCH, ENOENT, ...). */
export class GenetlinkError extends Error {
  constructor(
    readonly code: string,
    readonly errno: number,
    /** Family name when resolved through this client, else "family <id>". */
    readonly family: string,
    readonly cmd: number,
    readonly kernelMessage?: string,
  ) {
    super(`${family} command ${cmd} failed: ${code}${kernelMessage ? ` (${kernelMessage})` : ''}`);
    this.name = 'GenetlinkError';
  }
}

/** The controller knows no family of that name: its module is not loaded and could not be loaded. */
export class GenlFamilyNotFoundError extends Error {
  readonly code = 'ENOENT';
  constructor(readonly familyName: string) {
    super(`generic netlink family "${familyName}" not found`);
    this.name = 'GenlFamilyNotFoundError';
  }
}

export interface GenericNetlinkOptions {
  /** Reject a request the kernel has not answered within this time (default 5000 ms). */
  timeoutMs?: number;
  /** SO_RCVBUF for clients that keep many commands in flight (each answer waits there until read). */
  receiveBufferBytes?: number;
}

export class GenericNetlink {
  private readonly link: NetlinkRequester;
  private readonly familyNames = new Map<number, string>([[GENL_ID_CTRL, 'nlctrl']]);
  private readonly families = new Map<string, Promise<GenlFamily>>();

  constructor(transport: NetlinkTransport, options: GenericNetlinkOptions = {}) {
    this.link = new NetlinkRequester(transport, {
      timeoutMs: options.timeoutMs,
      name: 'genetlink',
      describe: (r) => `${this.familyLabel(r.type)} command ${r.payload[0] ?? '?'}`,
      makeError: (errno, r, kernelMessage) =>
        new GenetlinkError(
          errnoName(errno),
          errno,
          this.familyLabel(r.type),
          r.payload[0] ?? 0,
          kernelMessage,
        ),
    });
  }

  /** A client on its own NETLINK_GENERIC socket from the native addon. */
  static open(options: GenericNetlinkOptions = {}): GenericNetlink {
    const socket = openNetlinkSocket({
      protocol: NETLINK_GENERIC,
      receiveBufferBytes: options.receiveBufferBytes,
    });
    return new GenericNetlink(socket, options);
  }

  private familyLabel(id: number): string {
    return this.familyNames.get(id) ?? `family ${id}`;
  }

  close(): void {
    this.link.close();
  }

  /**
   * Asks the controller for a family (the kernel loads the module that provides it when it can); cached.
   * Rejects with GenlFamilyNotFoundError when the kernel has no such family.
   */
  resolveFamily(name: string): Promise<GenlFamily> {
    let found = this.families.get(name);
    if (!found) {
      found = this.lookUpFamily(name);
      this.families.set(name, found);
      // A failed look-up is not remembered: the module may be loaded later.
      found.catch(() => this.families.delete(name));
    }
    return found;
  }

  private async lookUpFamily(name: string): Promise<GenlFamily> {
    let replies: GenlMessage[];
    try {
      replies = await this.send(getFamilyRequest(name));
    } catch (error) {
      if (error instanceof GenetlinkError && error.code === 'ENOENT') throw new GenlFamilyNotFoundError(name);
      throw error;
    }
    for (const m of replies) {
      const f = decodeFamily(m);
      if (f.ok && f.value.name === name) {
        this.familyNames.set(f.value.id, f.value.name);
        return f.value;
      }
    }
    throw Object.assign(new Error(`controller gave no usable answer for family "${name}"`), {
      code: 'EBADMSG',
    });
  }

  /** Sends a command; resolves with the decoded replies (none for a plain ack). */
  command(c: GenlCommand): Promise<GenlMessage[]> {
    return this.send(genlRequest(c));
  }

  /** Runs a dump command (queued behind other dumps, again if interrupted). */
  async dump(c: GenlCommand): Promise<GenlMessage[]> {
    return this.decodeAll(await this.link.dump(genlRequest(c, true)));
  }

  private async send(req: NetlinkRequest): Promise<GenlMessage[]> {
    return this.decodeAll(await this.link.request(req));
  }

  private decodeAll(replies: NetlinkMessage[]): GenlMessage[] {
    const out: GenlMessage[] = [];
    for (const m of replies) {
      const r = decodeGenlMessage(m);
      if (!r.ok) throw Object.assign(new Error(`malformed genetlink reply: ${r.error}`), { code: 'EBADMSG' });
      out.push(r.value);
    }
    return out;
  }
}
