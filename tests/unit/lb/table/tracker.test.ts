import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualServerTracker, type LbEffect } from '../../../../src/lb/table/tracker.js';
import { desiredTable } from '../../../../src/lb/table/desired.js';
import type { LbTable } from '../../../../src/lb/table/types.js';
import { fifo, lbConfig, logs, scripts } from './helpers.js';

const VS = '[10.0.0.1]:tcp:80';
const id = (rs: string): string => `10.0.0.1:80/TCP -> ${rs}`;

function dests(table: LbTable): string[] {
  return table.services.flatMap((s) => s.destinations.map((d) => `${d.address}:${d.port}/${d.weight}`));
}

/** Five real servers of weight 1, quorum 3, hysteresis 1. */
const HYSTERESIS = `virtual_server 10.0.0.1 80 {
  protocol TCP
  quorum 3
  hysteresis 1
  quorum_up /bin/qup
  quorum_down "/bin/qdown now"
  real_server 10.0.1.1 80 { }
  real_server 10.0.1.2 80 { }
  real_server 10.0.1.3 80 { }
  real_server 10.0.1.4 80 { }
  real_server 10.0.1.5 80 { }
}`;

test('start: live servers in, the quorum judged with keepalived words, the script and FIFO line', () => {
  const t = new VirtualServerTracker(lbConfig(HYSTERESIS));
  assert.deepEqual(dests(t.table()), [], 'nothing before start');
  const effects = t.start();
  assert.deepEqual(logs(effects), [`Gained quorum 3+1=4 <= 5 for VS ${VS}`]);
  assert.deepEqual(scripts(effects), ['quorum_up /bin/qup']);
  assert.deepEqual(fifo(effects), [`VS ${VS} UP\n`]);
  assert.deepEqual(
    effects.find((e) => e.type === 'quorum'),
    {
      type: 'quorum',
      virtualServer: VS,
      up: true,
      init: true,
      stopping: false,
      quorum: 3,
      hysteresis: 1,
      threshold: 4,
      weightSum: 5,
    },
  );
  assert.equal(dests(t.table()).length, 5);
});

test('quorum with hysteresis: lost below quorum - hysteresis, regained at quorum + hysteresis', () => {
  const t = new VirtualServerTracker(lbConfig(HYSTERESIS));
  t.start();
  const down = (n: number): LbEffect[] => t.serverState(id(`10.0.1.${n}:80`), false, 1);
  const up = (n: number): LbEffect[] => t.serverState(id(`10.0.1.${n}:80`), true, 1);
  assert.deepEqual(logs(down(1)), [`Removing service [10.0.1.1]:tcp:80 from VS ${VS}`]);
  assert.deepEqual(logs(down(2)), [`Removing service [10.0.1.2]:tcp:80 from VS ${VS}`]);
  // 2 live: not below 3 - 1 = 2 yet
  assert.deepEqual(logs(down(3)), [`Removing service [10.0.1.3]:tcp:80 from VS ${VS}`]);
  assert.equal(t.quorumUp(0), true);
  const lost = down(4);
  assert.deepEqual(logs(lost), [
    `Removing service [10.0.1.4]:tcp:80 from VS ${VS}`,
    `Lost quorum 3-1=2 > 1 for VS ${VS}`,
  ]);
  assert.deepEqual(scripts(lost), ['quorum_down /bin/qdown now']);
  assert.deepEqual(fifo(lost), [`RS [10.0.1.4]:tcp:80 ${VS} DOWN\n`, `VS ${VS} DOWN\n`]);
  // back up: 2 and 3 live are not enough, 4 = 3 + 1 is
  assert.deepEqual(logs(up(1)), [`Adding service [10.0.1.1]:tcp:80 to VS ${VS}`]);
  assert.deepEqual(logs(up(2)), [`Adding service [10.0.1.2]:tcp:80 to VS ${VS}`]);
  assert.equal(t.quorumUp(0), false);
  const gained = up(3);
  assert.deepEqual(logs(gained), [
    `Adding service [10.0.1.3]:tcp:80 to VS ${VS}`,
    `Gained quorum 3+1=4 <= 4 for VS ${VS}`,
  ]);
  assert.deepEqual(scripts(gained), ['quorum_up /bin/qup']);
  // without a sorry server the table simply follows the live servers
  assert.deepEqual(dests(t.table()), ['10.0.1.1:80/1', '10.0.1.2:80/1', '10.0.1.3:80/1', '10.0.1.5:80/1']);
});

