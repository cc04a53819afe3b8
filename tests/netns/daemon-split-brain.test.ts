// Split brain and takeover timing with two of our daemons on a namespace LAN. nftables in b's namespace
// drops a's adverts (one way): b becomes MASTER too, a hears b's lower-priority adverts and stays MASTER
// (as RFC 5798 and keepalived's vrrp_state_master_rx have it), and reports split brain with both routers'
// addresses and priorities (event, metric, log); removing the rule heals it (b yields), reported too. Then
// a is killed: b's takeover timing (last advert heard -> decision -> VIPs -> first gratuitous ARP) in
// /status, /metrics, /events and the log must agree with a packet capture in b's namespace.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { daemonUnderTest, globalDefs, instanceConfig, waitUntil, withLab } from '../helpers/vrrp-lab.js';
import { netnsExec, netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated, missingTools } from '../helpers/requirements.js';
import { tsharkRecords } from '../helpers/tshark.js';
import type { StatusDocument } from '../../src/api/status.js';
import type { StatusEvent } from '../../src/api/events.js';

// Split-brain reports and takeover timing are ours (keepalived has neither): the oracle tier would only
// run our daemon again.
const { describe, test } = gated(
  (daemonUnderTest() !== 'ours'
    ? 'not applicable: split-brain reports and takeover timing are keepalived-ts only'
    : undefined) ??
    netnsSkipReason() ??
    missingTools('nft', 'tcpdump', 'tshark') ??
    missingTools('python3'),
);
const agent = fileURLToPath(new URL('./status-client.agent.js', import.meta.url));
const VIP = '10.7.0.100';
const A = '10.7.0.1';
const B = '10.7.0.2';
const PORT = 9650;
const TOKEN = 'kts-split-brain-token';
/** How far the daemon's takeover figures may be from the capture's (ms) for one packet both see (the
 * first gratuitous ARP): the two clocks read it at different layers (AF_PACKET vs the daemon's socket
 * calls), on a shared, busy test host. */
const AGREEMENT_MS = 15;
/** The wire's "decided" is b's first advert, which can only follow the decision: by 7.6 and 24 ms in two
 * CI runs under load (against 3.6 s being measured); more than this is a daemon that reports too early. */
const ADVERT_AFTER_DECISION_MS = 150;

const schema = JSON.parse(
  readFileSync(new URL('../../../docs/status.schema.json', import.meta.url), 'utf8'),
) as object;
const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addFormat('date-time', true);
const validate = ajv.compile(schema);

function config(node: string, address: string, priority: number): string {
  return (
    globalDefs(node) +
    `status_http {\n  listen ${address} ${PORT}\n  token ${TOKEN}\n}\n` +
    instanceConfig({ name: 'VI_1', vrid: 57, version: 2, advertInt: 1, priority, vips: [`${VIP}/24`] })
  );
}

