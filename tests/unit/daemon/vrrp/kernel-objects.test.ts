// The rtnetlink requests built from virtual_routes / virtual_rules lines, where keepalived 2.2.7 was seen to
// differ from what we sent (differential runs in namespaces, tests/helpers/differential.ts): rules carry
// keepalived's protocol, and a route that leads nowhere (blackhole & co.) gets no default device, which the
// kernel would refuse ("Gateway, device and multipath can not be specified for this route type").
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../../src/config/index.js';
import { routeRequest, ruleRequest } from '../../../../src/daemon/vrrp/kernel-objects.js';
import { RTPROT_KEEPALIVED } from '../../../../src/net/netlink/rtnl-constants.js';
import { MemoryHost } from '../../config/memory-host.js';

function instanceOf(lines: string[]) {
  const text = [
    'vrrp_instance VI_1 {',
    '  interface eth0',
    '  virtual_router_id 51',
    '  priority 100',
    '  virtual_ipaddress {',
    '    10.9.0.100/24',
    '  }',
    ...lines.map((l) => `  ${l}`),
    '}',
  ].join('\n');
  const { model, diagnostics } = loadModel('/k.conf', new MemoryHost({ '/k.conf': text }));
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const inst = model.instances[0];
  assert.ok(inst);
  return inst;
}

describe('kernel object requests', () => {
  test('virtual_rules are marked with protocol keepalived (18)', () => {
    const inst = instanceOf(['virtual_rules {', '  from 10.9.0.100/32 table 100 priority 1000', '}']);
    const rule = ruleRequest(inst.virtualRules[0] as (typeof inst.virtualRules)[number]);
    assert.equal(rule.protocol, RTPROT_KEEPALIVED);
    assert.equal(RTPROT_KEEPALIVED, 18);
    assert.equal(rule.table, 100);
    assert.equal(rule.priority, 1000);
  });

  test('blackhole, unreachable, prohibit and throw routes get no default device; unicast ones do', () => {
    const inst = instanceOf([
      'virtual_routes {',
      '  blackhole 10.23.0.0/24',
      '  unreachable 10.24.0.0/24',
      '  prohibit 10.25.0.0/24',
      '  throw 10.26.0.0/24',
      '  10.27.0.0/24 src 10.9.0.100',
      '  10.28.0.0/24 via 10.9.0.254',
      '}',
    ]);
    const requests = inst.virtualRoutes.map((r) => routeRequest(r, 'eth0'));
    assert.deepEqual(
      requests.map((r) => [r.dst, r.type ?? 'unicast', r.dev]),
      [
        ['10.23.0.0/24', 'blackhole', undefined],
        ['10.24.0.0/24', 'unreachable', undefined],
        ['10.25.0.0/24', 'prohibit', undefined],
        ['10.26.0.0/24', 'throw', undefined],
        ['10.27.0.0/24', 'unicast', 'eth0'],
        ['10.28.0.0/24', 'unicast', undefined],
      ],
    );
    for (const r of requests) assert.equal(r.protocol, RTPROT_KEEPALIVED);
  });
});
