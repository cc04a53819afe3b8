// config_save_dir (keepalived 2.4.3 config_notify.c save_config, parser.c's conf_copy): a child's dump
// before and after each reload (keepalived_PROCESS.PID.N.pre/.post, N counting reloads with a directory
// set), and the parent's copy of each configuration read (keepalived.conf.PID.N, N from 0).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigCopies, ConfigSaves } from '../../../../src/daemon/process/config-save.js';
import { Logger } from '../../../../src/daemon/process/log.js';

function withDir(body: (dir: string, log: Logger) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'kts-save-'));
  const log = new Logger({
    console: false,
    syslog: false,
    facility: 'daemon',
    detail: false,
    ident: 'T',
    file: join(dir, 'log'),
  });
  try {
    body(dir, log);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('config_save_dir', () => {
  test("a child's dumps around each reload; reloads without the directory are not counted", () =>
    withDir((dir, log) => {
      const saved = join(dir, 'saved'); // made on first use, 0700
      const saves = new ConfigSaves('check', log);
      saves.before(undefined, () => 'never');
      saves.after(saved, () => 'first post');
      saves.before(saved, () => 'old');
      saves.after(saved, () => 'new');
      saves.before(saved, () => 'old2');
      const pid = process.pid;
      assert.deepEqual(readdirSync(saved).sort(), [
        `keepalived_check.${pid}.0.post`,
        `keepalived_check.${pid}.1.post`,
        `keepalived_check.${pid}.1.pre`,
        `keepalived_check.${pid}.2.pre`,
      ]);
      assert.equal(readFileSync(join(saved, `keepalived_check.${pid}.1.pre`), 'utf8'), 'old');
      assert.equal(readFileSync(join(saved, `keepalived_check.${pid}.1.post`), 'utf8'), 'new');
      assert.equal(statSync(saved).mode & 0o777, 0o700);
      assert.equal(statSync(join(saved, `keepalived_check.${pid}.1.pre`)).mode & 0o777, 0o600);
    }));

  test("the parent's copies: logical lines file by file, numbered from 0", () =>
    withDir((dir, log) => {
      const main = join(dir, 'keepalived.conf');
      const inc = join(dir, 'inc.conf');
      writeFileSync(main, `global_defs {\n    router_id a   # comment\n}\ninclude ${inc}\n`);
      writeFileSync(inc, 'vrrp_instance VI_1 {\n  interface eth0\n}\n');
      const copies = new ConfigCopies(main, undefined, log);
      copies.save(undefined);
      copies.save(dir);
      copies.save(dir);
      const pid = process.pid;
      assert.ok(
        !readdirSync(dir).includes(`keepalived.conf.${pid}.1`) ||
          readdirSync(dir).includes(`keepalived.conf.${pid}.0`),
      );
      const text = readFileSync(join(dir, `keepalived.conf.${pid}.0`), 'utf8');
      assert.match(
        text,
        new RegExp(
          `^# ${main}\\nglobal_defs \\{\\nrouter_id a\\n\\}\\n# ${inc}\\nvrrp_instance VI_1 \\{\\ninterface eth0\\n\\}\\n!\\n$`,
        ),
      );
      assert.equal(readFileSync(join(dir, `keepalived.conf.${pid}.1`), 'utf8'), text);
    }));
});
