// The config test's verdict as keepalived 2.2.7 gives it. keepalived keeps, of all it reported, the
// config_err_t with the largest value and exits from that: its enum lists fatal findings first (a file not
// found, a bad interface: 4), then the ordinary ones down to a warning or a deprecated keyword (5), then
// script security (6). So one ordinary warning turns a fatal verdict into 5, and security trumps all.
import type { Diagnostic } from './types.js';

/** keepalived's KEEPALIVED_CHK_EXIT_* codes. */
export const CONFIG_TEST_EXIT = {
  ok: 0,
  /** KEEPALIVED_EXIT_CONFIG: its parser stopped on a keyword without its argument (rank `abort`). */
  parserStopped: 2,
  cannotRun: 4,
  configErrors: 5,
  security: 6,
  /** KEEPALIVED_EXIT_NO_CONFIG: the same number as security. */
  notConfigured: 6,
} as const;

export interface ConfigTestRule {
  /** Ours only (--config-test-warnings-ok): warnings do not count, only errors do. */
  warningsOk?: boolean;
}

/** The exit code of `-t` for these diagnostics (notes never count). */
export function configTestExitCode(diagnostics: readonly Diagnostic[], rule: ConfigTestRule = {}): number {
  const counted = diagnostics.filter(
    (d) =>
      d.rank !== 'uncounted' && (d.severity === 'error' || (d.severity === 'warning' && !rule.warningsOk)),
  );
  if (counted.length === 0) return CONFIG_TEST_EXIT.ok;
  if (counted.some((d) => d.rank === 'abort')) return CONFIG_TEST_EXIT.parserStopped;
  // An include check that failed: keepalived exits "not configured" (6) before it gives any verdict.
  if (counted.some((d) => d.rank === 'no-config')) return CONFIG_TEST_EXIT.notConfigured;
  if (counted.some((d) => d.rank === 'security')) return CONFIG_TEST_EXIT.security;
  if (counted.some((d) => d.rank === undefined)) return CONFIG_TEST_EXIT.configErrors;
  return CONFIG_TEST_EXIT.cannotRun;
}

/**
 * What keepalived 2.2.7 gets to say when its parser stops on a keyword without its argument (rank
 * `abort`): what it found before that line, and nothing it would have found after it or in the checks it
 * makes once the whole file is read. Diagnostics come in the order the config is read and then checked,
 * the preprocessor's first (those of later lines of the same file are dropped too).
 * Of the checks made once all is read, only those keepalived makes while reading (rank `fatal`) stay;
 * virtual servers' findings all stay (keepalived's checker process reads the file on its own). When the
 * keyword was a virtual server's, the checker process stopped there, and the VRRP process's findings go too.
 */
export function diagnosticsUntilParserStop(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const stop = diagnostics.findIndex((d) => d.rank === 'abort');
  const at = diagnostics[stop];
  if (at === undefined) return [...diagnostics];
  const before = (d: Diagnostic): boolean => d === at || d.file !== at.file || d.line < at.line;
  // A virtual server's keyword stopped keepalived's checker process: -t then says nothing of what its VRRP
  // process reads (seen with 2.2.7), nor of the virtual servers after that line
  if (at.checker === true)
    return diagnostics.filter((d, i) => (d.checker === true ? i <= stop && before(d) : d.vrrp !== true));
  // A missing interface is checked by keepalived's handler as it reads the line; ours once all is read.
  const parsedAfter = diagnostics
    .slice(stop + 1)
    .filter((d) => d.checker === true || (readTimeCheck(d) && before(d)));
  return [...diagnostics.slice(0, stop + 1).filter((d) => d.checker === true || before(d)), ...parsedAfter];
}

/** What keepalived checks as it reads the line (interfaces, files) where ours checks once all is read. */
function readTimeCheck(d: Diagnostic): boolean {
  const absentInterface =
    (d.keyword === 'interface' || d.keyword === 'track_interface') && d.message.includes('does not exist');
  return d.rank === 'fatal' || absentInterface;
}
