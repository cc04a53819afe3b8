// redactSecrets: what -d logs and --dump-config prints of the configuration hides auth_pass, auth_hmac keys
// written in the file, the status listener's token and the SSL password, and
// leaves the model the daemon runs untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../src/config/index.js';
import { printModel } from '../../../src/config/model/print.js';
import { REDACTED, redactSecrets } from '../../../src/config/model/redact.js';
import { MemoryHost } from './memory-host.js';

const TEXT = `status_http {
  listen 127.0.0.1 9650
  token Tok3nSecret
}
SSL {
  password SslSecret
}
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  priority 100
  authentication {
    auth_type PASS
    auth_pass PwSecret
  }
  virtual_ipaddress {
    10.0.0.1/24
  }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  priority 100
  version 3
  auth_hmac {
    key 1 HmacKeyThatIsThirtyTwoBytesLong9
  }
  virtual_ipaddress {
    10.0.0.2/24
  }
}
`;

test('every secret is hidden in the printed configuration and in its JSON; the model keeps them', () => {
  const { model } = loadModel('/k.conf', new MemoryHost({ '/k.conf': TEXT }), { configId: 'n' });
  const hidden = redactSecrets(model);
  for (const text of [printModel(hidden), JSON.stringify(hidden)]) {
    for (const secret of ['Tok3nSecret', 'SslSecret', 'PwSecret', 'HmacKeyThatIsThirtyTwoBytesLong9'])
      assert.ok(!text.includes(secret), `${secret} shown`);
    assert.ok(text.includes(REDACTED));
  }
  assert.equal(model.instances[0]?.authentication?.password, 'PwSecret');
  assert.equal(model.statusHttp?.token, 'Tok3nSecret');
});
