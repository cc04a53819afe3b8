// sd_notify as systemd's Type=notify units need it (Debian's keepalived.service): the datagram reaches the
// socket named by $NOTIFY_SOCKET, a path or an abstract name.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { native } from '../../../../src/net/native.js';
import { NativeSocket } from '../../../../src/net/socket.js';
import { notifySocketAddress, sdNotify } from '../../../../src/daemon/process/sd-notify.js';

function listener(path: string): NativeSocket {
  const c = native().constants;
  const s = NativeSocket.open(c.AF_UNIX, c.SOCK_DGRAM, 0, 4096);
  s.bind({ family: 'unix', path });
  return s;
}

describe('sd_notify', () => {
  test('NOTIFY_SOCKET forms', () => {
    assert.equal(notifySocketAddress(undefined), undefined);
    assert.equal(notifySocketAddress(''), undefined);
    assert.equal(notifySocketAddress('/run/systemd/notify'), '/run/systemd/notify');
    assert.equal(notifySocketAddress('@abc'), '\0abc');
    assert.equal(notifySocketAddress('vsock:2:1'), undefined);
  });

  test('READY=1 reaches a path socket; nothing is sent without NOTIFY_SOCKET', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-notify-'));
    const path = join(dir, 'notify');
    const s = listener(path);
    try {
      assert.equal(sdNotify('READY=1', {}), false);
      assert.equal(s.receive(), null);
      assert.equal(sdNotify('READY=1', { NOTIFY_SOCKET: path }), true);
      assert.equal(s.receive()?.data.toString(), 'READY=1');
    } finally {
      s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an abstract socket (@name)', () => {
    const name = `kts-notify-${process.pid}`;
    const s = listener('\0' + name);
    try {
      assert.equal(sdNotify('STOPPING=1', { NOTIFY_SOCKET: '@' + name }), true);
      assert.equal(s.receive()?.data.toString(), 'STOPPING=1');
    } finally {
      s.close();
    }
  });
});