const SORRY = `virtual_server 10.0.0.1 80 {
  protocol TCP
  sorry_server 10.0.9.9 80
  real_server 10.0.1.1 80 {
    notify_up /bin/up1
    notify_down /bin/down1
  }
  real_server 10.0.1.2 80 {
    inhibit_on_failure
  }
}`;

test('sorry server: swapped in when the quorum is lost, out when it comes back', () => {
  const t = new VirtualServerTracker(lbConfig(SORRY));
  t.start();
  assert.deepEqual(dests(t.table()), ['10.0.1.1:80/1', '10.0.1.2:80/1']);
  const disabled = t.serverState(id('10.0.1.2:80'), false, 1);
  assert.deepEqual(logs(disabled), [`Disabling service [10.0.1.2]:tcp:80 of VS ${VS}`]);
  assert.deepEqual(dests(t.table()), ['10.0.1.1:80/1', '10.0.1.2:80/0']);
  const lost = t.serverState(id('10.0.1.1:80'), false, 1);
  assert.deepEqual(logs(lost), [
    `Removing service [10.0.1.1]:tcp:80 from VS ${VS}`,
    `Lost quorum 1-0=1 > 0 for VS ${VS}`,
    `Adding sorry server [10.0.9.9]:tcp:80 to VS ${VS}`,
    `Removing alive servers from the pool for VS ${VS}`,
  ]);
  assert.deepEqual(scripts(lost), ['notify_down /bin/down1']);
  assert.deepEqual(fifo(lost), [`RS [10.0.1.1]:tcp:80 ${VS} DOWN\n`, `VS ${VS} DOWN\n`]);
  assert.deepEqual(dests(t.table()), ['10.0.1.2:80/0', '10.0.9.9:80/1']);
  // the inhibited server comes back: the quorum too, the sorry server leaves
  const back = t.serverState(id('10.0.1.2:80'), true, 1);
  assert.deepEqual(logs(back), [
    `Enabling service [10.0.1.2]:tcp:80 of VS ${VS}`,
    `Gained quorum 1+0=1 <= 1 for VS ${VS}`,
    `Removing sorry server [10.0.9.9]:tcp:80 from VS ${VS}`,
    `Adding alive servers to the pool for VS ${VS}`,
  ]);
  assert.deepEqual(dests(t.table()), ['10.0.1.2:80/1']);
});

test('alpha with a sorry server: starts with quorum down and the sorry server in (keepalived prints "-" with q+h)', () => {
  const t = new VirtualServerTracker(
    lbConfig(`virtual_server 10.0.0.1 80 {
      protocol TCP
      alpha
      quorum 2
      hysteresis 1
      sorry_server 10.0.9.9 80
      sorry_server_inhibit
      real_server 10.0.1.1 80 { TCP_CHECK { } }
      real_server 10.0.1.2 80 { TCP_CHECK { } }
    }`),
  );
  const start = t.start([
    { server: id('10.0.1.1:80'), up: false, weight: 1 },
    { server: id('10.0.1.2:80'), up: false, weight: 1 },
  ]);
  assert.deepEqual(logs(start), [
    `Starting with quorum down 2-1=3 > 0 for VS ${VS}`,
    `Enabling sorry server [10.0.9.9]:tcp:80 to VS ${VS}`,
    `Removing alive servers from the pool for VS ${VS}`,
    `Activating healthchecker for service [10.0.1.1]:tcp:80 for VS ${VS}`,
    `Activating healthchecker for service [10.0.1.2]:tcp:80 for VS ${VS}`,
  ]);
  assert.deepEqual(dests(t.table()), ['10.0.9.9:80/1']);
  // a live server while the sorry server is in does not enter the kernel
  t.serverState(id('10.0.1.1:80'), true, 1);
  assert.deepEqual(dests(t.table()), ['10.0.9.9:80/1']);
  // 2 live = quorum 2, still below 2 + 1
  t.serverState(id('10.0.1.2:80'), true, 1);
  assert.equal(t.quorumUp(0), false);
  assert.deepEqual(dests(t.table()), ['10.0.9.9:80/1']);
});

