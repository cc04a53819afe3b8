// The checker's connections out of conntrack: what the planner adds to the inet table, how the targets'
// elements follow changes, and which targets the daemon derives from the checkers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../../src/config/index.js';
import { checkPlanFromModel } from '../../../../src/check/schedule/from-model.js';
import { checkTargets } from '../../../../src/daemon/lb/load-balancer.js';
import {
  CHECK_FLOW_TIMEOUT_MS,
  checkedElements,
  type CheckTarget,
  notrackRules,
} from '../../../../src/lb/nftables/notrack.js';
import { describeOp, type NftOp } from '../../../../src/lb/nftables/ops.js';
import { EMPTY_STATE, planApply, planChecked, planRemoveAll } from '../../../../src/lb/nftables/planner.js';
import { NF_IP_PRI_RAW, NFT_SET_TIMEOUT } from '../../../../src/net/netlink/nftables.js';
import { MemoryHost } from '../../config/memory-host.js';

const NO_ENV = { drIfindex: new Map<string, number>() };
const EMPTY = { services: [] };
const t4 = (address: string, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): CheckTarget => ({
  family: 'inet',
  protocol,
  address,
  port,
});
const elementOps = (ops: NftOp[]): string[] =>
  ops.filter((o) => o.op === 'add-elements' || o.op === 'delete-elements').map(describeOp);

describe('the raw chains of the inet table', () => {
  test('the first plan builds them before conntrack, with the targets as elements', () => {
    const checked = checkedElements([t4('10.0.0.1', 80), t4('10.0.0.1', 53, 'UDP'), t4('10.0.0.1', 80)]);
    const plan = planApply(EMPTY_STATE, [], EMPTY, NO_ENV, { ingressDevices: [], checked });
    const chains = plan.ops.flatMap((o) => (o.op === 'add-chain' && o.chain.hook ? [o.chain] : []));
    const raw = chains.filter((c) => c.name.startsWith('raw_'));
    assert.deepEqual(
      raw.map((c) => [c.name, c.hook?.priority, c.hook?.type]),
      [
        ['raw_output', NF_IP_PRI_RAW, 'filter'],
        ['raw_prerouting', NF_IP_PRI_RAW, 'filter'],
      ],
    );
    const checks = plan.ops.find((o) => o.op === 'add-set' && o.name === 'checks4');
    assert.ok(checks?.op === 'add-set');
    assert.equal(checks.shape.flags & NFT_SET_TIMEOUT, NFT_SET_TIMEOUT);
    assert.equal(checks.shape.timeoutMs, CHECK_FLOW_TIMEOUT_MS);
    assert.equal(checks.shape.keyLen, 20);
    // Two distinct targets (the duplicate merged), added after the set exists.
    assert.deepEqual(elementOps(plan.ops), ['add element inet keepalived_ts checked4 (2)']);
    const lines = plan.ops.map(describeOp);
    assert.ok(
      lines.indexOf('add set inet keepalived_ts checked4') <
        lines.indexOf('add element inet keepalived_ts checked4 (2)'),
    );
    assert.equal(plan.state.checked.get('checked4')?.size, 2);
  });

  test("a pinged address is one element of its family's pinged set, whatever the port", () => {
    const ping = (family: 'inet' | 'inet6', address: string): CheckTarget => ({
      family,
      protocol: 'ICMP',
      address,
      port: 0,
    });
    const checked = checkedElements([
      ping('inet', '10.0.0.1'),
      ping('inet', '10.0.0.1'),
      ping('inet6', 'fd00::1'),
    ]);
    assert.deepEqual(
      [...checked].map(([name, elements]) => [
        name,
        [...elements.values()].map((e) => Buffer.from(e.key).toString('hex')),
      ]),
      [
        ['pinged4', ['0a000001']],
        ['pinged6', ['fd000000000000000000000000000001']],
      ],
    );
  });

  test('every rule ends in notrack; output records the connection, answers are looked up in both hooks', () => {
    const rules = notrackRules();
    const answer = 'meta cmp payload meta payload payload payload lookup notrack';
    const echo = 'meta cmp meta cmp payload cmp payload lookup notrack';
    assert.deepEqual(
      rules.map((r) => [r.chain, r.exprs.map((e) => e.kind).join(' ')]),
      [
        ['raw_output', 'meta cmp payload meta payload lookup payload payload dynset notrack'],
        ['raw_output', 'meta cmp payload meta payload lookup payload payload dynset notrack'],
        // a target on the director itself answers from the output hook
        ['raw_output', answer],
        ['raw_output', answer],
        ['raw_prerouting', answer],
        ['raw_prerouting', answer],
        // PING_CHECKs: echo requests out, echo replies in (and from this host itself)
        ['raw_output', echo],
        ['raw_output', echo],
        ['raw_output', echo],
        ['raw_output', echo],
        ['raw_prerouting', echo],
        ['raw_prerouting', echo],
      ],
    );
    // The reply's key mirrors the request's: far address and port first (source in prerouting).
    const out4 = rules[0]?.exprs ?? [];
    const in4 = rules[4]?.exprs ?? [];
    assert.deepEqual(rules[2]?.exprs, in4, 'the same answer rule in output');
    const offsets = (exprs: typeof out4): number[] =>
      exprs.flatMap((e) => (e.kind === 'payload' ? [e.base === 'network' ? e.offset : 100 + e.offset] : []));
    assert.deepEqual(offsets(out4), [16, 102, 12, 100]);
    assert.deepEqual(offsets(in4), [12, 100, 16, 102]);
  });
});

