// AF_UNIX addresses through the addon: filesystem and abstract paths survive bind/getsockname/recvmsg,
// and malformed ones are refused before reaching the kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { native } from '../../../src/net/native.js';
import { NativeSocket } from '../../../src/net/socket.js';

function unixDatagramSocket(): NativeSocket {
  return NativeSocket.open(native().constants.AF_UNIX, native().constants.SOCK_DGRAM, 0, 256);
}

test('filesystem path: bind, getsockname and the sender address of a datagram', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-unix-'));
  const server = unixDatagramSocket();
  const client = unixDatagramSocket();
  try {
    const serverPath = join(dir, 'server');
    const clientPath = join(dir, 'client');
    server.bind({ family: 'unix', path: serverPath });
    client.bind({ family: 'unix', path: clientPath });
    assert.deepEqual(server.localAddress(), { family: 'unix', path: serverPath });
    assert.equal(client.send(Buffer.from('ping'), { family: 'unix', path: serverPath }), 4);
    const got = server.receive();
    assert.ok(got);
    assert.equal(got.data.toString(), 'ping');
    assert.deepEqual(got.from, { family: 'unix', path: clientPath });
  } finally {
    server.close();
    client.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('abstract namespace: a leading NUL is kept, nothing is created on disk', () => {
  const name = `\0kts-abstract-${process.pid}-${Date.now()}`;
  const sock = unixDatagramSocket();
  try {
    sock.bind({ family: 'unix', path: name });
    assert.deepEqual(sock.localAddress(), { family: 'unix', path: name });
  } finally {
    sock.close();
  }
});

test('sending to a missing path fails with ENOENT', () => {
  const sock = unixDatagramSocket();
  try {
    assert.throws(() => sock.send(Buffer.from('x'), { family: 'unix', path: '/nonexistent-kts-dir/log' }), {
      code: 'ENOENT',
    });
  } finally {
    sock.close();
  }
});

test('an empty or over-long path is a TypeError', () => {
  const sock = unixDatagramSocket();
  try {
    assert.throws(() => sock.bind({ family: 'unix', path: '' }), TypeError);
    // sun_path holds 108 bytes including the terminating NUL.
    assert.throws(() => sock.bind({ family: 'unix', path: `/${'a'.repeat(107)}` }), TypeError);
  } finally {
    sock.close();
  }
});