test('alpha without a sorry server: nothing is said at start, the first success gains the quorum', () => {
  const t = new VirtualServerTracker(
    lbConfig(`virtual_server 10.0.0.1 80 {
      protocol TCP
      alpha
      real_server 10.0.1.1 80 { TCP_CHECK { } }
    }`),
  );
  const start = t.start([{ server: id('10.0.1.1:80'), up: false, weight: 1 }]);
  assert.deepEqual(logs(start), [`Activating healthchecker for service [10.0.1.1]:tcp:80 for VS ${VS}`]);
  assert.deepEqual(fifo(start), []);
  assert.deepEqual(dests(t.table()), []);
  assert.deepEqual(logs(t.serverState(id('10.0.1.1:80'), true, 1)), [
    `Adding service [10.0.1.1]:tcp:80 to VS ${VS}`,
    `Gained quorum 1+0=1 <= 1 for VS ${VS}`,
  ]);
  assert.deepEqual(dests(t.table()), ['10.0.1.1:80/1']);
});

test('weights: a change is logged in kernel terms and can cost the quorum', () => {
  const t = new VirtualServerTracker(
    lbConfig(`virtual_server 10.0.0.1 80 {
      protocol TCP
      quorum 4
      real_server 10.0.1.1 80 { weight 3 }
      real_server 10.0.1.2 80 { weight 2 }
    }`),
  );
  t.start();
  assert.deepEqual(logs(t.serverState(id('10.0.1.1:80'), true, 7)), [
    `Changing weight from 3 to 7 for active service [10.0.1.1]:tcp:80 of VS ${VS}`,
  ]);
  assert.deepEqual(dests(t.table()), ['10.0.1.1:80/7', '10.0.1.2:80/2']);
  // a negative effective weight is 0 in the kernel; same kernel weight, nothing said
  assert.deepEqual(logs(t.serverState(id('10.0.1.2:80'), true, -3)), [
    `Changing weight from 2 to 0 for active service [10.0.1.2]:tcp:80 of VS ${VS}`,
  ]);
  assert.deepEqual(logs(t.serverState(id('10.0.1.2:80'), true, -5)), []);
  assert.deepEqual(logs(t.serverState(id('10.0.1.1:80'), true, 1)), [
    `Changing weight from 7 to 1 for active service [10.0.1.1]:tcp:80 of VS ${VS}`,
    `Lost quorum 4-0=4 > 1 for VS ${VS}`,
  ]);
  // a failed server's weight change says "inactive"; coming up with a new weight says it first
  t.serverState(id('10.0.1.1:80'), false, 1);
  assert.deepEqual(logs(t.serverState(id('10.0.1.1:80'), true, 4)), [
    `Changing weight from 1 to 4 for inactive service [10.0.1.1]:tcp:80 of VS ${VS}`,
    `Adding service [10.0.1.1]:tcp:80 to VS ${VS}`,
    `Gained quorum 4+0=4 <= 4 for VS ${VS}`,
  ]);
  // going down restores the weight silently
  assert.deepEqual(logs(t.serverState(id('10.0.1.1:80'), false, 3)), [
    `Removing service [10.0.1.1]:tcp:80 from VS ${VS}`,
    `Lost quorum 4-0=4 > 0 for VS ${VS}`,
  ]);
});

