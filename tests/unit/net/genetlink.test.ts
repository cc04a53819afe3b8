// Generic netlink: golden bytes of the controller request and answer (derived by hand from
// linux/netlink.h and linux/genetlink.h), and the client's bookkeeping with a scripted kernel.
// These vectors assume a little-endian host (x86-64, arm64): netlink integers are in host order.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  attr,
  decodeMessages,
  encodeAck,
  encodeMessage,
  type NetlinkMessage,
  NLM_F_MULTI,
  NLMSG_DONE,
} from '../../../src/net/netlink/codec.js';
import {
  CTRL_CMD_GETFAMILY,
  decodeFamily,
  decodeGenlMessage,
  encodeGenlPayload,
  GenericNetlink,
  GenetlinkError,
  GenlFamilyNotFoundError,
  genlRequest,
  getFamilyRequest,
  GENL_ID_CTRL,
} from '../../../src/net/netlink/genetlink.js';
import type { NetlinkTransport } from '../../../src/net/netlink/transport.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/#[^\n]*/g, '').replace(/[^0-9a-f]/gi, ''), 'hex');

class ScriptedKernel implements NetlinkTransport {
  readonly requests: NetlinkMessage[] = [];
  deliver: (d: Buffer) => void = () => undefined;
  closed = false;
  send(datagram: Buffer): void {
    const r = decodeMessages(datagram);
    assert.ok(r.ok);
    this.requests.push(...r.value);
  }
  onMessage(onDatagram: (d: Buffer) => void): void {
    this.deliver = onDatagram;
  }
  close(): void {
    this.closed = true;
  }
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

// CTRL_CMD_NEWFAMILY for "IPVS" as the controller writes it (ctrl_fill_info): name, id, version,
// hdrsize, maxattr, then the operations and multicast groups, each a nest of nests numbered from 1.
const IPVS_FAMILY_REPLY = `
  01 02 0000                     # genlmsghdr: cmd 1 (CTRL_CMD_NEWFAMILY), version 2, reserved
  0900 0200 49505653 00 000000   # CTRL_ATTR_FAMILY_NAME (2), len 4+5, "IPVS\\0", padded to 12
  0600 0100 2300 0000            # CTRL_ATTR_FAMILY_ID (1), u16 0x23, padded to 8
  0800 0300 01000000             # CTRL_ATTR_VERSION (3), u32 1
  0800 0400 00000000             # CTRL_ATTR_HDRSIZE (4), u32 0
  0800 0500 06000000             # CTRL_ATTR_MAXATTR (5), u32 6 (IPVS_CMD_ATTR_MAX)
  2c00 0600                      # CTRL_ATTR_OPS (6), len 4 + 2 x 20
    1400 0100                    #   op #1, len 4 + 2 x 8
      0800 0100 01000000         #     CTRL_ATTR_OP_ID (1): 1 (IPVS_CMD_NEW_SERVICE)
      0800 0200 0b000000         #     CTRL_ATTR_OP_FLAGS (2): ADMIN_PERM|CAP_DO|HASPOL
    1400 0200                    #   op #2
      0800 0100 04000000         #     id 4 (IPVS_CMD_GET_SERVICE)
      0800 0200 0f000000         #     ADMIN_PERM|CAP_DO|CAP_DUMP|HASPOL
  1c00 0700                      # CTRL_ATTR_MCAST_GROUPS (7), len 4 + 24 (IPVS has none: a test group)
    1800 0100                    #   group #1, len 4 + 12 + 8
      0b00 0100 6e6f74696679 00 00   # CTRL_ATTR_MCAST_GRP_NAME (1): "notify\\0", padded to 12
      0800 0200 10000000         #     CTRL_ATTR_MCAST_GRP_ID (2): 16
`;

const familyReply = (seq: number): Buffer =>
  encodeMessage({ type: GENL_ID_CTRL, flags: 0, seq, pid: 0, payload: hex(IPVS_FAMILY_REPLY) });

void describe('generic netlink: golden bytes', () => {
  void test('CTRL_CMD_GETFAMILY "IPVS" request', () => {
    const req = getFamilyRequest('IPVS');
    assert.deepEqual(
      encodeMessage({ ...req, seq: 1, pid: 0 }),
      hex(`
        20000000                 # nlmsg_len 32 = 16 + 4 (genlmsghdr) + 12 (attribute)
        1000                     # nlmsg_type 0x10: GENL_ID_CTRL
        0500                     # NLM_F_REQUEST | NLM_F_ACK
        01000000 00000000        # seq 1, port 0
        03 01 0000               # genlmsghdr: CTRL_CMD_GETFAMILY (3), version 1 (as libnl), reserved
        0900 0200 49505653 00    # CTRL_ATTR_FAMILY_NAME (2), len 9: "IPVS\\0"
        000000                   # padding to 4 bytes
      `),
    );
  });

  void test('a dump command carries NLM_F_DUMP (0x300) besides REQUEST | ACK', () => {
    const req = genlRequest({ family: 0x23, cmd: 4, version: 1 }, true);
    assert.equal(req.flags, 0x305);
    assert.deepEqual(req.payload, hex('04 01 0000'));
  });

  void test('the controller answer decodes into id, version, operations and groups', () => {
    const m = decodeMessages(familyReply(7));
    assert.ok(m.ok);
    const g = decodeGenlMessage(m.value[0]!);
    assert.ok(g.ok);
    assert.equal(g.value.cmd, 1);
    assert.equal(g.value.version, 2);
    const f = decodeFamily(g.value);
    assert.ok(f.ok, f.ok ? '' : f.error);
    assert.deepEqual(f.value, {
      id: 0x23,
      name: 'IPVS',
      version: 1,
      headerSize: 0,
      maxAttr: 6,
      operations: [
        { id: 1, flags: 0x0b },
        { id: 4, flags: 0x0f },
      ],
      multicastGroups: [{ name: 'notify', id: 16 }],
    });
  });

  void test('a family header of hdrsize bytes sits between genlmsghdr and the attributes', () => {
    const payload = encodeGenlPayload({
      cmd: 2,
      version: 1,
      userHeader: hex('aabbcc'),
      attrs: [attr.u8(1, 9)],
    });
    assert.deepEqual(payload, hex('02 01 0000  aabbcc 00  05000100 09000000')); // header padded to 4
    const g = decodeGenlMessage({ type: 30, flags: 0, seq: 0, pid: 0, payload }, 3);
    assert.ok(g.ok);
    assert.deepEqual(g.value.userHeader, hex('aabbcc'));
    assert.deepEqual(g.value.attrs, [{ type: 1, nested: false, data: hex('09') }]);
  });

  void test('short or malformed messages are refused, never thrown', () => {
    assert.equal(decodeGenlMessage({ type: 16, flags: 0, seq: 0, pid: 0, payload: hex('0102') }).ok, false);
    assert.equal(
      decodeGenlMessage({ type: 16, flags: 0, seq: 0, pid: 0, payload: hex('01020000 0900') }).ok,
      false,
    );
    const noId = decodeGenlMessage({ type: 16, flags: 0, seq: 0, pid: 0, payload: hex('01020000') });
    assert.ok(noId.ok);
    assert.equal(decodeFamily(noId.value).ok, false);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const g = decodeGenlMessage({ type: 16, flags: 0, seq: 0, pid: 0, payload: Buffer.from(bytes) });
        if (g.ok) decodeFamily(g.value);
      }),
    );
  });
});

