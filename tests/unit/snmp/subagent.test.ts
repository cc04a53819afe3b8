// The subagent's session against a scripted AgentX master on a Unix socket in a temporary directory (no
// network): Open, the Registers and AddAgentCaps keepalived sends, answers from the latest snapshot,
// notifications with sysUpTime.0 first, a parseError answer to a PDU it cannot read, reconnection after
// the master drops the connection or was not there yet, and the Close on shutdown. The real snmpd is in
// tests/netns/snmp.test.ts.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePdu, encodePdu, frameLength } from '../../../src/snmp/agentx/codec.js';
import { AGENTX_ERROR, type Pdu, type PduOf } from '../../../src/snmp/agentx/pdu.js';
import { SnmpSubagent } from '../../../src/snmp/subagent.js';
import { parseAgentxAddress } from '../../../src/snmp/agentx/session.js';
import { formatOid } from '../../../src/snmp/types.js';
import { globalInfo, instance, show, vrrpInfo } from '../../helpers/snmp-snapshot.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A master agent that answers every request with noError and records what it got. */
class FakeMaster {
  readonly received: Pdu[] = [];
  readonly connections: Socket[] = [];
  private server: Server | undefined;
  private waiters: Array<() => void> = [];
  private nextPacket = 1000;
  private pending = new Map<number, (r: PduOf<'response'>) => void>();

  constructor(readonly path: string) {}

  listen(): Promise<void> {
    this.server = createServer((s) => {
      this.connections.push(s);
      let inbox = Buffer.alloc(0);
      s.on('data', (chunk: Buffer) => {
        inbox = Buffer.concat([inbox, chunk]);
        for (;;) {
          const f = frameLength(inbox);
          if (f.kind !== 'frame') return;
          const r = decodePdu(inbox.subarray(0, f.length));
          inbox = inbox.subarray(f.length);
          assert.ok(r.ok, r.ok ? '' : r.error);
          this.handle(s, r.pdu);
        }
      });
    });
    return new Promise((resolve) => this.server?.listen(this.path, resolve));
  }

  private handle(s: Socket, pdu: Pdu): void {
    this.received.push(pdu);
    for (const w of this.waiters.splice(0)) w();
    if (pdu.type === 'response') {
      this.pending.get(pdu.packetId)?.(pdu);
      return;
    }
    const sessionId = pdu.type === 'open' ? 77 : pdu.sessionId;
    s.write(
      encodePdu({
        type: 'response',
        sessionId,
        transactionId: pdu.transactionId,
        packetId: pdu.packetId,
        sysUpTime: 5,
        error: 0,
        index: 0,
        varbinds: [],
      }),
    );
  }

  /** Sends a request to the subagent on the latest connection and resolves with its Response. */
  ask(pdu: DistributiveOmit<Pdu, 'sessionId' | 'transactionId' | 'packetId'>): Promise<PduOf<'response'>> {
    const packetId = this.nextPacket++;
    const s = this.connections.at(-1);
    assert.ok(s);
    return new Promise((resolve) => {
      this.pending.set(packetId, resolve);
      s.write(encodePdu({ ...pdu, sessionId: 77, transactionId: 9, packetId } as Pdu));
    });
  }

  /** Raw bytes to the subagent, and the PDU it answers with. */
  raw(bytes: Uint8Array, packetId: number): Promise<PduOf<'response'>> {
    return new Promise((resolve) => {
      this.pending.set(packetId, resolve);
      this.connections.at(-1)?.write(bytes);
    });
  }

