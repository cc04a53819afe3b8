// The command line: keepalived's options, the config test, the JSON dump, and the subcommands.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadModel } from '../config/index.js';
import { formatDiagnostic, type Diagnostic } from '../config/types.js';
import { FsConfigHost } from './fs-config-host.js';
import { readHostFacts } from './host-facts.js';
import { HELP_TEXT, parseCommandLine, type DaemonOptions } from './options.js';
import { runSimulate } from './simulate.js';
import { runGenhash } from './genhash.js';
import { runDaemon } from '../daemon/run.js';

export const VERSION = '0.1.0';

/** keepalived's exit status for a configuration that fails -t. */
const EXIT_CONFIG_ERROR = 5;

export async function main(argv: string[]): Promise<void> {
  const parsed = parseCommandLine(argv);
  switch (parsed.kind) {
    case 'error':
      process.stderr.write(
        `keepalived-ts: ${parsed.message}\nTry 'keepalived-ts --help' for more information.\n`,
      );
      process.exitCode = 2;
      return;
    case 'subcommand':
      if (parsed.name === 'simulate') process.exitCode = await runSimulate(parsed.args);
      else if (parsed.name === 'genhash') process.exitCode = await runGenhash(parsed.args);
      else {
        process.stderr.write(`keepalived-ts: '${parsed.name}' is not available yet\n`);
        process.exitCode = 2;
      }
      return;
    case 'daemon':
      process.exitCode = await runOptions(parsed.options, argv);
      return;
  }
}

async function runOptions(o: DaemonOptions, argv: string[]): Promise<number> {
  if (o.help) {
    process.stdout.write(HELP_TEXT);
    return 0;
  }
  if (o.version) {
    process.stdout.write(`keepalived-ts v${VERSION} (keepalived 2.4 configuration, VRRPv2/v3)\n`);
    return 0;
  }
  if (o.configTest || o.dumpConfig) {
    const { model, diagnostics } = loadModel(resolve(o.configFile), new FsConfigHost(), {
      configId: o.configId,
      hostFacts: readHostFacts(),
      allConfig: o.allConfig,
    });
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    if (o.configTest) {
      report(diagnostics, o.configTestLog);
      return errors > 0 ? EXIT_CONFIG_ERROR : 0;
    }
    report(diagnostics, undefined);
    process.stdout.write(JSON.stringify(model, null, 2) + '\n');
    return errors > 0 ? EXIT_CONFIG_ERROR : 0;
  }
  return runDaemon(o, argv);
}

function report(diagnostics: Diagnostic[], logFile: string | undefined): void {
  const text = diagnostics.map((d) => formatDiagnostic(d) + '\n').join('');
  if (logFile !== undefined) writeFileSync(logFile, text);
  else process.stderr.write(text);
}
