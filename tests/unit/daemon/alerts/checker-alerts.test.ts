// keepalived's FMT_VS / FMT_RS of virtual and real servers built from config text.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../config/model-helpers.js';
import { realServerText, virtualServerText } from '../../../../src/daemon/alerts/checker-alerts.js';

const text = `virtual_server 10.9.9.9 53 {
  protocol UDP
  real_server 10.0.0.2 5353 {
  }
  real_server 10.0.0.3 {
  }
}
virtual_server fwmark 7 {
  real_server 10.0.0.4 80 {
  }
  real_server 10.0.0.6 80 {
    lvs_method DR
  }
}
virtual_server 10.9.9.11 80 {
  lvs_method DR
  real_server 10.0.0.7 8080 {
  }
}
virtual_server 2001:db8::1 443 {
  real_server 2001:db8::2 443 {
  }
}
virtual_server_group web {
  10.9.9.10 80
}
virtual_server group web {
  real_server 10.0.0.5 80 {
  }
}
`;

describe('server names in alerts', () => {
  test('virtual servers and their real servers', () => {
    const { model } = build(text);
    const [udp, fwm, dr, v6, grp] = model.virtualServers;
    assert.ok(udp && fwm && dr && v6 && grp);
    assert.equal(virtualServerText(udp), '[10.9.9.9]:udp:53');
    assert.deepEqual(
      udp.realServers.map((rs) => realServerText(udp, rs)),
      ['[10.0.0.2]:udp:5353', '[10.0.0.3]:udp:53'],
    );
    const only = (vs: typeof udp): string[] => vs.realServers.map((rs) => realServerText(vs, rs));
    assert.equal(virtualServerText(fwm), 'FWM 7');
    // A fwmark's real servers keep their port with NAT only; DR clears it (as keepalived logs them).
    assert.deepEqual(only(fwm), ['[10.0.0.4]:none:80', '[10.0.0.6]:none:0']);
    assert.deepEqual(only(dr), ['[10.0.0.7]:tcp:80']);
    assert.equal(virtualServerText(v6), '[2001:db8::1]:tcp:443');
    assert.deepEqual(only(v6), ['[2001:db8::2]:tcp:443']);
    assert.equal(virtualServerText(grp), '[web]:0');
    assert.deepEqual(only(grp), ['[10.0.0.5]:tcp:80']);
  });
});
