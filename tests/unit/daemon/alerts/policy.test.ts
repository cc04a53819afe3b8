// When keepalived mails: smtp_alert precedence, VRRP dedupe, checker verdicts, quorum changes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultGlobalDefs, type GlobalDefs } from '../../../../src/config/model/global/global.js';
import {
  CheckerAlertTracker,
  QuorumTracker,
  realServerAlertEnabled,
  smtpAlertSettings,
  virtualServerAlertEnabled,
  VrrpAlertPolicy,
  vrrpAlertEnabled,
  type CheckerAlertTarget,
  type CheckerView,
} from '../../../../src/daemon/alerts/policy.js';

function globals(over: Partial<GlobalDefs>): GlobalDefs {
  return { ...defaultGlobalDefs(), ...over };
}

const local = { hostName: 'lb1.example.com', userName: 'root' };

describe('settings', () => {
  test('nothing is sent without smtp_server or without an address', () => {
    assert.equal(smtpAlertSettings(globals({ notificationEmail: ['a@b'] }), local), undefined);
    assert.equal(
      smtpAlertSettings(globals({ smtpServer: { host: '10.0.0.9', port: 25 } }), local),
      undefined,
    );
  });

  test("keepalived's defaults: HELO and router_id the host name, sender user@host, 30 s", () => {
    const s = smtpAlertSettings(
      globals({ smtpServer: { host: '10.0.0.9', port: 25 }, notificationEmail: ['a@b', 'c@d'] }),
      local,
    );
    assert.deepEqual(s, {
      host: '10.0.0.9',
      port: 25,
      heloName: 'lb1.example.com',
      from: 'root@lb1.example.com',
      to: ['a@b', 'c@d'],
      timeoutMs: 30_000,
      routerId: 'lb1.example.com',
    });
  });

  test('configured values win', () => {
    const s = smtpAlertSettings(
      globals({
        smtpServer: { host: 'mail', port: 2525 },
        notificationEmail: ['a@b'],
        smtpHeloName: 'helo.example',
        notificationEmailFrom: 'ka@example',
        smtpConnectTimeout: 5,
        routerId: 'R1',
      }),
      local,
    );
    assert.deepEqual(
      [s?.heloName, s?.from, s?.timeoutMs, s?.routerId, s?.port],
      ['helo.example', 'ka@example', 5000, 'R1', 2525],
    );
  });
});

describe('smtp_alert precedence', () => {
  const combos: Array<[boolean | undefined, boolean | undefined, boolean | undefined]> = [];
  for (const own of [undefined, true, false])
    for (const specific of [undefined, true, false])
      for (const all of [undefined, true, false]) combos.push([own, specific, all]);

  test('VRRP: own, then smtp_alert_vrrp, then smtp_alert, then off', () => {
    for (const [own, vrrp, all] of combos) {
      const g = globals({ smtpAlertVrrp: vrrp, smtpAlert: all, smtpAlertChecker: !(vrrp ?? false) });
      assert.equal(vrrpAlertEnabled(own, g), own ?? vrrp ?? all ?? false, `${own} ${vrrp} ${all}`);
    }
  });

  test('virtual server: own, then smtp_alert_checker, then smtp_alert, then off', () => {
    for (const [own, checker, all] of combos) {
      const g = globals({ smtpAlertChecker: checker, smtpAlert: all, smtpAlertVrrp: true });
      assert.equal(virtualServerAlertEnabled(own, g), own ?? checker ?? all ?? false);
    }
  });

  test('real server: the same chain, but ON by default', () => {
    for (const [own, checker, all] of combos) {
      const g = globals({ smtpAlertChecker: checker, smtpAlert: all, smtpAlertVrrp: false });
      assert.equal(realServerAlertEnabled(own, g), own ?? checker ?? all ?? true);
    }
    assert.equal(realServerAlertEnabled(undefined, globals({})), true);
  });
});

describe('VRRP alert policy', () => {
  const key = VrrpAlertPolicy.key;

  test('mails each state once, only for enabled objects', () => {
    const p = new VrrpAlertPolicy(
      new Map([
        [key('INSTANCE', 'VI_1'), true],
        [key('INSTANCE', 'VI_2'), false],
        [key('GROUP', 'G'), true],
      ]),
      false,
    );
    assert.equal(p.decide('INSTANCE', 'VI_1', 'BACKUP'), 'BACKUP');
    assert.equal(p.decide('INSTANCE', 'VI_1', 'BACKUP'), undefined);
    assert.equal(p.decide('INSTANCE', 'VI_1', 'MASTER'), 'MASTER');
    assert.equal(p.decide('INSTANCE', 'VI_1', 'BACKUP'), 'BACKUP');
    assert.equal(p.decide('INSTANCE', 'VI_2', 'MASTER'), undefined);
    assert.equal(p.decide('INSTANCE', 'unknown', 'MASTER'), undefined);
    // A group and an instance of the same name are different objects.
    assert.equal(p.decide('GROUP', 'G', 'MASTER'), 'MASTER');
    assert.equal(p.decide('INSTANCE', 'VI_1', 'INIT'), undefined);
    assert.equal(p.decide('INSTANCE', 'VI_1', 'STOP'), 'STOP');
  });

  test('no_email_faults skips FAULT only, and a reload keeps what was mailed', () => {
    const p = new VrrpAlertPolicy(new Map([[key('INSTANCE', 'VI_1'), true]]), true);
    assert.equal(p.decide('INSTANCE', 'VI_1', 'FAULT'), undefined);
    assert.equal(p.decide('INSTANCE', 'VI_1', 'MASTER'), 'MASTER');
    p.reconfigure(new Map([[key('INSTANCE', 'VI_1'), true]]), false);
    assert.equal(p.decide('INSTANCE', 'VI_1', 'MASTER'), undefined);
    assert.equal(p.decide('INSTANCE', 'VI_1', 'FAULT'), 'FAULT');
  });

  test('an object dropped by a reload keeps its flag for its last mail', () => {
    const p = new VrrpAlertPolicy(
      new Map([
        [key('INSTANCE', 'VI_1'), true],
        [key('INSTANCE', 'VI_2'), true],
      ]),
      false,
    );
    p.reconfigure(new Map([[key('INSTANCE', 'VI_1'), false]]), false);
    assert.equal(p.decide('INSTANCE', 'VI_2', 'FAULT'), 'FAULT');
    assert.equal(p.decide('INSTANCE', 'VI_1', 'FAULT'), undefined);
  });
});

