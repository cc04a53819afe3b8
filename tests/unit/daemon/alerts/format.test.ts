// The alert texts against keepalived 2.2.7's own strings (smtp.c, vrrp_notify.c, check_*.c, ipwrapper.c).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  addressTrio,
  alertMessage,
  checkerAlertBody,
  formatVirtualServer,
  MAX_BODY_LENGTH,
  MAX_SUBJECT_LENGTH,
  realServerAlert,
  realServerRemovedAlert,
  rfc2822Date,
  toHeader,
  virtualServerQuorumAlert,
  vrrpGroupAlert,
  vrrpInstanceAlert,
} from '../../../../src/daemon/alerts/format.js';

describe('VRRP alert texts', () => {
  test('instance transitions', () => {
    assert.deepEqual(vrrpInstanceAlert('LB1', 'VI_1', 'MASTER'), {
      subject: '[LB1] VRRP Instance VI_1 - Entering MASTER state',
      body: '=> VRRP Instance is now owning VRRP VIPs <=',
    });
    assert.deepEqual(vrrpInstanceAlert('LB1', 'VI_1', 'BACKUP'), {
      subject: '[LB1] VRRP Instance VI_1 - Entering BACKUP state',
      body: '=> VRRP Instance is no longer owning VRRP VIPs <=',
    });
    assert.deepEqual(vrrpInstanceAlert('LB1', 'VI_1', 'FAULT'), {
      subject: '[LB1] VRRP Instance VI_1 - Entering FAULT state',
      body: '=> VRRP Instance is no longer owning VRRP VIPs <=',
    });
    assert.deepEqual(vrrpInstanceAlert('LB1', 'VI_1', 'STOP'), {
      subject: '[LB1] VRRP Instance VI_1 - Stopping',
      body: '=> VRRP Instance stopping <=',
    });
  });

  test('sync group transitions', () => {
    assert.deepEqual(vrrpGroupAlert('r', 'G', 'MASTER'), {
      subject: '[r] VRRP Group G - Entering MASTER state',
      body: '=> All VRRP group instances are now in MASTER state <=',
    });
    assert.equal(
      vrrpGroupAlert('r', 'G', 'BACKUP').body,
      '=> All VRRP group instances are now in BACKUP state <=',
    );
    assert.equal(
      vrrpGroupAlert('r', 'G', 'FAULT').body,
      '=> All VRRP group instances are now in FAULT state <=',
    );
    assert.deepEqual(vrrpGroupAlert('r', 'G', 'STOP'), {
      subject: '[r] VRRP Group G - Stopping',
      body: '=> All VRRP group instances are now stopping <=',
    });
  });
});

describe('checker alert texts', () => {
  test('FMT_RS / FMT_VS', () => {
    assert.equal(addressTrio('10.0.0.2', 'TCP', 80), '[10.0.0.2]:tcp:80');
    assert.equal(addressTrio('2001:db8::2', 'UDP', 53), '[2001:db8::2]:udp:53');
    assert.equal(addressTrio('10.0.0.2', 'SCTP', 9), '[10.0.0.2]:sctp:9');
    assert.equal(addressTrio('10.0.0.2', undefined, 0), '[10.0.0.2]:none:0');
    assert.equal(
      formatVirtualServer({ kind: 'address', address: '10.9.9.9', port: 80, protocol: 'TCP' }),
      '[10.9.9.9]:tcp:80',
    );
    assert.equal(formatVirtualServer({ kind: 'fwmark', fwmark: 7 }), 'FWM 7');
    assert.equal(formatVirtualServer({ kind: 'group', group: 'web', port: 0 }), '[web]:0');
  });

  test('real server subject carries the server state after the verdict', () => {
    assert.deepEqual(
      realServerAlert(
        'LB1',
        '[10.0.0.2]:tcp:80',
        '[10.9.9.9]:tcp:80',
        false,
        '=> TCP CHECK failed on service <=',
      ),
      {
        subject: '[LB1] Realserver [10.0.0.2]:tcp:80 of virtual server [10.9.9.9]:tcp:80 - DOWN',
        body: '=> TCP CHECK failed on service <=',
      },
    );
    assert.match(realServerAlert('r', 'a', 'b', true, '').subject, / - UP$/);
  });

  test('each checker words its verdict as keepalived does', () => {
    const cases: Array<[Parameters<typeof checkerAlertBody>[0], boolean, string]> = [
      ['TCP_CHECK', true, '=> TCP CHECK succeed on service <='],
      ['TCP_CHECK', false, '=> TCP CHECK failed on service <='],
      ['HTTP_GET', true, '=> CHECK succeed on service <='],
      ['HTTP_GET', false, '=> CHECK failed on service : HTTP request failed <='],
      ['SSL_GET', false, '=> CHECK failed on service : HTTP request failed <='],
      ['SMTP_CHECK', true, '=> CHECK succeed on service <='],
      ['SMTP_CHECK', false, '=> CHECK failed on service <='],
      ['DNS_CHECK', true, '=> DNS_CHECK: succeed on service <='],
      ['DNS_CHECK', false, '=> DNS_CHECK: failed on service <='],
      ['UDP_CHECK', true, '=> UDP CHECK succeed on service <='],
      ['UDP_CHECK', false, '=> UDP CHECK failed on service <='],
      ['PING_CHECK', true, '=> ICMP CHECK succeed on service <='],
      ['PING_CHECK', false, '=> ICMP CHECK failed on service <='],
      ['MISC_CHECK', true, '=> MISC CHECK succeeded on service <='],
      ['MISC_CHECK', false, '=> MISC CHECK failed on service <='],
    ];
    for (const [kind, up, body] of cases) assert.equal(checkerAlertBody(kind, { up }), body, `${kind} ${up}`);
    assert.equal(
      checkerAlertBody('MISC_CHECK', { up: false, timedOut: true }),
      '=> MISC CHECK timed out on service <=',
    );
    assert.equal(
      checkerAlertBody('SMTP_CHECK', { up: false, reason: 'Bad HELO response from server x' }),
      '=> CHECK failed on service : Bad HELO response from server x <=',
    );
    assert.equal(
      checkerAlertBody('BFD_CHECK', { up: true, bfdName: 'b1' }),
      '=> BFD CHECK b1 succeeded on service <=',
    );
  });

  test('removal and quorum', () => {
    assert.deepEqual(realServerRemovedAlert('r', 'R', 'V', false), {
      subject: '[r] Realserver R of virtual server V - DOWN',
      body: '=> Removing <=',
    });
    assert.equal(realServerRemovedAlert('r', 'R', 'V', true).body, '=> Shutting down <=');
    const q = { quorum: 2, hysteresis: 1, threshold: 3, weightSum: 3 };
    assert.deepEqual(virtualServerQuorumAlert('r', 'V', { ...q, up: true, init: false }), {
      subject: '[r] Virtualserver V - UP',
      body: '=> Gained quorum 2+1=3 <= 3 <=',
    });
    assert.equal(
      virtualServerQuorumAlert('r', 'V', { ...q, up: true, init: true }).body,
      '=> Starting with quorum up 2+1=3 <= 3 <=',
    );
    const lost = virtualServerQuorumAlert('r', 'V', {
      ...q,
      threshold: 1,
      weightSum: 0,
      up: false,
      init: false,
    });
    assert.deepEqual(lost, { subject: '[r] Virtualserver V - DOWN', body: '=> Lost quorum 2+1=1 <= 0 <=' });
    assert.equal(
      virtualServerQuorumAlert('r', 'V', { ...q, up: false, init: true }).body,
      '=> Starting with quorum down 2+1=3 <= 3 <=',
    );
  });
});

