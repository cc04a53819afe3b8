// Braces where keepalived 2.2.7 does not expect them, read through the whole pipeline (preprocessor, block
// parser, model) as keepalived reads them; tests/corpus/odd/55-58 compare the same with keepalived itself.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../src/config/index.js';
import { formatDiagnostic } from '../../../src/config/types.js';
import { MemoryHost } from './memory-host.js';

const MAIN = '/k.conf';

function load(text: string) {
  const { model, diagnostics } = loadModel(MAIN, new MemoryHost({ [MAIN]: text }));
  return {
    model,
    messages: diagnostics.map(formatDiagnostic).map((m) => m.slice(MAIN.length + 1)),
  };
}

const instance = (body: string): string => `vrrp_instance VI_1 {\n${body}\n}\n`;

void describe('braces keepalived does not expect', () => {
  void test("a keyword that takes no block: its '{' is ignored, its '}' ends the instance", () => {
    const { model, messages } = load(
      instance('  interface eth0\n  {\n  nopreempt\n  }\n  virtual_router_id 51\n  priority 90'),
    );
    assert.deepEqual(messages, [
      "3: error: unexpected '{' - ignoring",
      '6: warning: virtual_router_id: unknown keyword in the top level, ignored',
      '7: warning: priority: unknown keyword in the top level, ignored',
      '8: warning: }: unknown keyword in the top level, ignored',
      '1: error: virtual_router_id: (VI_1) virtual_router_id is required',
      '1: warning: virtual_ipaddress: (VI_1) no VIP specified',
    ]);
    assert.equal(model.instances[0]?.preempt, false, 'nopreempt inside the ignored block is read');
  });

  void test('a block inside a block of values: its { and words are values, its } ends the values', () => {
    const { model, messages } = load(
      instance(
        '  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    10.0.0.1/24\n    {\n    X\n    }\n    10.0.0.2/24\n  }\n  priority 90',
      ),
    );
    assert.deepEqual(messages, [
      "6: error: virtual_ipaddress: '{' is not a valid IP address",
      "7: error: virtual_ipaddress: 'X' is not a valid IP address",
      '9: warning: 10.0.0.2/24: unknown keyword in vrrp_instance, ignored',
      '11: warning: priority: unknown keyword in the top level, ignored',
      '12: warning: }: unknown keyword in the top level, ignored',
    ]);
    assert.deepEqual(
      model.instances[0]?.virtualIpaddresses.map((a) => a.address),
      ['10.0.0.1'],
    );
  });

  void test('an undefined ${NAME} splits its line: `interface ${IF}` is `interface $` and a block', () => {
    const { model, messages } = load(
      instance('  interface ${IF}\n  virtual_router_id 51\n  virtual_ipaddress {\n    10.0.0.1/24\n  }'),
    );
    assert.deepEqual(messages.slice(0, 4), [
      "2: note: '${IF}' left unexpanded (no such parameter): the line is split at its braces, as keepalived does",
      "2: error: unexpected '{' - ignoring",
      '2: warning: IF: unknown keyword in vrrp_instance, ignored',
      '3: warning: virtual_router_id: unknown keyword in the top level, ignored',
    ]);
    assert.equal(model.instances[0]?.interface, '$');
  });
});