describe('the targets follow the checkers', () => {
  const a = t4('10.0.0.1', 80);
  const b = t4('10.0.0.2', 80);
  const c = t4('10.0.0.3', 53, 'UDP');

  test('a change adds and deletes only the elements that changed', () => {
    const first = planApply(EMPTY_STATE, [], EMPTY, NO_ENV, {
      ingressDevices: [],
      checked: checkedElements([a, b]),
    });
    const next = planChecked(first.state, checkedElements([b, c]));
    assert.deepEqual(elementOps(next.ops), [
      'delete element inet keepalived_ts checked4 (1)',
      'add element inet keepalived_ts checked4 (1)',
    ]);
    assert.equal(next.ops.length, 2, 'nothing else');
    assert.deepEqual(planChecked(next.state, checkedElements([c, b])).ops, [], 'same targets: nothing');
  });

  test('before the table exists nothing is sent; the table created later carries them', () => {
    assert.deepEqual(planChecked(EMPTY_STATE, checkedElements([a])).ops, []);
    const removed = planRemoveAll().state;
    const wanted = checkedElements([a, b]);
    assert.deepEqual(planChecked(removed, wanted).ops, []);
    const again = planApply(removed, [], EMPTY, NO_ENV, { ingressDevices: [], checked: wanted });
    assert.deepEqual(elementOps(again.ops), ['add element inet keepalived_ts checked4 (2)']);
  });

  test('an apply without targets keeps those the table holds', () => {
    const first = planApply(EMPTY_STATE, [], EMPTY, NO_ENV, {
      ingressDevices: [],
      checked: checkedElements([a]),
    });
    const next = planApply(first.state, [], EMPTY, NO_ENV, { ingressDevices: [] });
    assert.deepEqual(elementOps(next.ops), []);
    assert.equal(next.state.checked.get('checked4')?.size, 1);
  });

  test("the daemon's targets: TCP and UDP checkers' endpoints, connect_ip / connect_port included, and the pinged addresses", () => {
    const text = `
virtual_server 192.0.2.1 80 {
  protocol TCP
  real_server 10.0.0.1 80 {
    HTTP_GET {
      url {
        path /
      }
    }
    TCP_CHECK {
      connect_ip 10.0.0.9
      connect_port 8080
    }
    PING_CHECK {
    }
    MISC_CHECK {
      misc_path /bin/true
    }
  }
}
virtual_server 2001:db8::1 80 {
  protocol TCP
  real_server fd00::2 80 {
    TCP_CHECK {
    }
  }
}
virtual_server 192.0.2.1 53 {
  protocol UDP
  real_server 10.0.0.1 53 {
    DNS_CHECK {
    }
  }
}
`;
    const { model } = loadModel('/k.conf', new MemoryHost({ '/k.conf': text }), { configId: 'n' });
    const targets = checkTargets(checkPlanFromModel(model).checkers);
    assert.deepEqual(
      targets.map((t) => `${t.protocol} ${t.family} ${t.address} ${t.port}`),
      [
        'TCP inet 10.0.0.1 80',
        'TCP inet 10.0.0.9 8080',
        'ICMP inet 10.0.0.1 0',
        'TCP inet6 fd00::2 80',
        'UDP inet 10.0.0.1 53',
      ],
    );
  });
});
