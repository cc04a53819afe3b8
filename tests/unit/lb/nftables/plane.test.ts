// The plane's I/O shell against a scripted kernel: one batch per apply, a refused batch names the table
// change and leaves the plane's idea of the kernel unchanged, close removes our tables synchronously.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeMessages,
  encodeAck,
  NLM_F_ACK,
  type NetlinkMessage,
} from '../../../../src/net/netlink/codec.js';
import { NfnetlinkBatchClient } from '../../../../src/net/netlink/nfnetlink-batch.js';
import { NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END } from '../../../../src/net/netlink/nfnetlink.js';
import { NFT_MSG_DELTABLE, NFT_MSG_NEWRULE } from '../../../../src/net/netlink/nftables.js';
import { Rtnetlink } from '../../../../src/net/netlink/rtnetlink.js';
import type { NetlinkTransport } from '../../../../src/net/netlink/transport.js';
import { NftablesPlane } from '../../../../src/lb/nftables/plane.js';
import type { Destination, LbChange, Service } from '../../../../src/lb/table/types.js';

type Verdict = (m: NetlinkMessage) => number;

/** A kernel that acknowledges the flagged message and refuses those `verdict` gives an errno. */
function kernel(verdict: Verdict = () => 0): { transport: NetlinkTransport; batches: NetlinkMessage[][] } {
  const batches: NetlinkMessage[][] = [];
  let deliver: ((d: Buffer) => void) | undefined;
  return {
    batches,
    transport: {
      send: (datagram) => {
        const decoded = decodeMessages(datagram);
        assert.ok(decoded.ok);
        batches.push(decoded.value);
        const replies: Buffer[] = [];
        for (const m of decoded.value) {
          if (m.type === NFNL_MSG_BATCH_BEGIN || m.type === NFNL_MSG_BATCH_END) continue;
          const errno = verdict(m);
          if (errno || m.flags & NLM_F_ACK) replies.push(encodeAck(m, errno));
        }
        setImmediate(() => replies.forEach((r) => deliver?.(r)));
      },
      onMessage: (d) => {
        deliver = d;
      },
      stopReading: () => {
        deliver = undefined;
      },
      close: () => undefined,
    },
  };
}

const unusedRtnetlink = (): Rtnetlink =>
  new Rtnetlink({ send: () => undefined, onMessage: () => undefined, close: () => undefined });

const key = { kind: 'address', family: 'inet', protocol: 'TCP', address: '192.0.2.1', port: 80 } as const;
const dest = (address: string): Destination => ({
  family: 'inet',
  address,
  port: 80,
  method: 'NAT',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
});
const svc = (ds: Destination[], extra: Partial<Service> = {}): Service => ({
  key,
  scheduler: 'rr',
  schedFlags: [],
  onePacket: false,
  destinations: ds,
  ...extra,
});
const load = (s: Service): LbChange[] => [
  { op: 'add-service', service: s },
  ...s.destinations.map((d): LbChange => ({ op: 'add-destination', service: s.key, destination: d })),
];
const op = (m: NetlinkMessage): number => m.type & 0xff;

describe('NftablesPlane', () => {
  test('each apply is one batch; the second holds only what changed', async () => {
    const k = kernel();
    const plane = NftablesPlane.open({
      batchClient: new NfnetlinkBatchClient(k.transport),
      rtnetlink: unusedRtnetlink(),
    });
    const first = svc([dest('10.0.0.1'), dest('10.0.0.2')]);
    await plane.apply(load(first), { services: [first] });
    assert.equal(k.batches.length, 1);
    const second = svc([dest('10.0.0.1')]);
    await plane.apply([{ op: 'delete-destination', service: key, destination: dest('10.0.0.2') }], {
      services: [second],
    });
    assert.equal(k.batches.length, 2);
    // flush chain, delete slot 1, the rule with modulus 1, framed by BATCH_BEGIN / END.
    assert.equal(k.batches[1]?.length, 5);
    assert.equal(plane.lastApply?.operations, 3);
    plane.close();
  });

  test('a refused batch names the change and the operation; the next apply plans from the old state', async () => {
    let refuseRules = true;
    const k = kernel((m) => (refuseRules && op(m) === NFT_MSG_NEWRULE ? 22 : 0));
    const plane = NftablesPlane.open({
      batchClient: new NfnetlinkBatchClient(k.transport),
      rtnetlink: unusedRtnetlink(),
    });
    const s = svc([dest('10.0.0.1')]);
    await assert.rejects(plane.apply(load(s), { services: [s] }), (e: unknown) => {
      assert.match(
        (e as Error).message,
        /^nftables: create table inet keepalived_ts: the kernel refused "add rule inet keepalived_ts prerouting \(verdict\)" with EINVAL; nothing of this change was applied$/,
      );
      return true;
    });
    assert.equal(plane.plannedState.started, false);
    refuseRules = false;
    await plane.apply(load(s), { services: [s] });
    // Planned again from scratch: the replacement of a previous run's tables comes first again.
    assert.equal(op(k.batches[1]?.[1] as NetlinkMessage), 0); // NEWTABLE
    assert.equal(op(k.batches[1]?.[2] as NetlinkMessage), NFT_MSG_DELTABLE);
    plane.close();
  });

  test('an unsupported service is refused before anything is sent', async () => {
    const k = kernel();
    const plane = NftablesPlane.open({
      batchClient: new NfnetlinkBatchClient(k.transport),
      rtnetlink: unusedRtnetlink(),
    });
    const s = svc([dest('10.0.0.1')], { scheduler: 'lblc' });
    await assert.rejects(plane.apply(load(s), { services: [s] }), /lb_algo lblc .*use dh/);
    assert.equal(k.batches.length, 0);
    plane.close();
  });

  test('close removes our two tables at once, before returning; keepOnClose leaves them', async () => {
    const k = kernel();
    const plane = NftablesPlane.open({
      batchClient: new NfnetlinkBatchClient(k.transport),
      rtnetlink: unusedRtnetlink(),
    });
    plane.close();
    assert.equal(k.batches.length, 1);
    assert.deepEqual(k.batches[0]?.slice(1, -1).map(op), [0, NFT_MSG_DELTABLE, 0, NFT_MSG_DELTABLE]);
    await assert.rejects(plane.apply([], { services: [] }), /closed/);
    const kept = kernel();
    const keeper = NftablesPlane.open({
      batchClient: new NfnetlinkBatchClient(kept.transport),
      rtnetlink: unusedRtnetlink(),
      keepOnClose: true,
    });
    keeper.close();
    assert.equal(kept.batches.length, 0);
  });
});
