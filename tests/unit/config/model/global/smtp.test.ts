// The e-mail keywords of global_defs and the per-object smtp_alert flags, read as keepalived reads them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../model-helpers.js';

void describe('smtp keywords', () => {
  void test('notification_email is read word by word; quoted words stay whole', () => {
    const { model, messages } = build(`global_defs {
  notification_email {
    a@example.com b@example.com
    "NOC <noc@example.com>"
    c@example.com
  }
}
`);
    assert.deepEqual(messages, []);
    assert.deepEqual(model.global.notificationEmail, [
      'a@example.com',
      'b@example.com',
      'NOC <noc@example.com>',
      'c@example.com',
    ]);
  });

  void test('smtp_server: port defaults to 25; a bad port is an error', () => {
    assert.deepEqual(build('global_defs {\n  smtp_server 10.0.0.9\n}\n').model.global.smtpServer, {
      host: '10.0.0.9',
      port: 25,
    });
    assert.deepEqual(build('global_defs {\n  smtp_server mail.example 2525\n}\n').model.global.smtpServer, {
      host: 'mail.example',
      port: 2525,
    });
    const bad = build('global_defs {\n  smtp_server 10.0.0.9 70000\n}\n');
    assert.equal(bad.model.global.smtpServer, undefined);
    assert.equal(bad.messages.length, 1);
    assert.match(bad.messages[0] as string, /error: smtp_server: 70000 is out of range/);
  });

  void test('smtp_connect_timeout 0 becomes 1 with a warning, as in keepalived', () => {
    const { model, messages } = build('global_defs {\n  smtp_connect_timeout 0\n}\n');
    assert.equal(model.global.smtpConnectTimeout, 1);
    assert.equal(messages.length, 1);
    assert.match(messages[0] as string, /warning: smtp_connect_timeout: .*greater than 0, setting to 1/);
    assert.equal(build('global_defs {\n  smtp_connect_timeout 12\n}\n').model.global.smtpConnectTimeout, 12);
    assert.equal(build('').model.global.smtpConnectTimeout, 30);
    assert.match(
      build('global_defs {\n  smtp_connect_timeout x\n}\n').messages[0] as string,
      /not an integer/,
    );
  });

  void test('global flags, and the instance inherits smtp_alert_vrrp before smtp_alert', () => {
    const { model } = build(`global_defs {
  smtp_alert
  smtp_alert_vrrp false
  smtp_alert_checker yes
  smtp_helo_name helo.example
  notification_email_from ka@example.com
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  virtual_ipaddress {
    10.0.0.1/24
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 2
  smtp_alert
  virtual_ipaddress {
    10.0.0.2/24
  }
}
vrrp_sync_group G {
  group {
    VI_1
  }
  smtp_alert no
}
`);
    const g = model.global;
    assert.deepEqual(
      [g.smtpAlert, g.smtpAlertVrrp, g.smtpAlertChecker, g.smtpHeloName, g.notificationEmailFrom],
      [true, false, true, 'helo.example', 'ka@example.com'],
    );
    assert.deepEqual(
      model.instances.map((i) => i.smtpAlert),
      [false, true],
    );
    assert.equal(model.syncGroups[0]?.smtpAlert, false);
  });
});