test('rs_init_notifies: notify_up and the FIFO line for every server found up at start', () => {
  const config = lbConfig(`global_defs {
    rs_init_notifies
  }
  ${SORRY}`);
  const effects = new VirtualServerTracker(config).start([
    { server: id('10.0.1.2:80'), up: false, weight: 1 },
  ]);
  assert.deepEqual(scripts(effects), ['notify_up /bin/up1']);
  assert.deepEqual(fifo(effects), [`RS [10.0.1.1]:tcp:80 ${VS} UP\n`, `VS ${VS} UP\n`]);
  // the inhibited failed server is in the kernel at weight 0
  const t = new VirtualServerTracker(config);
  t.start([{ server: id('10.0.1.2:80'), up: false, weight: 1 }]);
  assert.deepEqual(dests(t.table()), ['10.0.1.1:80/1', '10.0.1.2:80/0']);
});

const HA = `virtual_server 10.0.0.1 80 {
  protocol TCP
  ha_suspend
  real_server 10.0.1.1 80 {
    TCP_CHECK { }
    FILE_CHECK { track_file f }
  }
}
virtual_server 10.0.0.2 80 {
  protocol TCP
  real_server 10.0.1.1 80 { TCP_CHECK { } }
}
track_file f { file /tmp/f }`;

test('ha_suspend: checkers deactivated while the address is away, resumed when it comes, the table untouched', () => {
  const t = new VirtualServerTracker(lbConfig(HA));
  const start = t.start([], ['192.168.0.1']);
  assert.deepEqual(logs(start).slice(-2), [
    `Deactivating healthchecker for service [10.0.1.1]:tcp:80 for VS ${VS}`,
    'Activating healthchecker for service [10.0.1.1]:tcp:80 for VS [10.0.0.2]:tcp:80',
  ]);
  assert.deepEqual(
    start.filter((e) => e.type === 'checkers'),
    [{ type: 'checkers', server: id('10.0.1.1:80'), enabled: false }],
  );
  // the real server stays in the kernel as it started
  assert.deepEqual(dests(t.table()), ['10.0.1.1:80/1', '10.0.1.1:80/1']);
  const on = t.setLocalAddresses(['192.168.0.1', '10.0.0.1']);
  assert.deepEqual(logs(on), [`Activating healthchecker for service [10.0.1.1]:tcp:80 for VS ${VS}`]);
  assert.deepEqual(
    on.filter((e) => e.type === 'checkers'),
    [{ type: 'checkers', server: id('10.0.1.1:80'), enabled: true }],
  );
  // a second copy (another interface), then one copy gone: still active
  assert.deepEqual(t.setLocalAddresses(['10.0.0.1', '10.0.0.1']), []);
  assert.deepEqual(t.setLocalAddresses(['10.0.0.1']), []);
  // the last copy gone: every checker is suspended, FILE_CHECK included (keepalived logs it too)
  assert.deepEqual(logs(t.setLocalAddresses([])), [
    `Suspending healthchecker for service [10.0.1.1]:tcp:80 for VS ${VS}`,
    `Suspending healthchecker for service [10.0.1.1]:tcp:80 for VS ${VS}`,
  ]);
  assert.deepEqual(logs(t.setLocalAddresses(['10.0.0.1'])), [
    `Activating healthchecker for service [10.0.1.1]:tcp:80 for VS ${VS}`,
    `Activating healthchecker for service [10.0.1.1]:tcp:80 for VS ${VS}`,
  ]);
});

test('ha_suspend on IPv6 matches any spelling of the address', () => {
  const t = new VirtualServerTracker(
    lbConfig(`virtual_server 2001:db8::1 80 {
      protocol TCP
      ha_suspend
      real_server 2001:db8::10 80 { TCP_CHECK { } }
    }`),
  );
  const start = t.start([], ['2001:DB8:0::1']);
  assert.deepEqual(logs(start).slice(-1), [
    'Activating healthchecker for service [2001:db8::10]:tcp:80 for VS [2001:db8::1]:tcp:80',
  ]);
});

