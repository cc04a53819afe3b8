// The client's request bookkeeping with a scripted kernel, for what the real one will not do on demand:
// replies out of order, interrupted dumps, silence (timeouts), ENOBUFS and garbage on the event socket.
// Everything else is covered against the real kernel in tests/netns/rtnetlink.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  attr,
  decodeMessages,
  encodeAck,
  encodeAttrs,
  encodeMessage,
  type NetlinkMessage,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLMSG_DONE,
} from '../../../src/net/netlink/codec.js';
import { Rtnetlink, RtnetlinkError, subscribe, type RtnlEvent } from '../../../src/net/netlink/rtnetlink.js';
import { encodeIfinfomsg, RTM_NEWLINK, IFLA_IFNAME } from '../../../src/net/netlink/rtnl-messages.js';
import type { NetlinkTransport } from '../../../src/net/netlink/transport.js';

class ScriptedKernel implements NetlinkTransport {
  readonly requests: NetlinkMessage[] = [];
  deliver: (d: Buffer) => void = () => undefined;
  fail: (e: Error) => void = () => undefined;
  closed = false;
  send(datagram: Buffer): void {
    const r = decodeMessages(datagram);
    assert.ok(r.ok);
    this.requests.push(...r.value);
  }
  onMessage(onDatagram: (d: Buffer) => void, onError?: (e: Error) => void): void {
    this.deliver = onDatagram;
    this.fail = onError ?? (() => undefined);
  }
  close(): void {
    this.closed = true;
  }
}

const linkMsg = (seq: number, index: number, name: string, extraFlags = 0): Buffer =>
  encodeMessage({
    type: RTM_NEWLINK,
    flags: NLM_F_MULTI | extraFlags,
    seq,
    pid: 0,
    payload: Buffer.concat([encodeIfinfomsg({ index }), encodeAttrs([attr.str(IFLA_IFNAME, name)])]),
  });
const done = (seq: number): Buffer =>
  encodeMessage({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq, pid: 0, payload: Buffer.alloc(4) });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

void describe('rtnetlink client bookkeeping', () => {
  void test('answers are matched by sequence number, whatever their order', async () => {
    const kernel = new ScriptedKernel();
    const client = new Rtnetlink(kernel);
    const first = client.setLinkUp(5);
    const second = client.addAddress({ dev: 6, address: '10.0.0.1/8' });
    await tick();
    const [r1, r2] = kernel.requests;
    assert.ok(r1 && r2);
    assert.notEqual(r1.seq, r2.seq);
    kernel.deliver(encodeAck(r2, 17, 'ipv4: Address already assigned'));
    kernel.deliver(encodeAck(r1, 0));
    await first;
    await assert.rejects(second, (e: unknown) => {
      assert.ok(e instanceof RtnetlinkError);
      assert.equal(e.code, 'EEXIST');
      assert.equal(e.errno, 17);
      assert.equal(e.kernelMessage, 'ipv4: Address already assigned');
      return true;
    });
    client.close();
    assert.equal(kernel.closed, true);
  });

  void test('an interrupted dump is run again; dumps never overlap', async () => {
    const kernel = new ScriptedKernel();
    const client = new Rtnetlink(kernel);
    const links = client.listLinks();
    const addrs = client.listAddresses();
    await tick();
    assert.equal(kernel.requests.length, 1, 'second dump waits for the first');
    const seq1 = kernel.requests[0]!.seq;
    kernel.deliver(Buffer.concat([linkMsg(seq1, 1, 'lo', NLM_F_DUMP_INTR), done(seq1)]));
    await tick();
    assert.equal(kernel.requests.length, 2, 'retried');
    const seq2 = kernel.requests[1]!.seq;
    kernel.deliver(linkMsg(seq2, 1, 'lo'));
    kernel.deliver(Buffer.concat([linkMsg(seq2, 2, 'eth0'), done(seq2)]));
    assert.deepEqual(
      (await links).map((l) => [l.index, l.name]),
      [
        [1, 'lo'],
        [2, 'eth0'],
      ],
    );
    await tick();
    assert.equal(kernel.requests.length, 3, 'address dump sent after the link dump finished');
    kernel.deliver(done(kernel.requests[2]!.seq));
    assert.deepEqual(await addrs, []);
    client.close();
  });

  void test('silence times out; close rejects what is pending', async () => {
    const kernel = new ScriptedKernel();
    const client = new Rtnetlink(kernel, { timeoutMs: 20 });
    await assert.rejects(client.setLinkUp(1), { code: 'ETIMEDOUT' });
    const pending = client.setLinkUp(2);
    client.close();
    await assert.rejects(pending, /closed/);
    await assert.rejects(client.setLinkUp(3), /closed/);
  });

  void test('subscription: notifications decoded, ENOBUFS becomes overrun, garbage reported', () => {
    const kernel = new ScriptedKernel();
    const events: RtnlEvent[] = [];
    const errors: Error[] = [];
    const sub = subscribe((e) => events.push(e), { transport: kernel, onError: (e) => errors.push(e) });
    kernel.deliver(linkMsg(0, 3, 'eth1'));
    kernel.fail(Object.assign(new Error('no buffer space'), { code: 'ENOBUFS' }));
    kernel.deliver(Buffer.from([1, 2, 3]));
    assert.equal(events.length, 2);
    assert.equal(events[0]?.kind === 'link' && events[0].link.name, 'eth1');
    assert.deepEqual(events[1], { kind: 'overrun' });
    assert.equal(errors.length, 1);
    sub.close();
    assert.equal(kernel.closed, true);
  });
});
