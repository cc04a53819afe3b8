// The status listener's web page (GET /) in a real browser: Debian's chromium, driven by playwright-core
// from inside the backup router's namespace. Two of our daemons; the page of the backup shows it BACKUP
// under the master's address with its tracker's part in its priority and its real servers' health; a
// tracker change and then the master's death (SIGKILL) reach the page over /events without a reload, the
// takeover within a few seconds of the daemon logging it; a reload of the listener drops the stream, which
// the page resumes with Last-Event-ID, and sees the old master come back. The page and its requests need the token; the
// page holds no secret. KTS_STATUS_PAGE_PNG=path keeps the screenshot (docs/status-page.png is one).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { globalDefs, instanceConfig, withLab, type VrrpLab } from '../helpers/vrrp-lab.js';
import { netnsExec, netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated, missingTools } from '../helpers/requirements.js';

const { describe, test } = gated(netnsSkipReason() ?? missingTools('chromium', 'python3'));
const pageAgent = fileURLToPath(new URL('./status-page.agent.js', import.meta.url));
const clientAgent = fileURLToPath(new URL('./status-client.agent.js', import.meta.url));
const VIP = '10.1.0.100';
const PORT = 9650;
const TOKEN = 'kts-page-token-4567';
const PASSWORD = 'pw5ecret';

function config(node: string, address: string, priority: number, extra = '', moreListen = ''): string {
  return (
    globalDefs(node) +
    `status_http {\n  listen ${address} ${PORT}\n${moreListen}  token ${TOKEN}\n}\n` +
    extra +
    instanceConfig({
      name: 'VI_1',
      vrid: 53,
      version: 2,
      advertInt: 1,
      priority,
      vips: [`${VIP}/24`],
      auth: { type: 'PASS', password: PASSWORD },
      ...(extra !== '' ? { extra: ['track_file {', '  weightfile weight 2', '}'] } : {}),
    })
  );
}

