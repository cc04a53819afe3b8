// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// The status listener (status_http) of two of our daemons on a namespace LAN: 401 without the token,
// /status valid against docs/status.schema.json with the master as each router sees it, a failover (the
// MASTER killed) seen on /events as a state change with its reason, resumed with Last-Event-ID, and in
// /metrics under the exporters' names; no secret of the configuration in any answer.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { globalDefs, instanceConfig, waitUntil, withLab, type VrrpLab } from '../helpers/vrrp-lab.js';
import { netnsExec, netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated, missingTools } from '../helpers/requirements.js';
import type { StatusDocument } from '../../src/api/status.js';
import type { StatusEvent } from '../../src/api/events.js';

const { describe, test } = gated(netnsSkipReason() ?? missingTools('python3'));
const agent = fileURLToPath(new URL('./status-client.agent.js', import.meta.url));
const VIP = '10.1.0.100';
const PORT = 9650;
const TOKEN = 'kts-status-token-0123';
const PASSWORD = 'pw5ecret';
const SECRETS = [TOKEN, PASSWORD];

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
    instanceConfig({
      name: 'VI_1',
      vrid: 52,
      version: 2,
      advertInt: 1,
      priority,
      vips: [`${VIP}/24`],
      auth: { type: 'PASS', password: PASSWORD },
    })
  );
}

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

function get(member: LanMember, address: string, path: string, token?: string): Answer {
  const r = netnsExec(
    member.ns,
    [
      process.execPath,
      agent,
      'get',
      `http://${address}:${PORT}`,
      path,
      ...(token !== undefined ? [token] : []),
    ],
    { timeoutMs: 15_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Answer;
}

function status(member: LanMember, address: string): StatusDocument {
  const a = get(member, address, '/status', TOKEN);
  assert.equal(a.status, 200, a.body);
  assert.match(a.contentType, /application\/json/);
  return JSON.parse(a.body) as StatusDocument;
}

interface Message {
  id?: string;
  event: string;
  data: string;
}

/** Runs the events agent in `member`'s namespace; resolves with its messages once it exits. */
function events(lab: VrrpLab, member: LanMember, address: string, args: string[]): Promise<Message[]> {
  const child = lab.spawnOther(member.ns, [
    process.execPath,
    agent,
    'events',
    `http://${address}:${PORT}`,
    TOKEN,
    ...args,
  ]);
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: string) => (out += c));
  child.stderr?.on('data', (c: string) => (err += c));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`events agent exited ${code}: ${err}`));
      else
        resolve(
          out
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l) as Message),
        );
    });
  });
}

