// SyslogClient against a real AF_UNIX datagram socket standing in for /dev/log: exact bytes on the wire,
// silent drops while nobody listens, and recovery once a "daemon" binds the path again.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { native } from '../../../src/net/native.js';
import { NativeSocket } from '../../../src/net/socket.js';
import { SyslogClient, formatSyslogMessage, syslogTimestamp } from '../../../src/net/syslog.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-syslog-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let sequence = 0;
function freshPath(): string {
  return join(dir, `log-${sequence++}`);
}

/** A pretend syslog daemon: a bound unix datagram socket, read synchronously (unix delivery is immediate). */
function listen(path: string): NativeSocket {
  const sock = NativeSocket.open(native().constants.AF_UNIX, native().constants.SOCK_DGRAM, 0, 4096);
  sock.bind({ family: 'unix', path });
  return sock;
}

function receiveText(sock: NativeSocket): string | undefined {
  return sock.receive()?.data.toString('latin1');
}

// Local-time constructor: the client renders local time, as glibc does.
const fixedDate = new Date(2026, 10, 7, 9, 5, 3);

describe('syslog message format (glibc syslog() with LOG_PID)', () => {
  test('timestamp pads the day with a space and the time with zeros', () => {
    assert.equal(syslogTimestamp(fixedDate), 'Nov  7 09:05:03');
    assert.equal(syslogTimestamp(new Date(2026, 0, 31, 23, 59, 59)), 'Jan 31 23:59:59');
  });

  test('PRI is facility | level, then timestamp, ident[pid], colon and the message verbatim', () => {
    // Same shape glibc 2.36 produced for openlog("keepalived_vrrp", LOG_PID, LOG_DAEMON) + syslog(LOG_INFO, ...).
    assert.equal(
      formatSyslogMessage(3 << 3, 6, 'keepalived_vrrp', 5676, fixedDate, '(VI_1) Entering MASTER STATE'),
      '<30>Nov  7 09:05:03 keepalived_vrrp[5676]: (VI_1) Entering MASTER STATE',
    );
    assert.equal(formatSyslogMessage(19 << 3, 3, 'ka', 1, fixedDate, 'x'), '<155>Nov  7 09:05:03 ka[1]: x');
  });
});

describe('SyslogClient over an AF_UNIX datagram socket', () => {
  test('delivers exactly the glibc bytes to the socket path', () => {
    const path = freshPath();
    const daemon = listen(path);
    const client = new SyslogClient('Keepalived_vrrp', 'local3', { path, pid: 4242, now: () => fixedDate });
    try {
      assert.equal(client.send('warning', 'VRRP_Instance(VI_1) ünïcode'), true);
      assert.equal(client.send(7, 'debug line'), true);
      const first = daemon.receive();
      assert.ok(first);
      assert.deepEqual(
        first.data,
        Buffer.from('<156>Nov  7 09:05:03 Keepalived_vrrp[4242]: VRRP_Instance(VI_1) ünïcode', 'utf8'),
      );
      // The client's socket is unnamed: the kernel reports no sender address at all.
      assert.equal(first.from, null);
      assert.equal(receiveText(daemon), '<159>Nov  7 09:05:03 Keepalived_vrrp[4242]: debug line');
      assert.equal(daemon.receive(), null);
    } finally {
      client.close();
      daemon.close();
    }
  });

  test('defaults to the daemon facility and the real pid', () => {
    const path = freshPath();
    const daemon = listen(path);
    const client = new SyslogClient('kts', undefined, { path, now: () => fixedDate });
    try {
      client.send('info', 'hello');
      assert.equal(receiveText(daemon), `<30>Nov  7 09:05:03 kts[${process.pid}]: hello`);
    } finally {
      client.close();
      daemon.close();
    }
  });

  test('drops silently while the path is absent, and delivers again once a daemon binds it', () => {
    const path = freshPath();
    const client = new SyslogClient('kts', 'daemon', { path, pid: 1, now: () => fixedDate });
    try {
      assert.equal(client.send('err', 'lost: nobody listens'), false);
      const daemon = listen(path);
      assert.equal(client.send('err', 'after bind'), true);
      assert.equal(receiveText(daemon), '<27>Nov  7 09:05:03 kts[1]: after bind');

      // The daemon goes away (socket closed, file removed): dropped, no exception.
      daemon.close();
      unlinkSync(path);
      assert.equal(client.send('err', 'lost again'), false);

      // A stale socket file with no listener (ECONNREFUSED) is dropped too.
      const stale = listen(path);
      stale.close();
      assert.equal(client.send('err', 'stale'), false);

      // A restarted daemon at the same path gets the next message.
      unlinkSync(path);
      const restarted = listen(path);
      assert.equal(client.send('notice', 'back'), true);
      assert.equal(receiveText(restarted), '<29>Nov  7 09:05:03 kts[1]: back');
      assert.equal(receiveText(restarted), undefined);
      restarted.close();
    } finally {
      client.close();
    }
  });
});