function realServers(): string {
  return `virtual_server ${VIP} 80 {
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
}

interface Phase {
  phase: 'loaded' | 'updated' | 'shot' | 'done';
  row?: string[];
  at?: number;
  timeline?: string[][];
  servers?: string[][];
  navigations?: number;
  requests?: Array<{ path: string; status: number; auth: boolean; lastEventId?: string }>;
  problems?: string[];
  csp?: string;
}

/** Starts the browser agent in `member`'s namespace; `next()` resolves with each phase line in turn. */
function browse(lab: VrrpLab, member: LanMember, url: string, screenshot: string) {
  // the browser's profile and playwright's files go to the lab's directory, removed with it
  const tmp = join(lab.dir, 'browser');
  mkdirSync(tmp);
  const child = lab.spawnOther(member.ns, [
    'env',
    `TMPDIR=${tmp}`,
    process.execPath,
    pageAgent,
    url,
    TOKEN,
    'VI_1',
    screenshot,
  ]);
  const phases: Phase[] = [];
  const waiting: Array<() => void> = [];
  let err = '';
  let out = '';
  let exited: number | null | undefined;
  child.stderr?.on('data', (c: string) => (err += c));
  child.stdout?.on('data', (c: string) => {
    out += c;
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      phases.push(JSON.parse(out.slice(0, nl)) as Phase);
      out = out.slice(nl + 1);
      waiting.splice(0).forEach((w) => w());
    }
  });
  child.once('exit', (code) => {
    exited = code;
    waiting.splice(0).forEach((w) => w());
  });
  let taken = 0;
  return {
    /** Resolves with the agent's exit code (it closes the browser after its last line). */
    async exit(): Promise<number | null> {
      while (exited === undefined) await new Promise<void>((r) => waiting.push(r));
      return exited;
    },
    async next(name: Phase['phase']): Promise<Phase> {
      for (;;) {
        const p = phases[taken];
        if (p !== undefined) {
          taken++;
          assert.equal(p.phase, name);
          return p;
        }
        if (exited !== undefined) throw new Error(`page agent exited ${exited} before ${name}: ${err}`);
        await new Promise<void>((r) => waiting.push(r));
      }
    },
  };
}

describe('status page (GET /)', () => {
  test('a browser sees the backup, a tracker change and the takeover live, without reloading', (t) =>
    withLab('sp', async (lab) => {
      const [a, b] = lab.routers(['a', 'b'], { ipv4: '10.1.0' }) as [LanMember, LanMember];
      lab.spawnOther(b.ns, ['python3', '-m', 'http.server', '--bind', '127.0.0.1', '18081']);
      const track = lab.writeFile('weight.track', '5\n');
      const da = lab.start('ours', a, 'sp-a', config('a', '10.1.0.1', 200));
      const db = lab.start(
        'ours',
        b,
        'sp-b',
        config('b', '10.1.0.2', 100, `vrrp_track_file weightfile {\n  file ${track}\n}\n`) + realServers(),
        [],
      );
      await da.waitForState('VI_1', 'MASTER', 15_000);
      await db.waitForState('VI_1', 'BACKUP', 15_000);
      const url = `http://10.1.0.2:${PORT}`;

      // the page needs the token like every other path; with it, HTML that holds no secret
      const get = (token?: string) => {
        const r = netnsExec(
          b.ns,
          [process.execPath, clientAgent, 'get', url, '/', ...(token !== undefined ? [token] : [])],
          { timeoutMs: 15_000 },
        );
        assert.equal(r.status, 0, r.stderr);
        return JSON.parse(r.stdout) as { status: number; contentType: string; body: string };
      };
      assert.equal(get().status, 401);
      assert.equal(get('wrong').status, 401);
      const html = get(TOKEN);
      assert.equal(html.status, 200);
      assert.match(html.contentType, /^text\/html/);
      for (const s of [TOKEN, PASSWORD]) assert.ok(!html.body.includes(s), `${s} in the page`);
      assert.doesNotMatch(html.body, /(src|href)=["']?(https?:)?\/\//i, 'no external resource');

      const shot = join(lab.dir, 'status-page.png');
      const browser = browse(lab, b, url, shot);
      const loaded = await browser.next('loaded');
      // instance, state, priority (effective / base), trackers, vrid, interface, master, VIPs, ...
      assert.equal(loaded.row?.[1], 'BACKUP');
      assert.match(loaded.row?.[2] ?? '', /^110\s*\/\s*100$/);
      assert.match(loaded.row?.[3] ?? '', /file:weightfile\s+5\s+\+10/);
      assert.equal(loaded.row?.[6], '10.1.0.1 (200)');

      // a tracker change, then the master dies: both arrive over /events
      lab.writeFile('weight.track', '-10\n');
      await new Promise((r) => setTimeout(r, 2000));
      const since = db.mark();
      await da.kill9();
      const entered = await db.waitForState('VI_1', 'MASTER', 15_000, since);
      const updated = await browser.next('updated');
      const lagMs = (updated.at ?? 0) - entered.at;
      t.diagnostic(`the page showed the takeover ${lagMs} ms after the daemon logged it`);
      assert.ok(lagMs < 3000, `the page showed the takeover ${lagMs} ms after the daemon logged it`);

      await browser.next('shot');
      // a reload that changes the listener closes the page's stream: it comes back with Last-Event-ID
      const bConfig = (more: string): string =>
        config('b', '10.1.0.2', 100, `vrrp_track_file weightfile {\n  file ${track}\n}\n`, more) +
        realServers();
      writeFileSync(db.files.config, bConfig(`  listen 127.0.0.1 ${PORT + 1}\n`));
      const reloadMark = db.mark();
      db.killGroup('SIGHUP');
      await db.waitForLog(/status_http: listening on http:\/\/127\.0\.0\.1:9651/, 10_000, reloadMark);
      await new Promise((r) => setTimeout(r, 3000));
      // the old master comes back and takes over again
      const back = lab.start('ours', a, 'sp-a2', config('a', '10.1.0.1', 200));
      await back.waitForState('VI_1', 'MASTER', 15_000);
      await db.waitForState('VI_1', 'BACKUP', 15_000, since);

      const done = await browser.next('done');
      assert.equal(done.row?.[1], 'BACKUP');
      assert.match(done.row?.[2] ?? '', /^80\s*\/\s*100$/);
      assert.match(done.row?.[3] ?? '', /file:weightfile\s+-10\s+-20/, 'the tracker event moved its part');
      assert.equal(done.row?.[6], '10.1.0.1 (200)', 'the master named by the advert that made us BACKUP');
      assert.match(done.row?.[8] ?? '', /MASTER\u2192BACKUP: /);
      const takeover = done.timeline?.find(
        (r) => r[2] === 'state-change' && r[4]?.includes('BACKUP \u2192 MASTER'),
      );
      assert.ok(takeover, JSON.stringify(done.timeline));
      assert.equal(takeover[5], 'master-down timer');
      // the takeover's timing follows in its own row, in words
      assert.ok(
        done.timeline?.some(
          (r) => r[2] === 'takeover' && /^MASTER in [\d.]+ ms after the last advert$/.test(r[4] ?? ''),
        ),
        JSON.stringify(done.timeline),
      );
      assert.ok(
        done.timeline?.some((r) => r[2] === 'tracker' && r[3] === 'file:weightfile'),
        JSON.stringify(done.timeline),
      );
      const rs = new Map(done.servers?.map((r) => [r[0], r[1]]));
      assert.equal(rs.get('127.0.0.1:18081'), 'UP');
      assert.equal(rs.get('127.0.0.1:18082'), 'DOWN');

      // one document load; its own requests carried the token once it was given, as a header
      assert.equal(done.navigations, 1, 'no reload');
      const pageRequests = done.requests ?? [];
      assert.deepEqual(
        pageRequests.filter((r) => r.path === '/').map((r) => r.status),
        [200],
      );
      assert.deepEqual(
        pageRequests.filter((r) => r.path === '/status').map((r) => [r.status, r.auth]),
        [
          [401, false],
          [200, true],
        ],
      );
      const streams = pageRequests.filter((r) => r.path === '/events');
      assert.ok(
        streams.length >= 2 && streams.every((r) => r.status === 200 && r.auth),
        JSON.stringify(streams),
      );
      const takeoverSeq = Number(takeover[1]?.replace('#', ''));
      assert.ok(
        Number(streams[1]?.lastEventId) >= takeoverSeq,
        `resumed after ${streams[1]?.lastEventId}, the takeover was #${takeoverSeq}`,
      );
      assert.ok(
        pageRequests.every((r) => !r.path.includes(TOKEN)),
        'no token in a URL',
      );
      // chromium logs the first /status's 401 (checked above) as an error; nothing else may appear
      assert.deepEqual(
        done.problems?.filter((p) => !/status of 401 \(Unauthorized\)/.test(p)),
        [],
        'no script error, no CSP violation',
      );
      assert.match(done.csp ?? '', /default-src 'none'; script-src 'sha256-/);

      const png = readFileSync(shot);
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG');
      if (process.env.KTS_STATUS_PAGE_PNG) copyFileSync(shot, process.env.KTS_STATUS_PAGE_PNG);
      assert.equal(await browser.exit(), 0, 'the browser closed');
      for (const s of [TOKEN, PASSWORD]) assert.ok(!db.log(10_000).includes(s), `${s} in the log`);
    }));
});