  async waitFor(pred: (p: Pdu[]) => boolean, what: string, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this.received)) {
      if (Date.now() > deadline) throw new Error(`fake master: no ${what}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  count(type: Pdu['type']): number {
    return this.received.filter((p) => p.type === type).length;
  }

  close(): Promise<void> {
    for (const s of this.connections) s.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'kts-agentx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const snapshot = {
  global: globalInfo(),
  vrrp: vrrpInfo({ instances: [instance('VI_1', 51)] }),
};
const MIBS = { global: true, vrrp: true, rfcv2: true, rfcv3: false, checker: false };

describe('SnmpSubagent over AgentX', () => {
  test('addresses it can use', () => {
    assert.deepEqual(parseAgentxAddress('unix:/var/agentx/master'), { path: '/var/agentx/master' });
    assert.deepEqual(parseAgentxAddress('/tmp/x'), { path: '/tmp/x' });
    assert.deepEqual(parseAgentxAddress('tcp:localhost:705'), { host: 'localhost', port: 705 });
    assert.deepEqual(parseAgentxAddress('tcp:[::1]:705'), { host: '::1', port: 705 });
    assert.equal(parseAgentxAddress('udp:localhost:705'), undefined);
    assert.equal(parseAgentxAddress('unix:'), undefined);
  });

  test('opens, registers, answers, notifies, survives a drop and closes', async () => {
    const master = new FakeMaster(join(dir, 'master1'));
    await master.listen();
    const agent = new SnmpSubagent({
      mibs: MIBS,
      reconnectIntervalMs: 50,
      pingIntervalMs: 60_000,
      refreshIntervalMs: 60_000,
    });
    agent.update(snapshot);
    try {
      assert.equal(await agent.start(`unix:${master.path}`), true);
      assert.equal(agent.connected, true);
      const open = master.received[0];
      assert.equal(open?.type, 'open');
      assert.deepEqual(
        master.received
          .filter((p) => p.type === 'register')
          .map((p) => p.type === 'register' && formatOid(p.subtree)),
        ['.1.3.6.1.4.1.9586.100.5.1', '.1.3.6.1.4.1.9586.100.5.2', '.1.3.6.1.2.1.68'],
      );
      assert.ok(master.received.filter((p) => p.type !== 'open').every((p) => p.sessionId === 77));
      assert.equal(master.count('addAgentCaps'), 3);

      const next = await master.ask({
        type: 'getNext',
        ranges: [{ start: [1, 3, 6, 1, 4, 1, 9586, 100, 5], include: false, end: [] }],
      });
      assert.deepEqual(
        [formatOid(next.varbinds[0]?.oid ?? []), show(next.varbinds[0]?.value)],
        ['.1.3.6.1.4.1.9586.100.5.1.1.0', 'Keepalived v2.2.7 (01/16,2022)'],
      );
      assert.deepEqual([next.transactionId, next.sessionId], [9, 77]);

      // A new snapshot: counters may lag (the view is rebuilt at most every refreshIntervalMs)...
      agent.update({ ...snapshot, global: globalInfo({ routerId: 'other' }) });
      const routerId = [1, 3, 6, 1, 4, 1, 9586, 100, 5, 1, 2, 0];
      const lagging = await master.ask({
        type: 'get',
        ranges: [{ start: routerId, include: false, end: [] }],
      });
      assert.equal(show(lagging.varbinds[0]?.value), 'lab1');

      // A Get whose body is cut short: the header is readable, so the answer is a parseError.
      const bad = encodePdu({
        type: 'get',
        sessionId: 77,
        transactionId: 1,
        packetId: 4242,
        ranges: [{ start: [1, 3], include: false, end: [] }],
      });
      const truncated = bad.slice(0, bad.length - 4);
      new DataView(truncated.buffer).setUint32(16, truncated.length - 20);
      assert.equal((await master.raw(truncated, 4242)).error, AGENTX_ERROR.parseError);

      await agent.instanceStateChanged('VI_1');
      await master.waitFor((p) => p.filter((x) => x.type === 'notify').length >= 3, 'notifications');
      const notes = master.received.filter((p): p is PduOf<'notify'> => p.type === 'notify');
      assert.deepEqual(
        notes.map((n) => n.varbinds.slice(0, 2).map((v) => formatOid(v.oid))),
        [
          ['.1.3.6.1.2.1.1.3.0', '.1.3.6.1.6.3.1.1.4.1.0'],
          ['.1.3.6.1.2.1.1.3.0', '.1.3.6.1.6.3.1.1.4.1.0'],
          ['.1.3.6.1.2.1.1.3.0', '.1.3.6.1.6.3.1.1.4.1.0'],
        ],
      );
      // net-snmp's coldStart once registered, then the state change's.
      assert.deepEqual(
        notes.map((n) => show(n.varbinds[1]?.value)),
        ['.1.3.6.1.6.3.1.1.5.1', '.1.3.6.1.4.1.9586.100.5.2.10.0.2', '.1.3.6.1.2.1.68.0.1'],
      );

      // ... but not after a state change was notified.
      const fresh = await master.ask({ type: 'get', ranges: [{ start: routerId, include: false, end: [] }] });
      assert.equal(show(fresh.varbinds[0]?.value), 'other');

      // The master drops us: the subagent comes back, opens and registers again.
      master.connections.at(-1)?.destroy();
      await master.waitFor(
        (p) =>
          p.filter((x) => x.type === 'open').length === 2 &&
          p.filter((x) => x.type === 'addAgentCaps').length === 6,
        'a second session',
      );
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(agent.connected, true);

      await agent.close();
      await master.waitFor((p) => p.some((x) => x.type === 'close'), 'Close-PDU');
      const close = master.received.find((p) => p.type === 'close');
      assert.equal(close?.type === 'close' && close.reason, 5);
    } finally {
      await agent.close();
      await master.close();
    }
  });

  test('a master that is not there yet is reached later; notifications meanwhile are dropped', async () => {
    const master = new FakeMaster(join(dir, 'master2'));
    const logs: string[] = [];
    const agent = new SnmpSubagent({ mibs: MIBS, reconnectIntervalMs: 50, log: (_l, m) => logs.push(m) });
    agent.update(snapshot);
    try {
      assert.equal(await agent.start(`unix:${master.path}`), false);
      await agent.instanceStateChanged('VI_1');
      assert.ok(logs.some((l) => l.includes('notification dropped')));
      await master.listen();
      await master.waitFor((p) => p.filter((x) => x.type === 'addAgentCaps').length === 3, 'a late session');
    } finally {
      await agent.close();
      await master.close();
    }
  });

  test('an address it cannot use is refused at once', async () => {
    const agent = new SnmpSubagent({ mibs: MIBS });
    await assert.rejects(agent.start('udp:localhost:705'), /only unix: and tcp:/);
  });
});
