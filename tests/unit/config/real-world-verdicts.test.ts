// -t verdicts that real-world configs showed to differ from keepalived 2.2.7's (bench/config-verdicts.ts
// --dir): each case is a minimal config written for the test, with keepalived's verdict as the oracle.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configTestExitCode, diagnosticsUntilParserStop } from '../../../src/config/config-test-exit.js';
import { loadModel } from '../../../src/config/index.js';
import type { Diagnostic, HostFacts } from '../../../src/config/types.js';
import { MemoryHost } from './memory-host.js';

const FILE = '/etc/keepalived/keepalived.conf';

const HOST: HostFacts = {
  interfaces: new Set(['lo', 'eth0']),
  scriptFound: (program) => program === '/bin/true' || program === 'true',
};

function configTest(text: string): { status: number; lines: string[]; diagnostics: Diagnostic[] } {
  const loaded = loadModel(FILE, new MemoryHost({ [FILE]: text }), { hostFacts: HOST });
  const diagnostics = diagnosticsUntilParserStop(loaded.diagnostics);
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

  it('a VRRP keyword without its argument stops keepalived at that line: exit 2, nothing after it', () => {
    const r = configTest(`vrrp_instance VI_1 {
  interface eth9
  virtual_router_id 51
  priority
  bogus_keyword
  virtual_ipaddress {
    192.0.2.10/24
  }
}
virtual_server 192.0.2.10 80 {
  bogus_vs_keyword
}
`);
    assert.equal(r.status, 2);
    // The missing interface is checked as keepalived reads line 2; its checker process reads 10-11 on
    // its own. Line 5's unknown keyword comes after the stop.
    const lines = [...new Set(r.lines.map((l) => Number(l.split(':')[0])))].sort((a, b) => a - b);
    assert.deepEqual(lines, [2, 4, 10, 11], r.lines.join('\n'));
  });
  it('a vrrp_script without a name stops keepalived too; a global keyword without one does not', () => {
    assert.equal(configTest('vrrp_script {\n  script "/bin/true"\n}\n').status, 2);
    assert.equal(configTest('global_defs {\n  router_id\n}\n').status, 5);
  });
});
