// config_save_dir (keepalived 2.4.3 config_notify.c, save_config): around each reload a child writes what
// its SIGUSR1 dump would show to DIR/keepalived_PROCESS.PID.N.pre (before, as the running configuration
// has it) and .post (after the new one is applied), N counting the reloads that had a directory set.
// The parent, each time it reads the configuration (at start, then on each reload), writes the logical
// lines it read to DIR/keepalived.conf.PID.N (N from 0), as keepalived's parent copies the text it hands
// its children; the directory is made (mode 0700) by whichever process writes first.
import { mkdirSync, writeFileSync } from 'node:fs';
import { preprocess } from '../../config/preprocess.js';
import { Diagnostics } from '../../config/types.js';
import { FsConfigHost } from './fs-config-host.js';
import type { Logger } from './log.js';

export type SavingProcess = 'vrrp' | 'check' | 'bfd';

export class ConfigSaves {
  private reloadNumber = 0;

  constructor(
    private readonly processName: SavingProcess,
    private readonly log: Logger,
  ) {}

  /** Before a reload: `configSaveDir` of the running configuration, `data` its dump. */
  before(configSaveDir: string | undefined, data: () => string): void {
    if (configSaveDir === undefined) return;
    this.reloadNumber++;
    this.write(configSaveDir, 'pre', data);
  }

  /** After a reload: `configSaveDir` of the new configuration. */
  after(configSaveDir: string | undefined, data: () => string): void {
    if (configSaveDir === undefined) return;
    this.write(configSaveDir, 'post', data);
  }

  private write(dir: string, when: 'pre' | 'post', data: () => string): void {
    const path = `${dir}/keepalived_${this.processName}.${process.pid}.${this.reloadNumber}.${when}`;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // 0600 as keepalived's (umask 0177): the dump shows the configuration.
      writeFileSync(path, data(), { mode: 0o600 });
    } catch {
      this.log.info(`Failed to open config_save file ${path}`);
    }
  }
}

/** The parent's copies of the configuration it read: "# FILE" where a file's lines start, each logical
 * line without its indentation, "!" at the end (keepalived's layout). */
export class ConfigCopies {
  private readNumber = 0;

  constructor(
    private readonly mainFile: string,
    private readonly configId: string | undefined,
    private readonly log: Logger,
  ) {}

  save(configSaveDir: string | undefined): void {
    if (configSaveDir === undefined) return;
    const path = `${configSaveDir}/keepalived.conf.${process.pid}.${this.readNumber++}`;
    try {
      const lines = preprocess(
        this.mainFile,
        new FsConfigHost(),
        this.configId !== undefined ? { configId: this.configId } : {},
        new Diagnostics(),
      );
      const out: string[] = [];
      let file: string | undefined;
      for (const l of lines) {
        const text = l.text.trim();
        if (l.file !== file) {
          out.push(`# ${l.file}`);
          file = l.file;
        } else if (text === '{') {
          // the reader puts an opening brace on a line of its own: back after its keyword, as written
          out[out.length - 1] += ' {';
          continue;
        }
        if (text !== '') out.push(text);
      }
      out.push('!', '');
      mkdirSync(configSaveDir, { recursive: true, mode: 0o700 });
      writeFileSync(path, out.join('\n'), { mode: 0o600 });
    } catch {
      this.log.info(`Failed to open config_save file ${path}`);
    }
  }
}