describe('the message keepalived writes', () => {
  test('Date: is strftime("%a, %d %b %Y %H:%M:%S %z") of local time', () => {
    const t = new Date(Date.UTC(2026, 10, 27, 7, 5, 9));
    assert.equal(rfc2822Date(t, 0), 'Fri, 27 Nov 2026 07:05:09 +0000');
    assert.equal(rfc2822Date(t, 60), 'Fri, 27 Nov 2026 08:05:09 +0100');
    assert.equal(rfc2822Date(t, -330), 'Fri, 27 Nov 2026 01:35:09 -0530');
    // Crossing midnight backwards changes the day and the weekday too.
    assert.equal(
      rfc2822Date(new Date(Date.UTC(2026, 0, 1, 1, 0, 0)), -120),
      'Wed, 31 Dec 2025 23:00:00 -0200',
    );
  });

  test('Date: always parses back to the same instant', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4102444800 }),
        fc.integer({ min: -720, max: 840 }),
        (secs, offset) => {
          const d = new Date(secs * 1000);
          assert.equal(Date.parse(rfc2822Date(d, offset)), d.getTime());
        },
      ),
    );
  });

  test('headers in keepalived order, CRLF, body and a closing blank line', () => {
    const m = alertMessage({
      date: 'Fri, 27 Nov 2026 07:32:51 +0000',
      from: 'kts@example.com',
      to: ['ops@example.com', 'oncall@example.com'],
      subject: '[nodeA] VRRP Instance VI_1 - Entering BACKUP state',
      body: '=> VRRP Instance is no longer owning VRRP VIPs <=',
    });
    assert.equal(
      m,
      'Date: Fri, 27 Nov 2026 07:32:51 +0000\r\n' +
        'From: kts@example.com\r\n' +
        'Subject: [nodeA] VRRP Instance VI_1 - Entering BACKUP state\r\n' +
        'X-Mailer: Keepalived\r\n' +
        'To: ops@example.com, oncall@example.com\r\n' +
        '\r\n' +
        '=> VRRP Instance is no longer owning VRRP VIPs <=\r\n' +
        '\r\n',
    );
  });

  test('subject and body are cut where keepalived cuts them', () => {
    const m = alertMessage({
      date: 'd',
      from: 'f',
      to: ['t'],
      subject: 's'.repeat(400),
      body: 'b'.repeat(900),
    });
    const lines = m.split('\r\n');
    assert.equal(lines[2], `Subject: ${'s'.repeat(MAX_SUBJECT_LENGTH)}`);
    assert.equal(lines[6], 'b'.repeat(MAX_BODY_LENGTH));
  });

  test('To: keeps whole addresses that fit in 1023 bytes', () => {
    const many = Array.from({ length: 100 }, (_, i) => `user${String(i).padStart(3, '0')}@example.com`);
    const to = toHeader(many);
    assert.ok(to.length <= 1023);
    const kept = to.split(', ');
    assert.deepEqual(kept, many.slice(0, kept.length));
    assert.ok(`${to}, ${many[kept.length]}`.length > 1023);
    assert.equal(toHeader(['a@b']), 'a@b');
    assert.equal(toHeader([]), '');
  });
});