const OMEGA = `virtual_server 10.0.0.1 80 {
  protocol TCP
  omega
  quorum_down /bin/qdown
  real_server 10.0.1.1 80 { notify_down /bin/down1 }
  real_server 10.0.1.2 80 {
    inhibit_on_failure
    notify_down /bin/down2
  }
}`;

test('shutdown with omega: every live server notified down, then the quorum', () => {
  const t = new VirtualServerTracker(lbConfig(OMEGA));
  t.start();
  t.serverState(id('10.0.1.2:80'), false, 1);
  const effects = t.shutdown();
  assert.deepEqual(logs(effects), [
    `Shutting down service [10.0.1.1]:tcp:80 from VS ${VS}`,
    `Shutting down (inhibited) service [10.0.1.2]:tcp:80 from VS ${VS}`,
  ]);
  assert.deepEqual(scripts(effects), ['notify_down /bin/down1', 'quorum_down /bin/qdown']);
  assert.ok(effects.every((e) => e.type !== 'script' || e.stopping));
  assert.deepEqual(fifo(effects), [`RS [10.0.1.1]:tcp:80 ${VS} DOWN\n`, `VS ${VS} DOWN\n`]);
  assert.deepEqual(
    effects.filter((e) => e.type === 'server-shutdown'),
    [{ type: 'server-shutdown', server: id('10.0.1.1:80'), virtualServer: VS }],
  );
  assert.deepEqual(t.table(), { services: [] });
  assert.deepEqual(t.serverState(id('10.0.1.1:80'), true, 1), [], 'nothing after shutdown');
});

test('shutdown without omega only logs; a server displaced by the sorry server is not notified', () => {
  const plain = new VirtualServerTracker(lbConfig(OMEGA.replace('omega', '')));
  plain.start();
  const effects = plain.shutdown();
  assert.equal(logs(effects).length, 2);
  assert.deepEqual([scripts(effects), fifo(effects)], [[], []]);

  const sorry = new VirtualServerTracker(
    lbConfig(`virtual_server 10.0.0.1 80 {
      protocol TCP
      omega
      quorum 2
      sorry_server 10.0.9.9 80
      real_server 10.0.1.1 80 { notify_down /bin/down1 }
      real_server 10.0.1.2 80 { }
    }`),
  );
  sorry.start();
  sorry.serverState(id('10.0.1.2:80'), false, 1);
  assert.equal(sorry.quorumUp(0), false);
  const stop = sorry.shutdown();
  assert.deepEqual(scripts(stop), []);
  assert.deepEqual(fifo(stop), [`VS ${VS} DOWN\n`]);
});

test('lvs_flush_on_stop: no per-server lines, the quorum notifications still follow omega', () => {
  for (const option of ['lvs_flush_on_stop', 'lvs_flush_on_stop VS']) {
    const t = new VirtualServerTracker(lbConfig(`global_defs {\n  ${option}\n}\n${OMEGA}`));
    t.start();
    const effects = t.shutdown();
    assert.deepEqual(logs(effects), [], option);
    assert.deepEqual(scripts(effects), ['quorum_down /bin/qdown'], option);
    assert.deepEqual(fifo(effects), [`VS ${VS} DOWN\n`], option);
  }
});

test('a group used by two virtual servers: one verdict moves the server in both', () => {
  const t = new VirtualServerTracker(
    lbConfig(`virtual_server_group G {
      10.0.0.1 80
    }
    virtual_server group G {
      protocol TCP
      real_server 10.9.0.1 80 { }
    }
    virtual_server group G {
      protocol UDP
      real_server 10.9.0.1 80 { }
    }`),
  );
  t.start();
  // Each virtual server has its own real server, checked by its own checkers (as in keepalived).
  const effects = [
    ...t.serverState('group G/TCP -> 10.9.0.1:80', false, 1),
    ...t.serverState('group G/UDP -> 10.9.0.1:80', false, 1),
  ];
  assert.deepEqual(logs(effects), [
    'Removing service [10.9.0.1]:tcp:80 from VS [G]:0',
    'Lost quorum 1-0=1 > 0 for VS [G]:0',
    'Removing service [10.9.0.1]:udp:80 from VS [G]:1',
    'Lost quorum 1-0=1 > 0 for VS [G]:1',
  ]);
  assert.deepEqual(dests(t.table()), []);
});