function get(member: LanMember, address: string, path: string): string {
  const r = netnsExec(member.ns, [process.execPath, agent, 'get', `http://${address}:${PORT}`, path, TOKEN], {
    timeoutMs: 15_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const answer = JSON.parse(r.stdout) as { status: number; body: string };
  assert.equal(answer.status, 200, answer.body);
  return answer.body;
}

function status(member: LanMember, address: string): StatusDocument {
  const doc = JSON.parse(get(member, address, '/status')) as StatusDocument;
  assert.ok(validate(doc), JSON.stringify(validate.errors));
  return doc;
}

/** The whole event history of a router's listener. */
function history(member: LanMember, address: string): StatusEvent[] {
  const r = netnsExec(
    member.ns,
    [process.execPath, agent, 'events', `http://${address}:${PORT}`, TOKEN, '0', '10000', 'history'],
    { timeoutMs: 15_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { event: string; data: string })
    .filter((m) => m.event !== 'gap')
    .map((m) => JSON.parse(m.data) as StatusEvent);
}

function metric(body: string, re: RegExp): number | undefined {
  const line = body.split('\n').find((l) => re.test(l));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

function nft(member: LanMember, script: string): void {
  const r = netnsExec(member.ns, ['nft', '-f', '-'], { input: script });
  assert.equal(r.status, 0, `nft: ${r.stderr}`);
}

describe('split brain and takeover timing', () => {
  test('a one-way partition is reported as split brain with both routers, and its healing; a takeover is timed as a capture sees it', () =>
    withLab('sb', async (lab) => {
      const [a, b] = lab.routers(['a', 'b'], { ipv4: '10.7.0' }) as [LanMember, LanMember];
      const da = lab.start('ours', a, 'sb-a', config('a', A, 200));
      const db = lab.start('ours', b, 'sb-b', config('b', B, 100));
      await da.waitForState('VI_1', 'MASTER', 15_000);
      await db.waitForState('VI_1', 'BACKUP', 15_000);
      await waitUntil(
        () =>
          da.log().includes(`listening on http://${A}:${PORT}`) &&
          db.log().includes(`listening on http://${B}:${PORT}`),
        () => `listeners\n${da.log()}\n${db.log()}`,
        5000,
      );

      // --- partition: b no longer hears a; both MASTER, a hears b and reports it once
      const mark = db.mark();
      nft(
        b,
        `table inet kts_sb {\n chain in {\n  type filter hook input priority -10;\n  ip saddr ${A} ip protocol vrrp drop\n }\n}\n`,
      );
      await db.waitForState('VI_1', 'MASTER', 10_000, mark);
      await waitUntil(
        () => history(a, A).some((e) => e.type === 'split-brain'),
        () => `a's events: ${JSON.stringify(history(a, A))}\n${da.log()}`,
        10_000,
      );
      assert.equal(da.state('VI_1'), 'MASTER', 'detection changes nothing: a stays MASTER');
      const sb = history(a, A).filter((e) => e.type === 'split-brain');
      assert.equal(sb.length, 1, 'once per episode');
      const episode = sb[0];
      assert.ok(episode?.type === 'split-brain');
      assert.equal(episode.cause, 'other-master');
      assert.deepEqual(episode.us, { address: A, priority: 200 });
      assert.deepEqual(episode.other, { address: B, priority: 100, vips: [VIP] });
      await da.waitForLog(
        new RegExp(
          `SPLIT BRAIN on VRID 57: ${B.replace(/\./g, '\\.')} priority 100 .*we are ${A.replace(/\./g, '\\.')} priority 200`,
        ),
        5000,
      );
      const during = get(a, A, '/metrics');
      assert.equal(metric(during, /^keepalived_vrrp_split_brain\{iname="VI_1"\}/), 1);
      assert.equal(metric(during, /^keepalived_vrrp_split_brain_total\{iname="VI_1"\}/), 1);
      const duringStatus = status(a, A).instances[0]?.splitBrain;
      assert.equal(duringStatus?.active, true);
      assert.equal(duringStatus?.other.address, B);
      // a few more of b's adverts: still one episode
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(history(a, A).filter((e) => e.type === 'split-brain').length, 1);

      // --- heal: b hears a again and yields; a reports the end
      const healMark = db.mark();
      nft(b, 'delete table inet kts_sb\n');
      await db.waitForState('VI_1', 'BACKUP', 10_000, healMark);
      await waitUntil(
        () => history(a, A).some((e) => e.type === 'split-brain-healed'),
        () => `a's events: ${JSON.stringify(history(a, A))}\n${da.log()}`,
        10_000,
      );
      const healed = history(a, A).find((e) => e.type === 'split-brain-healed');
      assert.ok(healed?.type === 'split-brain-healed');
      assert.equal(healed.other, B);
      assert.equal(healed.reason, 'not heard for a master-down interval');
      await da.waitForLog(new RegExp(`split brain on VRID 57 with ${B.replace(/\./g, '\\.')} healed`), 5000);
      const after = get(a, A, '/metrics');
      assert.equal(metric(after, /^keepalived_vrrp_split_brain\{iname="VI_1"\}/), 0);
      assert.equal(metric(after, /^keepalived_vrrp_split_brain_total\{iname="VI_1"\}/), 1);
      const afterStatus = status(a, A).instances[0]?.splitBrain;
      assert.equal(afterStatus?.active, false);
      assert.ok(afterStatus?.healedAt !== undefined);
      assert.equal(
        history(b, B).filter((e) => e.type.startsWith('split-brain')).length,
        0,
        'b heard nothing',
      );

      // --- a takeover, timed by the daemon and by a capture in b's namespace
      await new Promise((r) => setTimeout(r, 1500)); // b settled as BACKUP, hearing a
      const capture = await lab.capture(b.ns, 'eth0', 'ip proto 112 or arp');
      await new Promise((r) => setTimeout(r, 1500));
      const killMark = db.mark();
      const killedAt = Date.now();
      await da.kill9();
      await db.waitForState('VI_1', 'MASTER', 10_000, killMark);
      await waitUntil(
        () => {
          // this takeover's (the partition's takeover came before it)
          const last = status(b, B).instances[0]?.lastTakeover;
          return last?.sinceLastAdvertMs?.firstGarp !== undefined && Date.parse(last.decidedAt) > killedAt;
        },
        () => `b's last takeover: ${JSON.stringify(status(b, B).instances[0]?.lastTakeover)}\n${db.log()}`,
        5000,
      );
      await new Promise((r) => setTimeout(r, 300));
      await capture.stop();
      const packets = tsharkRecords(capture.file, 'vrrp or arp', [
        'frame.time_epoch',
        'ip.src',
        'vrrp.prio',
        'arp.src.proto_ipv4',
      ]).map((r) => ({
        t: Number(r['frame.time_epoch']) * 1000,
        src: r['ip.src'] ?? '',
        prio: Number(r['vrrp.prio'] || 'NaN'),
        arpFrom: r['arp.src.proto_ipv4'] ?? '',
      }));
      const lastFromA = packets.filter((p) => p.src === A).at(-1);
      assert.ok(lastFromA !== undefined, 'a advertised in the capture');
      const firstFromB = packets.find((p) => p.src === B && p.t > lastFromA.t);
      const firstGarp = packets.find((p) => p.arpFrom === VIP && p.t > lastFromA.t);
      // Under heavy load the capture has been seen to miss b's packets altogether (1 run in ~15, cause
      // not found: b's log shows them sent); the agreement is then not checked, the rest still is.
      const wire =
        firstFromB !== undefined && firstGarp !== undefined
          ? { decided: firstFromB.t - lastFromA.t, firstGarp: firstGarp.t - lastFromA.t }
          : undefined;
      if (wire === undefined)
        console.log(`# capture incomplete, agreement not checked: ${JSON.stringify(packets.slice(-10))}`);

      const t = status(b, B).instances[0]?.lastTakeover;
      assert.ok(t?.sinceLastAdvertMs !== undefined);
      assert.equal(t.reason, 'master-down timer');
      assert.deepEqual(
        { from: t.lastAdvert?.from, priority: t.lastAdvert?.priority },
        { from: A, priority: 200 },
      );
      const daemon = t.sinceLastAdvertMs;
      const figures = `daemon ${JSON.stringify(daemon)} vs capture ${JSON.stringify(wire)}`;
      console.log(`takeover timing: ${figures}; handled ${t.lastAdvert?.handledAfterMs} ms after arrival`);
      if (wire !== undefined) {
        const advertAfter = wire.decided - daemon.decided;
        assert.ok(advertAfter >= -AGREEMENT_MS && advertAfter <= ADVERT_AFTER_DECISION_MS, figures);
        assert.ok(Math.abs((daemon.firstGarp ?? NaN) - wire.firstGarp) <= AGREEMENT_MS, figures);
      }
      assert.ok(daemon.vipsInstalled !== undefined && daemon.vipsInstalled >= daemon.decided);
      assert.ok((daemon.firstGarp ?? 0) >= daemon.vipsInstalled, figures);
      // the master-down interval of b (priority 100, 1 s adverts): 3 s + 609 ms skew, plus one interval at most
      assert.ok(daemon.decided >= 3609 - AGREEMENT_MS && daemon.decided < 4700, figures);

      // the same in the events, the metrics and the log
      const events = history(b, B);
      const transition = events.filter((e) => e.type === 'state-change' && e.to === 'MASTER').at(-1);
      assert.ok(transition?.type === 'state-change');
      assert.equal(transition.takeover?.lastAdvert?.from, A);
      assert.equal(transition.takeover?.sinceLastAdvertMs, daemon.decided);
      const timed = events.filter((e) => e.type === 'takeover').at(-1);
      assert.ok(timed?.type === 'takeover');
      assert.deepEqual(timed.timing, t);
      const m = get(b, B, '/metrics');
      for (const stage of ['decided', 'vips_installed', 'first_garp'])
        assert.ok(
          (metric(
            m,
            new RegExp(`^keepalived_vrrp_takeover_seconds_count\\{iname="VI_1",stage="${stage}"\\}`),
          ) ?? 0) >= 2,
          `${stage}: ${m
            .split('\n')
            .filter((l) => l.includes('takeover'))
            .join('\n')}`,
        );
      const lastBucket = metric(
        m,
        /^keepalived_vrrp_takeover_seconds_bucket\{le="5",iname="VI_1",stage="first_garp"\}/,
      );
      assert.ok((lastBucket ?? 0) >= 2, m);
      await db.waitForLog(
        new RegExp(
          `\\(VI_1\\) takeover \\(master-down timer\\): last advert from ${A.replace(/\./g, '\\.')} priority 200, decided after ${daemon.decided.toFixed(1)} ms`,
        ),
        5000,
        killMark,
      );
    }));
});
