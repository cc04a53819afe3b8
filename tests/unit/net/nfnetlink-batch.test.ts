// The batch client against a scripted kernel: what it sends, and how it reads acknowledgements and errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessages, encodeAck, NLM_F_ACK, type NetlinkMessage } from '../../../src/net/netlink/codec.js';
import { NfnetlinkBatchClient, NfnetlinkBatchError } from '../../../src/net/netlink/nfnetlink-batch.js';
import { NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END } from '../../../src/net/netlink/nfnetlink.js';
import { newTable } from '../../../src/net/netlink/nftables.js';
import type { NetlinkTransport } from '../../../src/net/netlink/transport.js';

/** A transport whose "kernel" answers each sent batch with `answer(messages)`. */
function scriptedKernel(answer: (sent: NetlinkMessage[]) => Buffer[]): {
  transport: NetlinkTransport;
  sent: NetlinkMessage[][];
  sendBuffer: number[];
} {
  const sent: NetlinkMessage[][] = [];
  const sendBuffer: number[] = [];
  let deliver: ((d: Buffer) => void) | undefined;
  const transport: NetlinkTransport = {
    send: (datagram) => {
      const decoded = decodeMessages(datagram);
      assert.ok(decoded.ok);
      sent.push(decoded.value);
      const replies = answer(decoded.value);
      setImmediate(() => replies.forEach((r) => deliver?.(r)));
    },
    onMessage: (onDatagram) => {
      deliver = onDatagram;
    },
    stopReading: () => {
      deliver = undefined;
    },
    setSendBuffer: (bytes) => sendBuffer.push(bytes),
    close: () => undefined,
  };
  return { transport, sent, sendBuffer };
}

const table = (name: string) => newTable({ family: 'inet', table: name });

describe('NfnetlinkBatchClient', () => {
  test('sends one datagram framed by BATCH_BEGIN/END, asks an ack of the last message only, resolves on it', async () => {
    const kernel = scriptedKernel((msgs) => {
      const last = msgs[msgs.length - 2] as NetlinkMessage;
      return [encodeAck(last, 0)];
    });
    const client = new NfnetlinkBatchClient(kernel.transport);
    await client.commit([table('a'), table('b'), table('c')]);
    const [batch] = kernel.sent;
    assert.ok(batch);
    assert.deepEqual(
      batch.map((m) => m.type),
      [NFNL_MSG_BATCH_BEGIN, 0x0a00, 0x0a00, 0x0a00, NFNL_MSG_BATCH_END],
    );
    assert.deepEqual(
      batch.map((m) => (m.flags & NLM_F_ACK) !== 0),
      [false, false, false, true, false],
    );
    const seqs = batch.map((m) => m.seq);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => (seqs[0] as number) + i),
    );
    assert.ok((kernel.sendBuffer[0] ?? 0) > 0, 'the send buffer is sized for the batch');
    client.close();
  });

  test('a refused message rejects with its index and errno name; every refusal is listed', async () => {
    const kernel = scriptedKernel((msgs) => [
      encodeAck(msgs[2] as NetlinkMessage, 17, 'already there'), // message index 1: EEXIST
      encodeAck(msgs[3] as NetlinkMessage, 2), // message index 2 (the last): ENOENT
    ]);
    const client = new NfnetlinkBatchClient(kernel.transport);
    await assert.rejects(client.commit([table('a'), table('b'), table('c')]), (e: unknown) => {
      assert.ok(e instanceof NfnetlinkBatchError);
      assert.equal(e.index, 1);
      assert.equal(e.code, 'EEXIST');
      assert.equal(e.kernelMessage, 'already there');
      assert.deepEqual(
        e.all.map((x) => [x.index, x.code]),
        [
          [1, 'EEXIST'],
          [2, 'ENOENT'],
        ],
      );
      return true;
    });
    client.close();
  });

  test('an error against BATCH_BEGIN (the batch as a whole) ends the wait', async () => {
    const kernel = scriptedKernel((msgs) => [encodeAck(msgs[0] as NetlinkMessage, 12)]);
    const client = new NfnetlinkBatchClient(kernel.transport);
    await assert.rejects(
      client.commit([table('a')]),
      (e: unknown) => e instanceof NfnetlinkBatchError && e.index === -1 && e.code === 'ENOMEM',
    );
    client.close();
  });

  test('commits queue: the second batch is sent after the first is answered, with fresh sequence numbers', async () => {
    const kernel = scriptedKernel((msgs) => [encodeAck(msgs[msgs.length - 2] as NetlinkMessage, 0)]);
    const client = new NfnetlinkBatchClient(kernel.transport);
    await Promise.all([client.commit([table('a')]), client.commit([table('b')])]);
    assert.equal(kernel.sent.length, 2);
    assert.ok((kernel.sent[1]?.[0]?.seq ?? 0) > (kernel.sent[0]?.at(-1)?.seq ?? 0));
    client.close();
  });

  test('the time the kernel spends inside sendmsg (a large transaction) does not count against the timeout', async () => {
    const kernel = scriptedKernel((msgs) => {
      // The kernel commits inside sendmsg: the caller is blocked all along.
      const until = Date.now() + 150;
      while (Date.now() < until);
      return [encodeAck(msgs[msgs.length - 2] as NetlinkMessage, 0)];
    });
    const client = new NfnetlinkBatchClient(kernel.transport, { timeoutMs: 50 });
    await client.commit([table('a')]);
    client.close();
  });

  test('an empty batch sends nothing; an unanswered one times out', async () => {
    const kernel = scriptedKernel(() => []);
    const client = new NfnetlinkBatchClient(kernel.transport, { timeoutMs: 50 });
    await client.commit([]);
    assert.equal(kernel.sent.length, 0);
    await assert.rejects(
      client.commit([table('a')]),
      (e: unknown) => (e as { code?: string }).code === 'ETIMEDOUT',
    );
    client.close();
  });
});
