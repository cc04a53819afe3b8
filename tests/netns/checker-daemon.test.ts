// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// The checker child end to end (-C): real servers in a namespace the test creates, the daemon's own log
// lines as the verdict, notify_down / notify_up scripts run with the right timing.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetnsLab, netnsExec, netnsRun, netnsSkipReason } from '../helpers/netns.js';
import { gated, missingTools } from '../helpers/requirements.js';

const BIN = fileURLToPath(new URL('../../../bin/keepalived-ts', import.meta.url));
const skip = netnsSkipReason() ?? missingTools('nft', 'python3');
const { describe, test, before, after } = gated(skip);

/** Collects a process's stderr and waits for a line matching `re`. */
function watch(child: ChildProcess): (re: RegExp, timeoutMs: number) => Promise<string> {
  let text = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => (text += c));
  return async (re, timeoutMs) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(text);
      if (m) return m[0];
      if (Date.now() > end) throw new Error(`no ${re} within ${timeoutMs} ms; log:\n${text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
}

describe('checker daemon (-C)', () => {
  let lab: NetnsLab;
  let ns: string;
  let dir: string;

  before(() => {
    lab = new NetnsLab('chkd');
    ns = lab.namespace('h');
    dir = mkdtempSync(join(tmpdir(), 'kts-chkd-'));
  });
  after(() => {
    lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Our nftables table as `nft list` prints it ('' when there is none). */
  const nftTable = (where = ns): string =>
    netnsExec(where, ['nft', 'list', 'table', 'inet', 'keepalived_ts']).stdout;
  /** The table without the sets that keep check connections out of conntrack (they name the checked
   * server whether it is in service or not). */
  const serving = (): string => nftTable().replace(/\n\tset check(?:ed|s)[46] \{[\s\S]*?\n\t\}/g, '');
  const waitFor = async (ok: () => boolean, what: string): Promise<void> => {
    const until = Date.now() + 10_000;
    while (!ok()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}:\n${nftTable()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  test('a real server that stops answering is removed, notify_down runs; back up, notify_up runs', async () => {
    const marks = join(dir, 'marks');
    const notify = join(dir, 'notify.sh');
    writeFileSync(notify, `#!/bin/sh\necho "$1" >> ${marks}\n`);
    chmodSync(notify, 0o755);
    const conf = join(dir, 'k.conf');
    writeFileSync(
      conf,
      `virtual_server 10.9.9.9 80 {
  delay_loop 1
  lvs_sched rr
  protocol TCP
  real_server 127.0.0.1 18080 {
    notify_down "${notify} down"
    notify_up "${notify} up"
    TCP_CHECK {
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
}
`,
    );
    const server = lab.spawn(ns, ['python3', '-m', 'http.server', '18080', '--bind', '127.0.0.1']);
    const daemon = lab.spawn(
      ns,
      [
        process.execPath,
        BIN,
        '-C',
        '-n',
        '-l',
        '-D',
        '-f',
        conf,
        '-p',
        join(dir, 'k.pid'),
        '-c',
        join(dir, 'c.pid'),
        '-r',
        join(dir, 'r.pid'),
        '-b',
        join(dir, 'b.pid'),
      ],
      { ...process.env, TMPDIR: dir },
    );
    const wait = watch(daemon);
    // keepalived starts a non-alpha real server in the pool, silently, and activates its checker.
    await wait(
      /Activating healthchecker for service \[127\.0\.0\.1\]:tcp:18080 for VS \[10\.9\.9\.9\]:tcp:80/,
      10_000,
    );
    // No IPVS in this kernel: the nftables data plane holds the service, with the real server in it.
    await waitFor(() => serving().includes('127.0.0.1'), 'the real server in our nftables table');
    assert.match(nftTable(), /10\.9\.9\.9/);
    server.kill('SIGKILL');
    const killedAt = Date.now();
    await wait(/Removing service \[127\.0\.0\.1\]:tcp:18080 from VS \[10\.9\.9\.9\]:tcp:80/, 10_000);
    const tookMs = Date.now() - killedAt;
    // delay_loop 1 + (retry 1 x delay_before_retry 1) + connect: well under 5 s, never instant.
    assert.ok(tookMs < 5000, `verdict took ${tookMs} ms`);
    const deadline = Date.now() + 3000;
    while (!(existsSync(marks) && readFileSync(marks, 'utf8').includes('down')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(readFileSync(marks, 'utf8').trim(), 'down');
    await waitFor(() => !serving().includes('127.0.0.1'), 'the real server out of the table');
    lab.spawn(ns, ['python3', '-m', 'http.server', '18080', '--bind', '127.0.0.1']);
    await wait(/Adding service \[127\.0\.0\.1\]:tcp:18080 to VS \[10\.9\.9\.9\]:tcp:80/, 10_000);
    await waitFor(() => serving().includes('127.0.0.1'), 'the real server back in the table');
    const end2 = Date.now() + 3000;
    while (!readFileSync(marks, 'utf8').includes('up') && Date.now() < end2) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(readFileSync(marks, 'utf8').trim().split('\n'), ['down', 'up']);
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    assert.equal(existsSync(join(dir, 'c.pid')), false, 'the checker pid file is removed at exit');
    assert.doesNotMatch(
      netnsRun(ns, ['nft', 'list', 'tables']),
      /keepalived_ts/,
      'a clean stop removes our table',
    );
  });

  /** Starts the checker daemon on `conf` (pid files in `dir`), returning it and its log watcher. */
  function startChecker(
    conf: string,
    tag: string,
    options: string[] = [],
  ): { daemon: ChildProcess; wait: ReturnType<typeof watch> } {
    const pid = (p: string): string[] => [p, join(dir, `${tag}-${p.slice(1)}.pid`)];
    const daemon = lab.spawn(
      ns,
      [
        process.execPath,
        BIN,
        '-C',
        ...options,
        '-n',
        '-l',
        '-D',
        '-f',
        conf,
        ...['-p', '-c', '-r', '-b'].flatMap(pid),
      ],
      { ...process.env, TMPDIR: dir },
    );
    return { daemon, wait: watch(daemon) };
  }

  test('net_namespace_ipvs: the table is built in that namespace, the checks run from ours', async () => {
    const side = lab.namespace('ipvs');
    const conf = join(dir, 'ns.conf');
    const text = (where: string): string => `net_namespace_ipvs ${where}
virtual_server 10.9.9.10 80 {
  delay_loop 1
  lvs_sched rr
  protocol TCP
  real_server 127.0.0.1 18081 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;
    writeFileSync(conf, text(side));
    // the real server listens in the daemon's namespace only: a check made from the other would fail
    lab.spawn(ns, ['python3', '-m', 'http.server', '18081', '--bind', '127.0.0.1']);
    const { daemon, wait } = startChecker(conf, 'nsipvs');
    await wait(/Activating healthchecker for service \[127\.0\.0\.1\]:tcp:18081/, 10_000);
    await waitFor(() => nftTable(side).includes('127.0.0.1'), 'the real server in the other namespace');
    assert.match(nftTable(side), /10\.9\.9\.10/);
    assert.doesNotMatch(netnsRun(ns, ['nft', 'list', 'tables']), /keepalived_ts/, 'no table here');
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    assert.doesNotMatch(netnsRun(side, ['nft', 'list', 'tables']), /keepalived_ts/, 'removed at stop');

    // a namespace that is not there: said, and no table anywhere; the checks go on
    writeFileSync(conf, text('kts-no-such-namespace'));
    const second = startChecker(conf, 'nsmissing');
    await second.wait(
      /network namespace \/run\/netns\/kts-no-such-namespace .*no load-balancing table/,
      10_000,
    );
    await second.wait(/Activating healthchecker for service \[127\.0\.0\.1\]:tcp:18081/, 10_000);
    assert.doesNotMatch(netnsRun(ns, ['nft', 'list', 'tables']), /keepalived_ts/);
    second.daemon.kill('SIGTERM');
    await new Promise((r) => second.daemon.once('exit', r));
  });

  test('-a: the checker reports the addresses it finds at start and each change (keepalived: without the interface)', async () => {
    const conf = join(dir, 'am.conf');
    writeFileSync(
      conf,
      `virtual_server 10.9.9.11 80 {
  delay_loop 1
  lvs_sched rr
  protocol TCP
  real_server 127.0.0.1 18082 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`,
    );
    const { daemon, wait } = startChecker(conf, 'amon', ['-a']);
    await wait(/Netlink reflector reports IP 127\.0\.0\.1 added\n/, 10_000);
    netnsRun(ns, ['ip', 'addr', 'add', '10.9.8.1/32', 'dev', 'lo']);
    await wait(/Netlink reflector reports IP 10\.9\.8\.1 added\n/, 10_000);
    netnsRun(ns, ['ip', 'addr', 'del', '10.9.8.1/32', 'dev', 'lo']);
    await wait(/Netlink reflector reports IP 10\.9\.8\.1 removed\n/, 10_000);
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  });
});