describe('status_http listener', () => {
  test('token, /status, a failover on /events and /metrics, no secret anywhere', () =>
    withLab('st', async (lab) => {
      const [a, b] = lab.routers(['a', 'b'], { ipv4: '10.1.0' }) as [LanMember, LanMember];
      const da = lab.start('ours', a, 'st-a', config('a', '10.1.0.1', 200));
      const db = lab.start('ours', b, 'st-b', config('b', '10.1.0.2', 100));
      await da.waitForState('VI_1', 'MASTER', 15_000);
      await db.waitForState('VI_1', 'BACKUP', 15_000);
      await waitUntil(
        () => db.log().includes('status_http: listening on http://10.1.0.2:9650'),
        () => `b's listener\n${db.log()}`,
        5000,
      );

      // 401 without the token, or with a wrong one; the 401 says which scheme
      const none = get(b, '10.1.0.2', '/status');
      assert.equal(none.status, 401);
      assert.equal(get(b, '10.1.0.2', '/metrics', 'wrong').status, 401);
      assert.equal(get(b, '10.1.0.2', '/events', 'wrong').status, 401);
      assert.equal(get(b, '10.1.0.2', '/nope', TOKEN).status, 404);

      // /status: valid, and the master as b sees it
      await waitUntil(
        () => status(b, '10.1.0.2').instances[0]?.master.address === '10.1.0.1',
        () => `b's view of the master: ${JSON.stringify(status(b, '10.1.0.2').instances[0]?.master)}`,
        5000,
      );
      const before = status(b, '10.1.0.2');
      assert.ok(validate(before), JSON.stringify(validate.errors));
      const vi = before.instances[0];
      assert.equal(vi?.state, 'BACKUP');
      assert.deepEqual(vi?.master, { self: false, address: '10.1.0.1', priority: 200 });
      assert.equal(vi?.priority.effective, 100);
      assert.ok((vi?.counters.advert_rcvd ?? 0) > 0);
      const atA = status(a, '10.1.0.1').instances[0];
      assert.equal(atA?.state, 'MASTER');
      assert.equal(atA?.master.self, true);

      // an event stream on b, opened before the failover, stops at b's MASTER transition
      const live = events(lab, b, '10.1.0.2', [
        String(before.transitions.at(-1)?.seq ?? 0),
        '20000',
        'follow',
        '"to":"MASTER"',
      ]);
      await new Promise((r) => setTimeout(r, 500));
      const killedAt = Date.now();
      await da.kill9();
      await db.waitForState('VI_1', 'MASTER', 10_000);
      const messages = await live;
      const got = messages
        .filter((m) => m.event === 'state-change')
        .map((m) => JSON.parse(m.data) as StatusEvent);
      const takeover = got.find((e) => e.type === 'state-change' && e.to === 'MASTER');
      assert.ok(takeover && takeover.type === 'state-change', JSON.stringify(messages));
      assert.equal(takeover.from, 'BACKUP');
      assert.equal(takeover.reason, 'master-down timer');
      assert.equal(takeover.instance, 'VI_1');
      assert.equal(String(takeover.seq), messages.find((m) => m.data.includes('"to":"MASTER"'))?.id);
      assert.ok(
        Date.parse(takeover.at) >= killedAt - 1000,
        `${takeover.at} vs kill at ${new Date(killedAt).toISOString()}`,
      );

      // Last-Event-ID resumes: the history after the event before it holds it, and then only the takeover's
      // timing (the event that follows a BACKUP -> MASTER once the VIPs are in and the first GARP left)
      const resumed = await events(lab, b, '10.1.0.2', [String(takeover.seq - 1), '10000', 'history']);
      const resumedEvents = resumed
        .filter((m) => m.event !== 'gap')
        .map((m) => JSON.parse(m.data) as StatusEvent);
      assert.deepEqual(
        resumedEvents.map((e) => [e.seq, e.type]),
        [
          [takeover.seq, 'state-change'],
          [takeover.seq + 1, 'takeover'],
        ],
      );
      const all = await events(lab, b, '10.1.0.2', ['0', '10000', 'history']);
      const seqs = all.map((m) => Number(m.id));
      assert.deepEqual(
        seqs,
        [...seqs].sort((x, y) => x - y),
        'numbered in order',
      );
      assert.equal(seqs[0], 1);

      // /status after: MASTER, the transition with its reason
      const after = status(b, '10.1.0.2');
      assert.ok(validate(after), JSON.stringify(validate.errors));
      assert.equal(after.instances[0]?.state, 'MASTER');
      assert.equal(after.instances[0]?.lastTransition?.reason, 'master-down timer');
      assert.equal(after.transitions.at(-1)?.seq, takeover.seq);

      // /metrics: the exporter's names, our transitions counter, process health
      const m = get(b, '10.1.0.2', '/metrics', TOKEN);
      assert.equal(m.status, 200);
      assert.match(m.contentType, /text\/plain/);
      const line = (re: RegExp): string | undefined => m.body.split('\n').find((l) => re.test(l));
      assert.equal(
        line(/^keepalived_vrrp_state\{/),
        `keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="52",ip_address="${VIP}"} 2`,
      );
      assert.equal(
        line(/^keepalived_become_master_total\{/),
        'keepalived_become_master_total{iname="VI_1",intf="eth0",vrid="52"} 1',
      );
      assert.match(line(/^keepalived_advertisements_received_total\{/) ?? '', /vrid="52"\} [1-9]\d*$/);
      assert.equal(
        line(/^keepalived_vrrp_transitions_total\{iname="VI_1",from="BACKUP",to="MASTER"\}/),
        'keepalived_vrrp_transitions_total{iname="VI_1",from="BACKUP",to="MASTER"} 1',
      );
      assert.ok(line(/^keepalived_up 1$/));
      assert.ok(line(/^nodejs_eventloop_lag_seconds /), 'event-loop delay');
      assert.ok(line(/^keepalived_status_http_request_duration_seconds_count\{path="\/status",code="200"\}/));

      // the terminal table of `keepalived-ts status`
      const table = netnsExec(b.ns, [process.execPath, agent, 'table', 'http://10.1.0.2:9650', TOKEN]);
      assert.equal(table.status, 0, table.stderr);
      assert.match(
        table.stdout,
        /^VI_1\s+MASTER\s+100\s+52\s+eth0\s+self\s+10\.1\.0\.100\s+BACKUP->MASTER: master-down timer$/m,
      );

      // no secret in any answer
      for (const text of [JSON.stringify(after), m.body, JSON.stringify(all), none.body, table.stdout])
        for (const s of SECRETS) assert.ok(!text.includes(s), `${s} leaked`);
      for (const s of SECRETS) assert.ok(!db.log(10_000).includes(s), `${s} in the log`);
    }));

  test("the checker child's real servers: health and last check in /status, verdicts on /events and /metrics", () =>
    withLab('stc', async (lab) => {
      const [a] = lab.routers(['a'], { ipv4: '10.1.0' }) as [LanMember];
      // one real server answers, the other port has nobody
      lab.spawnOther(a.ns, ['python3', '-m', 'http.server', '--bind', '127.0.0.1', '18081']);
      const conf =
        config('a', '10.1.0.1', 150) +
        `virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 127.0.0.1 18081 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
  real_server 127.0.0.1 18082 {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
`;
      // every child the configuration needs: VRRP and checker
      const d = lab.start('ours', a, 'stc-a', conf, []);
      await d.waitForState('VI_1', 'MASTER', 15_000);
      const rs = (doc: StatusDocument, port: number) =>
        doc.virtualServers[0]?.realServers.find((r) => r.port === port);
      await waitUntil(
        () => {
          const doc = status(a, '10.1.0.1');
          return rs(doc, 18082)?.up === false && rs(doc, 18081)?.checkers[0]?.last?.ok === true;
        },
        () => `real servers: ${JSON.stringify(status(a, '10.1.0.1').virtualServers)}\n${d.log()}`,
        15_000,
      );
      const doc = status(a, '10.1.0.1');
      assert.ok(validate(doc), JSON.stringify(validate.errors));
      assert.equal(doc.virtualServers[0]?.name, `${VIP}:80/TCP`);
      assert.equal(rs(doc, 18081)?.up, true);
      const down = rs(doc, 18082)?.checkers[0];
      assert.equal(down?.kind, 'TCP_CHECK');
      assert.equal(down?.up, false);
      assert.equal(down?.last?.ok, false);
      assert.ok((down?.last?.detail ?? '') !== '', JSON.stringify(down));

      const history = await events(lab, a, '10.1.0.1', ['0', '10000', 'history']);
      const verdict = history
        .filter((m) => m.event === 'checker')
        .map((m) => JSON.parse(m.data) as StatusEvent)
        .find((e) => e.type === 'checker' && e.realServer === '127.0.0.1:18082');
      assert.ok(verdict && verdict.type === 'checker', JSON.stringify(history));
      assert.equal(verdict.up, false);
      assert.equal(verdict.virtualServer, `${VIP}:80/TCP`);
      assert.match(verdict.reason, /^TCP_CHECK: ./);

      const m = get(a, '10.1.0.1', '/metrics', TOKEN).body;
      assert.ok(
        m.includes(
          `keepalived_checker_real_server_up{virtual_server="${VIP}:80/TCP",real_server="127.0.0.1:18082"} 0`,
        ),
        m,
      );
      assert.ok(
        m.includes(
          `keepalived_checker_real_server_up{virtual_server="${VIP}:80/TCP",real_server="127.0.0.1:18081"} 1`,
        ),
      );
    }));
});
