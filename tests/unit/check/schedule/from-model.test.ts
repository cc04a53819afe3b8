import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../../src/config/index.js';
import { checkPlanFromModel } from '../../../../src/check/schedule/from-model.js';
import { MemoryHost } from '../../config/memory-host.js';

function plan(text: string, resolveUser?: (u: string) => { uid: number; gid: number } | undefined) {
  const { model } = loadModel('/k.conf', new MemoryHost({ '/k.conf': text }), { configId: 'n' });
  return checkPlanFromModel(model, { resolveUser });
}

const CONF = `
track_file tf {
  file /run/tf
  weight 3 reverse
}
virtual_server 192.168.1.1 80 {
  delay_loop 10
  retry 4
  connect_timeout 7
  protocol TCP
  omega
  virtualhost vs.example
  real_server 10.0.0.1 80 {
    weight 5
    delay_before_retry 2
    notify_down "/bin/rs-down arg"
    TCP_CHECK {
      connect_port 8080
      bindto 10.0.0.100
    }
    HTTP_GET {
      retry 2
      url {
        path /health
        digest 0123456789abcdef0123456789abcdef
      }
      url {
        path /other
        status_code 200-204 404
      }
      http_protocol 1.1
    }
    MISC_CHECK {
      misc_path "/bin/check one"
      misc_dynamic
    }
    DNS_CHECK {
      name example.test
      type A
    }
    FILE_CHECK { track_file tf }
  }
  real_server 10.0.0.2 80 {
    alpha
    SMTP_CHECK {
      helo_name me.example
      warmup 3
    }
    UDP_CHECK {
      payload 0a0b
      require_reply 01X2
    }
  }
}
`;

test('inheritance virtual server -> real server -> checker, per-kind options', () => {
  const p = plan(CONF);
  assert.deepEqual(p.problems, []);
  assert.deepEqual(
    p.servers.map((s) => [s.id, s.weight, s.notifyDown, s.omega]),
    [
      ['192.168.1.1:80/TCP -> 10.0.0.1:80', 5, '/bin/rs-down arg', true],
      ['192.168.1.1:80/TCP -> 10.0.0.2:80', 1, undefined, true],
    ],
  );
  const byKind = new Map(p.checkers.map((c) => [c.options.kind, c]));
  const tcp = byKind.get('TCP_CHECK');
  assert.deepEqual(tcp?.connect, {
    address: '10.0.0.1',
    port: 8080,
    bindTo: '10.0.0.100',
    bindPort: undefined,
    bindIf: undefined,
    timeoutMs: 7000,
    fwmark: undefined,
  });
  // retry from the VS, delay_before_retry from the RS, warmup defaults to delay_loop
  assert.deepEqual(tcp?.timing, {
    delayLoopMs: 10_000,
    retry: 4,
    delayBeforeRetryMs: 2000,
    warmupMs: 10_000,
    alpha: false,
  });

  const http = byKind.get('HTTP_GET');
  assert.equal(http?.timing.retry, 2);
  assert.deepEqual(http?.options, {
    kind: 'HTTP_GET',
    urls: [
      {
        path: '/health',
        digest: '0123456789abcdef0123456789abcdef',
        statusCodes: [[200, 299]],
        regex: undefined,
        regexNoMatch: false,
        virtualhost: undefined,
      },
      {
        path: '/other',
        digest: undefined,
        statusCodes: [
          [200, 204],
          [404, 404],
        ],
        regex: undefined,
        regexNoMatch: false,
        virtualhost: undefined,
      },
    ],
    virtualhost: 'vs.example',
    protocol: '1.1',
    enableSni: false,
  });

  const misc = byKind.get('MISC_CHECK');
  assert.deepEqual(misc?.options, {
    kind: 'MISC_CHECK',
    command: '/bin/check one',
    timeoutMs: 10_000,
    dynamic: true,
    uid: undefined,
    gid: undefined,
  });
  assert.equal(misc?.timing.retry, 4); // the VS's retry beats MISC_CHECK's own default of 0

  assert.deepEqual(byKind.get('DNS_CHECK')?.options, { kind: 'DNS_CHECK', type: 'A', name: 'example.test' });
  assert.deepEqual(byKind.get('FILE_CHECK')?.options, {
    kind: 'FILE_CHECK',
    path: '/run/tf',
    weight: 3,
    reverse: true,
  });

  const smtp = byKind.get('SMTP_CHECK');
  assert.equal(smtp?.timing.alpha, true);
  assert.equal(smtp?.timing.warmupMs, 3000);
  assert.deepEqual(smtp?.options, { kind: 'SMTP_CHECK', heloName: 'me.example' });

  const udp = byKind.get('UDP_CHECK');
  assert.ok(udp?.options.kind === 'UDP_CHECK');
  if (udp?.options.kind === 'UDP_CHECK') {
    assert.deepEqual([...(udp.options.payload ?? [])], [0x0a, 0x0b]);
    assert.deepEqual([...(udp.options.replyData ?? [])], [0x01, 0x02]);
    // X nibble ignored: the high nibble of the second byte
    assert.deepEqual([...(udp.options.replyMask ?? [])], [0x00, 0xf0]);
    assert.equal(udp.options.requireReply, true);
  }
  // every checker id is unique and names its server
  assert.equal(new Set(p.checkers.map((c) => c.id)).size, p.checkers.length);
});

