// The config test's verdict as keepalived 2.2.7 gives it. keepalived keeps, of all it reported, the
// config_err_t with the largest value and exits from that: its enum lists fatal findings first (a file not
// found, a bad interface: 4), then the ordinary ones down to a warning or a deprecated keyword (5), then
// script security (6). So one ordinary warning turns a fatal verdict into 5, and security trumps all.
import type { Diagnostic } from './types.js';

/** keepalived's KEEPALIVED_CHK_EXIT_* codes. */
export const CONFIG_TEST_EXIT = {
  ok: 0,
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
  // An include check that failed: keepalived exits "not configured" (6) before it gives any verdict.
  if (counted.some((d) => d.rank === 'no-config')) return CONFIG_TEST_EXIT.notConfigured;
  if (counted.some((d) => d.rank === 'security')) return CONFIG_TEST_EXIT.security;
  if (counted.some((d) => d.rank === undefined)) return CONFIG_TEST_EXIT.configErrors;
  return CONFIG_TEST_EXIT.cannotRun;
}
