// -t verdicts that real-world configs showed to differ from keepalived 2.2.7's (bench/config-verdicts.ts
// --dir): each case is a minimal config written for the test, with keepalived's verdict as the oracle.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configTestExitCode } from '../../../src/config/config-test-exit.js';
import { loadModel } from '../../../src/config/index.js';
import type { Diagnostic, HostFacts } from '../../../src/config/types.js';
import { MemoryHost } from './memory-host.js';

const FILE = '/etc/keepalived/keepalived.conf';

const HOST: HostFacts = {
  interfaces: new Set(['lo', 'eth0']),
  scriptFound: (program) => program === '/bin/true' || program === 'true',
};

function configTest(text: string): { status: number; lines: string[]; diagnostics: Diagnostic[] } {
  const { diagnostics } = loadModel(FILE, new MemoryHost({ [FILE]: text }), { hostFacts: HOST });
  const counted = diagnostics.filter((d) => d.severity !== 'note');
  return {
    status: configTestExitCode(diagnostics),
    lines: [...new Set(counted.map((d) => `${d.line}: ${d.message}`))],
    diagnostics,
  };
}

const INSTANCE = `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.10/24
  }
  track_script {
    chk
  }
}
`;

void describe('real-world -t verdicts', () => {
  it('a vrrp_script whose program is missing is disabled with a counted report', () => {
    const missing = configTest(`vrrp_script chk {\n  script "/etc/keepalived/none.sh"\n}\n${INSTANCE}`);
    assert.equal(missing.status, 5);
    assert.ok(
      missing.lines.includes('1: Disabling track script chk since not found/accessible'),
      `${missing.lines}`,
    );
    const present = configTest(
      `global_defs {\n  enable_script_security\n}\nvrrp_script chk {\n  script "/bin/true"\n}\n${INSTANCE}`,
    );
    assert.deepEqual(present.lines, []);
    assert.equal(present.status, 0);
  });
});
