// The configuration file as the daemon's processes read it, and the one reload rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnostic } from '../../../../src/config/types.js';
import { ConfigFile, ReloadGuard } from '../../../../src/daemon/process/config-file.js';
import { Logger } from '../../../../src/daemon/process/log.js';
import { defaultDaemonOptions } from '../../../../src/daemon/process/options.js';

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

test('ConfigFile: every child reads the file the same way and keeps what runs when an edit breaks it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-config-file-'));
  try {
    const path = join(dir, 'keepalived.conf');
    const instance = (vip: string): string =>
      `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 7\n  virtual_ipaddress {\n    ${vip}\n  }\n}\n`;
    writeFileSync(path, instance('10.0.0.1'));
    const logFile = join(dir, 'log');
    const log = new Logger({
      console: false,
      syslog: false,
      facility: 'daemon',
      detail: false,
      ident: 'T',
      file: logFile,
    });
    const config = new ConfigFile({ ...defaultDaemonOptions(), configFile: path }, log);
    assert.equal(config.load().instances[0]?.virtualIpaddresses[0]?.address, '10.0.0.1');
    writeFileSync(path, instance('10.0.0.300'));
    assert.equal(config.reload(), undefined, 'a new error refuses the reload');
    assert.match(readFileSync(logFile, 'utf8'), /1 new error\(s\); keeping the running configuration/);
    writeFileSync(path, instance('10.0.0.2'));
    assert.equal(config.reload()?.instances[0]?.virtualIpaddresses[0]?.address, '10.0.0.2');
    assert.match(readFileSync(logFile, 'utf8'), /Reloading configuration/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