void describe('generic netlink client', () => {
  void test('a family is resolved once and cached; the request is the golden one', async () => {
    const kernel = new ScriptedKernel();
    const genl = new GenericNetlink(kernel);
    const first = genl.resolveFamily('IPVS');
    await tick();
    assert.equal(kernel.requests.length, 1);
    const req = kernel.requests[0]!;
    assert.equal(req.type, GENL_ID_CTRL);
    assert.equal(req.payload[0], CTRL_CMD_GETFAMILY);
    kernel.deliver(Buffer.concat([familyReply(req.seq), encodeAck(req, 0)]));
    assert.equal((await first).id, 0x23);
    assert.equal((await genl.resolveFamily('IPVS')).id, 0x23);
    assert.equal(kernel.requests.length, 1, 'served from the cache');
    genl.close();
    assert.equal(kernel.closed, true);
  });

  void test('an unknown family is GenlFamilyNotFoundError, and is asked again next time', async () => {
    const kernel = new ScriptedKernel();
    const genl = new GenericNetlink(kernel);
    const p = genl.resolveFamily('IPVS');
    await tick();
    kernel.deliver(encodeAck(kernel.requests[0]!, 2));
    await assert.rejects(p, (e: unknown) => e instanceof GenlFamilyNotFoundError && e.familyName === 'IPVS');
    const again = genl.resolveFamily('IPVS');
    await tick();
    assert.equal(kernel.requests.length, 2);
    kernel.deliver(Buffer.concat([familyReply(kernel.requests[1]!.seq), encodeAck(kernel.requests[1]!, 0)]));
    assert.equal((await again).name, 'IPVS');
    genl.close();
  });

  void test('refusals name the family and command; dumps collect every part', async () => {
    const kernel = new ScriptedKernel();
    const genl = new GenericNetlink(kernel);
    const resolved = genl.resolveFamily('IPVS');
    await tick();
    kernel.deliver(Buffer.concat([familyReply(kernel.requests[0]!.seq), encodeAck(kernel.requests[0]!, 0)]));
    await resolved;

    const refused = genl.command({ family: 0x23, cmd: 1, version: 1 });
    await tick();
    kernel.deliver(encodeAck(kernel.requests[1]!, 17, 'exists'));
    await assert.rejects(refused, (e: unknown) => {
      assert.ok(e instanceof GenetlinkError);
      assert.equal(e.code, 'EEXIST');
      assert.equal(e.family, 'IPVS');
      assert.equal(e.cmd, 1);
      assert.match(e.message, /^IPVS command 1 failed: EEXIST \(exists\)$/);
      return true;
    });

    const dump = genl.dump({ family: 0x23, cmd: 4, version: 1 });
    await tick();
    const seq = kernel.requests[2]!.seq;
    assert.equal(kernel.requests[2]!.flags, 0x305);
    const part = (n: number): Buffer =>
      encodeMessage({
        type: 0x23,
        flags: NLM_F_MULTI,
        seq,
        pid: 0,
        payload: hex(`01 01 0000 05000100 0${n}000000`),
      });
    kernel.deliver(Buffer.concat([part(1), part(2)]));
    kernel.deliver(
      encodeMessage({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq, pid: 0, payload: Buffer.alloc(4) }),
    );
    const parts = await dump;
    assert.deepEqual(
      parts.map((p) => [p.family, p.cmd, p.attrs[0]?.data[0]]),
      [
        [0x23, 1, 1],
        [0x23, 1, 2],
      ],
    );
    genl.close();
  });
});