test('keepalived defaults when nothing is written', () => {
  const p = plan(`virtual_server 1.2.3.4 53 { protocol UDP
    real_server 10.0.0.9 53 { DNS_CHECK { } MISC_CHECK { misc_path /bin/true } } }`);
  const dns = p.checkers.find((c) => c.options.kind === 'DNS_CHECK');
  assert.deepEqual(dns?.options, { kind: 'DNS_CHECK', type: 'SOA', name: '.' });
  assert.deepEqual(dns?.timing, {
    delayLoopMs: 60_000,
    retry: 3,
    delayBeforeRetryMs: 60_000,
    warmupMs: 60_000,
    alpha: false,
  });
  assert.equal(dns?.connect.timeoutMs, 5000);
  assert.equal(dns?.connect.port, 53);
  const misc = p.checkers.find((c) => c.options.kind === 'MISC_CHECK');
  assert.equal(misc?.timing.retry, 0);
  assert.equal(misc?.options.kind === 'MISC_CHECK' && misc.options.timeoutMs, 60_000);
});

test('problems instead of throwing: missing misc_path, unknown user, unknown track_file', () => {
  const p = plan(`virtual_server 1.2.3.4 80 { protocol TCP
    real_server 10.0.0.9 80 {
      MISC_CHECK { misc_timeout 3 }
      MISC_CHECK {
        misc_path "/bin/x"
        user nosuch
      }
      FILE_CHECK { track_file missing }
    } }`);
  // the config layer already drops a MISC_CHECK without misc_path; the other two are ours to report
  assert.equal(p.checkers.length, 0);
  assert.deepEqual(
    p.problems.map((x) => x.replace(/^.*?: /, '')),
    ['MISC_CHECK: cannot resolve user nosuch', 'FILE_CHECK: track_file missing not found or has no file'],
  );
  const q = plan(
    `virtual_server 1.2.3.4 80 {
  protocol TCP
  real_server 10.0.0.9 80 {
    MISC_CHECK {
      misc_path "/bin/x"
      user alice
    }
  }
}`,
    (u) => (u === 'alice' ? { uid: 1000, gid: 100 } : undefined),
  );
  const m = q.checkers[0]?.options;
  assert.ok(m?.kind === 'MISC_CHECK' && m.uid === 1000 && m.gid === 100);
});

test('a group serving two protocols gets one real server and checker per virtual server', () => {
  const p = plan(`
virtual_server_group G {
  10.0.0.1 80
}
virtual_server group G {
  protocol TCP
  real_server 10.9.0.1 80 {
    TCP_CHECK {
    }
  }
}
virtual_server group G {
  protocol UDP
  real_server 10.9.0.1 80 {
    TCP_CHECK {
    }
  }
}
`);
  const ids = p.servers.map((s) => s.id);
  assert.deepEqual(ids, ['group G/TCP -> 10.9.0.1:80', 'group G/UDP -> 10.9.0.1:80']);
  assert.equal(new Set(p.checkers.map((c) => c.id)).size, 2);
});

test('a virtual server written twice: a real server both name is checked once (the first one checkers)', () => {
  const p = plan(`
virtual_server 10.0.0.1 80 {
  protocol TCP
  real_server 10.0.1.1 80 {
    TCP_CHECK {
      connect_timeout 3
    }
  }
}
virtual_server 10.0.0.1 80 {
  protocol TCP
  real_server 10.0.1.1 80 {
    HTTP_GET {
      url {
        path /
      }
    }
  }
  real_server 10.0.1.2 80 {
    TCP_CHECK {
      connect_timeout 3
    }
  }
}
`);
  assert.deepEqual(
    p.servers.map((s) => s.id),
    ['10.0.0.1:80/TCP -> 10.0.1.1:80', '10.0.0.1:80/TCP -> 10.0.1.2:80'],
  );
  assert.deepEqual(
    p.checkers.map((c) => c.id),
    ['10.0.0.1:80/TCP -> 10.0.1.1:80 #1 TCP_CHECK', '10.0.0.1:80/TCP -> 10.0.1.2:80 #1 TCP_CHECK'],
  );
});
