// The command line: keepalived's options, the config test, the JSON dump, and the subcommands.
import { writeFileSync } from 'node:fs';
import { release, version as osVersion } from 'node:os';
import { resolve } from 'node:path';
import { loadModel, type Model } from '../config/index.js';
import { redactSecrets } from '../config/model/redact.js';
import { nftablesRefusals } from '../lb/nftables/config-check.js';
import { resolveLbConfig } from '../lb/table/resolve.js';
import { formatDiagnostic, type Diagnostic } from '../config/types.js';
import {
  CONFIG_TEST_EXIT,
  configTestExitCode,
  diagnosticsUntilParserStop,
} from '../config/config-test-exit.js';
import { FsConfigHost } from '../daemon/process/fs-config-host.js';
import { readHostFacts } from './host-facts.js';
import { helpText, parseCommandLine, type DaemonOptions } from './options.js';
import { runDaemon } from '../daemon/process/run.js';
import { signalNumber } from '../daemon/process/signals.js';
import { VERSION, VERSION_STRING } from '../common/version.js';

export { VERSION };

/** --dump-config's exit status for a configuration with errors (keepalived -t's for those). */
const EXIT_CONFIG_ERROR = CONFIG_TEST_EXIT.configErrors;
/** keepalived exits 1 for bad options (after naming each) and for an unknown --signum name. */
const EXIT_BAD_OPTION = 1;

export async function main(argv: string[]): Promise<void> {
  const parsed = parseCommandLine(argv);
  switch (parsed.kind) {
    case 'error':
      process.stderr.write(parsed.messages.map((m) => m + '\n').join(''));
      process.exitCode = EXIT_BAD_OPTION;
      return;
    case 'subcommand':
      for (const w of parsed.warnings ?? []) process.stderr.write(w + '\n');
      // Each subcommand's modules are loaded only when it runs: the daemon's processes never load them
      // (fewer descriptors and less memory at start).
      if (parsed.name === 'simulate')
        process.exitCode = await (await import('./simulate.js')).runSimulate(parsed.args);
      else if (parsed.name === 'genhash')
        process.exitCode = await (await import('./genhash.js')).runGenhash(parsed.args);
      else if (parsed.name === 'status')
        process.exitCode = await (await import('./status-command.js')).runStatus(parsed.args);
      else if (parsed.name === 'events')
        process.exitCode = await (await import('./status-command.js')).runEvents(parsed.args);
      else if (parsed.name === 'handover')
        process.exitCode = await (await import('./handover-command.js')).runHandover(parsed.args);
      else if (parsed.name === 'demo')
        process.exitCode = await (await import('./demo-live.js')).runDemo(parsed.args);
      else {
        process.stderr.write(`keepalived-ts: '${parsed.name}' is not available yet\n`);
        process.exitCode = 2;
      }
      return;
    case 'daemon':
      for (const w of parsed.warnings) process.stderr.write(w + '\n');
      if (parsed.unexpected.length > 0) {
        // keepalived prints these on stdout and carries on.
        process.stdout.write(`Unexpected argument(s): ${parsed.unexpected.map((a) => a + ' ').join('')}\n`);
      }
      process.exitCode = await runOptions(parsed.options, argv);
      return;
  }
}

/** `keepalived -v`: the same shape (version line, blank, copyright, build and run facts), on stderr. */
export function versionText(): string {
  return [
    VERSION_STRING,
    '',
    'keepalived-ts: keepalived reimplemented in TypeScript (keepalived 2.4 configuration language)',
    '',
    `Running on Linux ${release()} ${osVersion()}`,
    `Node.js ${process.version}`,
    '',
    'Config options:  LVS VRRP VRRP_AUTH VRRP_VMAC JSON BFD',
    '',
  ].join('\n');
}

async function runOptions(o: DaemonOptions, argv: string[]): Promise<number> {
  if (o.help) {
    process.stderr.write(helpText(process.argv[1] ?? 'keepalived-ts'));
    return 0;
  }
  if (o.version) {
    process.stderr.write(versionText());
    return 0;
  }
  if (o.signum !== undefined) {
    const n = signalNumber(o.signum);
    if (n === undefined) {
      process.stderr.write(`Unknown sigfunc ${o.signum}\n`);
      return EXIT_BAD_OPTION;
    }
    process.stdout.write(`${n}\n`);
    return 0;
  }
  if (o.configTest || o.dumpConfig) {
    const hostFacts = readHostFacts();
    const { model, diagnostics } = loadModel(resolve(o.configFile), new FsConfigHost(), {
      configId: o.configId,
      hostFacts,
      allConfig: o.allConfig,
    });
    diagnostics.push(...dataPlaneDiagnostics(model, hostFacts?.ipvs));
    if (o.configTest) {
      const seen = diagnosticsUntilParserStop(diagnostics);
      report(seen, o.configTestLog);
      return configTestExitCode(seen, { warningsOk: o.configTestWarningsOk });
    }
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    report(diagnostics, undefined);
    process.stdout.write(JSON.stringify(redactSecrets(model), null, 2) + '\n');
    return errors > 0 ? EXIT_CONFIG_ERROR : 0;
  }
  const code = await runDaemon(o, argv);
  // The daemon is done: sockets it leaves open (syslog, signal watch) must not keep the process alive.
  // Console lines are already out (stderr to a file or pipe is synchronous on Linux).
  process.exit(code);
}

/**
 * What the load-balancing data plane cannot do with this configuration: on nftables (chosen by
 * `lvs_data_plane nftables`, an error; or because this kernel has no IPVS, a warning) some schedulers
 * and methods have no realisation, and the daemon leaves those virtual servers out.
 */
function dataPlaneDiagnostics(model: Model, kernelHasIpvs: boolean | undefined): Diagnostic[] {
  const want = model.global.lvsDataPlane ?? 'auto';
  if (want === 'ipvs' || (want === 'auto' && kernelHasIpvs !== false) || model.virtualServers.length === 0)
    return [];
  const why = want === 'nftables' ? 'lvs_data_plane nftables' : 'this kernel has no IPVS';
  return nftablesRefusals(
    resolveLbConfig(model),
    model.virtualServers.map((vs) => vs.at),
  ).flatMap((r) =>
    r.at
      ? [
          {
            file: r.at.file,
            line: r.at.line,
            // keepalived knows no nftables data plane: this host's lack of IPVS is ours to point out.
            severity: want === 'nftables' ? ('error' as const) : ('note' as const),
            keyword: 'virtual_server',
            message: `${r.virtualServer} cannot run on the nftables data plane (${why}): ${r.reason}`,
          },
        ]
      : [],
  );
}

function report(diagnostics: Diagnostic[], logFile: string | undefined): void {
  const text = diagnostics.map((d) => formatDiagnostic(d) + '\n').join('');
  // keepalived appends to the -t=FILE log (O_APPEND | O_CREAT).
  if (logFile !== undefined) writeFileSync(logFile, text, { flag: 'a' });
  else process.stderr.write(text);
}