test('table() is desiredTable() of state(), and verdicts before start only set the starting state', () => {
  const config = lbConfig(SORRY);
  const t = new VirtualServerTracker(config);
  assert.deepEqual(t.serverState(id('10.0.1.1:80'), false, 1), []);
  t.start();
  assert.deepEqual(t.table(), desiredTable(config, t.state()));
  assert.deepEqual(dests(t.table()), ['10.0.1.2:80/1']);
});

test('takeChanges: the whole table at start, then only what a verdict changed, the services at shutdown', () => {
  const t = new VirtualServerTracker(
    lbConfig(`virtual_server 10.0.0.1 80 {
      protocol TCP
      real_server 10.0.1.1 80 { }
      real_server 10.0.1.2 80 { }
    }
    virtual_server 10.0.0.2 80 {
      protocol TCP
      real_server 10.0.1.1 80 { }
    }`),
  );
  assert.deepEqual(t.takeChanges(), []);
  t.start();
  assert.deepEqual(
    t.takeChanges().map((c) => c.op),
    ['add-service', 'add-destination', 'add-destination', 'add-service', 'add-destination'],
  );
  t.serverState(id('10.0.1.2:80'), false, 1);
  assert.deepEqual(t.takeChanges(), [
    {
      op: 'delete-destination',
      service: { kind: 'address', family: 'inet', protocol: 'TCP', address: '10.0.0.1', port: 80 },
      destination: { family: 'inet', address: '10.0.1.2', port: 80 },
    },
  ]);
  t.serverState(id('10.0.1.2:80'), false, 1);
  assert.deepEqual(t.takeChanges(), [], 'a repeated verdict changes nothing');
  t.shutdown();
  assert.deepEqual(
    t.takeChanges().map((c) => c.op),
    ['delete-service', 'delete-service'],
  );
});

test('table() reuses what takeChanges() handed out and stays desiredTable() of state() through verdicts', () => {
  // Two virtual servers sharing a real server, a sorry server and a quorum: verdicts move several services.
  const config = lbConfig(`virtual_server 10.0.0.1 80 {
    protocol TCP
    quorum 2
    sorry_server 10.0.9.9 80
    real_server 10.0.1.1 80 { }
    real_server 10.0.1.2 80 { }
  }
  virtual_server 10.0.0.2 80 {
    protocol TCP
    real_server 10.0.1.1 80 { }
    real_server 10.0.1.3 80 { weight 3 }
  }`);
  const t = new VirtualServerTracker(config);
  t.start();
  const servers = ['10.0.1.1:80', '10.0.1.2:80', '10.0.1.3:80'];
  const byId = (rs: string, vs = '10.0.0.1'): string => `${vs}:80/TCP -> ${rs}`;
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let step = 0; step < 200; step++) {
    const rs = servers[random(servers.length)] as string;
    const vs = rs === '10.0.1.3:80' ? '10.0.0.2' : '10.0.0.1';
    t.serverState(byId(rs, vs), random(2) === 0, 1 + random(3));
    // Sometimes the changes are taken (the held services are then reused), sometimes not yet.
    if (random(3) > 0) t.takeChanges();
    assert.deepEqual(t.table(), desiredTable(config, t.state()), `after step ${step}`);
  }
  t.takeChanges();
  const before = t.table();
  t.serverState(byId('10.0.1.2:80'), false, 1);
  const after = t.table();
  assert.equal(after.services[1], before.services[1], 'the untouched virtual server is not rebuilt');
  assert.notDeepEqual(after.services[0], before.services[0]);
});