describe('checker alerts', () => {
  const on: CheckerAlertTarget = { enabled: true, mailsFirstVerdict: false };
  const misc: CheckerAlertTarget = { enabled: true, mailsFirstVerdict: true };
  const view = (id: string, server: string, up: boolean, hasRun: boolean): CheckerView => ({
    id,
    server,
    up,
    hasRun,
  });

  test('a first success of an up checker is silent, a failure mails DOWN, recovery mails UP', () => {
    const t = new CheckerAlertTracker([view('c', 's', true, false)], new Map([['c', on]]), false);
    const alive = new Map([['s', true]]);
    const srv = (s: string): boolean | undefined => alive.get(s);
    assert.deepEqual(t.observe([view('c', 's', true, true)], srv), []);
    alive.set('s', false);
    assert.deepEqual(t.observe([view('c', 's', false, true)], srv), [
      { checker: 'c', server: 's', up: false, serverAlive: false },
    ]);
    // The same view again: nothing new.
    assert.deepEqual(t.observe([view('c', 's', false, true)], srv), []);
    alive.set('s', true);
    assert.deepEqual(t.observe([view('c', 's', true, true)], srv), [
      { checker: 'c', server: 's', up: true, serverAlive: true },
    ]);
  });

  test('alpha: the first failure leaves the checker down and is silent', () => {
    const t = new CheckerAlertTracker([view('c', 's', false, false)], new Map([['c', on]]), false);
    assert.deepEqual(
      t.observe([view('c', 's', false, true)], () => false),
      [],
    );
    assert.equal(t.observe([view('c', 's', true, true)], () => true).length, 1);
  });

  test('MISC_CHECK also mails its first verdict', () => {
    const t = new CheckerAlertTracker([view('m', 's', true, false)], new Map([['m', misc]]), false);
    assert.deepEqual(
      t.observe([view('m', 's', true, true)], () => true),
      [{ checker: 'm', server: 's', up: true, serverAlive: true }],
    );
    const a = new CheckerAlertTracker([view('m', 's', false, false)], new Map([['m', misc]]), false);
    assert.deepEqual(
      a.observe([view('m', 's', false, true)], () => false),
      [{ checker: 'm', server: 's', up: false, serverAlive: false }],
    );
  });

  test('no_checker_emails: only verdicts that change the real server mail', () => {
    // Two checkers on one server: the second failure does not change the (already down) server.
    const targets = new Map([
      ['c1', on],
      ['c2', on],
    ]);
    const t = new CheckerAlertTracker(
      [view('c1', 's', true, true), view('c2', 's', true, true)],
      targets,
      true,
    );
    const down1 = t.observe([view('c1', 's', false, true), view('c2', 's', true, true)], () => false);
    assert.deepEqual(
      down1.map((d) => d.checker),
      ['c1'],
    );
    const down2 = t.observe([view('c1', 's', false, true), view('c2', 's', false, true)], () => false);
    assert.deepEqual(down2, []);
    // Without no_checker_emails the second one mails too.
    const loud = new CheckerAlertTracker(
      [view('c1', 's', true, true), view('c2', 's', true, true)],
      targets,
      false,
    );
    loud.observe([view('c1', 's', false, true), view('c2', 's', true, true)], () => false);
    assert.equal(
      loud.observe([view('c1', 's', false, true), view('c2', 's', false, true)], () => false).length,
      1,
    );
  });

  test('a real server with smtp_alert off (or an unknown checker) never mails', () => {
    const t = new CheckerAlertTracker(
      [view('c', 's', true, true), view('x', 's', true, true)],
      new Map([['c', { enabled: false, mailsFirstVerdict: false }]]),
      false,
    );
    assert.deepEqual(
      t.observe([view('c', 's', false, true), view('x', 's', false, true)], () => false),
      [],
    );
  });
});

describe('quorum', () => {
  test('start-up with enough live weight reports "starting with quorum up"', () => {
    const q = new QuorumTracker({ quorum: 2, hysteresis: 0 });
    assert.deepEqual(q.start(3), { up: true, init: true, threshold: 2, weightSum: 3 });
    assert.equal(new QuorumTracker({ quorum: 2, hysteresis: 0 }).start(1), undefined);
  });

  test('hysteresis: lost below quorum-h, regained at quorum+h', () => {
    const q = new QuorumTracker({ quorum: 3, hysteresis: 1 });
    q.start(4);
    assert.equal(q.update(2), undefined);
    assert.deepEqual(q.update(1), { up: false, init: false, threshold: 2, weightSum: 1 });
    assert.equal(q.update(3), undefined);
    assert.deepEqual(q.update(4), { up: true, init: false, threshold: 4, weightSum: 4 });
    assert.equal(q.quorumUp, true);
  });

  test('no live weight at all is always a loss', () => {
    const q = new QuorumTracker({ quorum: 0, hysteresis: 0 });
    q.start(0);
    assert.deepEqual(q.update(0), { up: false, init: false, threshold: 0, weightSum: 0 });
  });
});
