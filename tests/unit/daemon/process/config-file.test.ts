import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnostic } from '../../../../src/config/types.js';
import { ReloadGuard } from '../../../../src/daemon/process/config-file.js';

const diag = (line: number, severity: Diagnostic['severity'], message: string): Diagnostic => ({
  file: '/etc/keepalived/keepalived.conf',
  line,
  severity,
  keyword: 'virtual_ipaddress',
  message,
});

test('a reload is refused only for errors the running configuration did not have', () => {
  const guard = new ReloadGuard();
  const old = diag(12, 'error', 'address family of fe80::1 does not match the instance');
  guard.accept([old, diag(3, 'warning', 'unknown keyword')]);
  // the same error, moved by an edit above it, is no new breakage; warnings never refuse
  assert.deepEqual(guard.newErrors([{ ...old, line: 20 }, diag(4, 'warning', 'other')]), []);
  const fresh = diag(30, 'error', 'invalid address 10.0.0.300');
  assert.deepEqual(guard.newErrors([old, fresh]), [fresh]);
  // once a configuration without the old error runs, that error is new again
  guard.accept([]);
  assert.deepEqual(guard.newErrors([old]), [old]);
});
