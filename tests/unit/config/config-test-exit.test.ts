// -t's exit code from the diagnostics, by keepalived 2.2.7's rule (the largest config_err_t wins).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { configTestExitCode } from '../../../src/config/config-test-exit.js';
import type { Diagnostic, KeepalivedRank, Severity } from '../../../src/config/types.js';

const d = (severity: Severity, rank?: KeepalivedRank): Diagnostic => ({
  file: 'k.conf',
  line: 1,
  severity,
  message: 'm',
  ...(rank ? { rank } : {}),
});

void describe('configTestExitCode', () => {
  void test('nothing, or only notes and uncounted reports: 0', () => {
    assert.equal(configTestExitCode([]), 0);
    assert.equal(configTestExitCode([d('note'), d('warning', 'uncounted')]), 0);
  });
  void test('a warning fails the test as an error does (5), unless warnings are allowed', () => {
    assert.equal(configTestExitCode([d('warning')]), 5);
    assert.equal(configTestExitCode([d('error')]), 5);
    assert.equal(configTestExitCode([d('warning')], { warningsOk: true }), 0);
    assert.equal(configTestExitCode([d('warning'), d('error')], { warningsOk: true }), 5);
  });
  void test('fatal alone gives 4; any ordinary finding beside it makes it 5', () => {
    assert.equal(configTestExitCode([d('error', 'fatal')]), 4);
    assert.equal(configTestExitCode([d('error', 'fatal'), d('warning')]), 5);
  });
  void test('script security and failed include checks give 6 whatever else there is', () => {
    assert.equal(configTestExitCode([d('error'), d('warning', 'security'), d('error', 'fatal')]), 6);
    assert.equal(configTestExitCode([d('error', 'no-config'), d('error')]), 6);
    assert.equal(configTestExitCode([d('warning', 'security')], { warningsOk: true }), 0);
  });
});
