// The dump files keepalived's DATA, STATS and JSON signals write, in keepalived 2.2.7's layout (the expected
// text below is what keepalived wrote for the same instance, less the fields the engine does not keep), and
// the realtime signals reaching a handler through the native signal socket.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../../src/config/index.js';
import { Engine } from '../../../../src/vrrp/engine/engine.js';
import { vrrpSetupFromModel, type VrrpSetup } from '../../../../src/vrrp/from-model.js';
import { formatData, formatJson, formatStats, stateNumber } from '../../../../src/daemon/vrrp/vrrp-dump.js';
import { onRawSignals, signalNumber } from '../../../../src/daemon/process/signals.js';
import { MemoryHost } from '../../config/memory-host.js';

const CONF = '/etc/keepalived/keepalived.conf';
const TEXT = `global_defs {
  router_id lb1
}
vrrp_instance V {
  interface eth0
  virtual_router_id 3
  priority 100
  virtual_ipaddress {
    10.9.9.9
    10.9.8.1/24
  }
}
`;

function started(): { engine: Engine; setup: VrrpSetup } {
  const { model } = loadModel(CONF, new MemoryHost({ [CONF]: TEXT }));
  const setup = vrrpSetupFromModel(model);
  const engine = new Engine(setup.engine);
  engine.handle(0, { type: 'start' });
  // No advert for the master-down interval: MASTER.
  engine.handle(5000, { type: 'timer' });
  return { engine, setup };
}

describe('VRRP dumps', () => {
  test("/tmp/keepalived.data: VIPs on VMACs show NAME@BASE and a line's use_vmac (keepalived 2.2.7's lines)", () => {
    const text = `global_defs {\n  vmac_addr_prefix va\n}
vrrp_instance V {
  interface eth0
  virtual_router_id 99
  priority 100
  use_vmac
  use_vmac_addr
  virtual_ipaddress {
    10.61.0.100/24
    10.62.0.100/24 dev eth1
  }
}
vrrp_instance W {
  interface eth0
  virtual_router_id 98
  priority 100
  virtual_ipaddress {
    10.63.0.100/24 dev eth1 use_vmac
    10.63.0.101/24 dev eth1
  }
}
`;
    const { model } = loadModel(CONF, new MemoryHost({ [CONF]: text }));
    const setup = vrrpSetupFromModel(model);
    const engine = new Engine(setup.engine);
    engine.handle(0, { type: 'start' });
    engine.handle(5000, { type: 'timer' });
    const lines = formatData(engine.snapshot(), setup, {}).split('\n');
    for (const line of [
      '   Use VMAC for VIPs on other interfaces',
      '     10.61.0.100/24 dev vrrp.99@eth0 scope global set',
      '     10.62.0.100/24 dev va.99@eth1 scope global set',
      '     10.63.0.100/24 dev va.98@eth1 use_vmac scope global set',
      '     10.63.0.101/24 dev eth1 scope global set',
    ])
      assert.ok(lines.includes(line), `${line}\n${lines.join('\n')}`);
    assert.equal(lines.filter((l) => l.includes('Use VMAC for VIPs')).length, 1, 'only V has use_vmac_addr');
  });

  test('/tmp/keepalived.stats: keepalived 2.2.7 headings and order', () => {
    const { engine } = started();
    const text = formatStats(engine.snapshot());
    const lines = text.split('\n');
    assert.deepEqual(
      lines.map((l) => l.replace(/: \d+$/, ': N')),
      [
        'VRRP Instance: V',
        '  Advertisements:',
        '    Received: N',
        '    Sent: N',
        '  Became master: N',
        '  Released master: N',
        '  Packet Errors:',
        '    Length: N',
        '    TTL: N',
        '    Invalid Type: N',
        '    Advertisement Interval: N',
        '    Address List: N',
        '  Authentication Errors:',
        '    Invalid Type: N',
        '    Type Mismatch: N',
        '    Failure: N',
        '  Priority Zero:',
        '    Received: N',
        '    Sent: N',
        '',
      ],
    );
    assert.match(text, /Became master: 1\n/);
  });

  test('STATS_CLEAR: counters back to zero', () => {
    const { engine } = started();
    assert.ok((engine.snapshot().instances[0]?.counters.advert_sent ?? 0) > 0);
    engine.clearCounters();
    assert.equal(engine.snapshot().instances[0]?.counters.advert_sent, 0);
    assert.equal(engine.snapshot().instances[0]?.state, 'MASTER', 'clearing counters changes no state');
  });

  test('/tmp/keepalived.data: the VRRP Topology section with keepalived field names', () => {
    const { engine, setup } = started();
    const text = formatData(engine.snapshot(), setup, { routerId: 'lb1', defaultInterface: 'eth0' });
    for (const line of [
      '------< Global definitions >------',
      ' Router ID = lb1',
      '------< VRRP Topology >------',
      ' VRRP Instance = V',
      '   State = MASTER',
      '   Interface = eth0',
      '   Virtual Router ID = 3',
      '   Priority = 100',
      '   Effective priority = 100',
      '   Advert interval = 1 sec',
      '   Preempt = enabled',
      '   Authentication type = none',
      '   Virtual IP (2):',
      '     10.9.9.9 dev eth0 scope global set',
      '     10.9.8.1/24 dev eth0 scope global set',
    ]) {
      assert.ok(text.split('\n').includes(line), `missing ${JSON.stringify(line)} in\n${text}`);
    }
  });

  test('/tmp/keepalived.json: vrrp_json.c keys and state numbers', () => {
    const { engine, setup } = started();
    const list = JSON.parse(formatJson(engine.snapshot(), setup)) as {
      data: Record<string, unknown>;
      stats: Record<string, unknown>;
    }[];
    assert.equal(list.length, 1);
    const [entry] = list;
    assert.deepEqual(Object.keys(entry?.stats ?? {}), [
      'advert_rcvd',
      'advert_sent',
      'become_master',
      'release_master',
      'packet_len_err',
      'advert_interval_err',
      'ip_ttl_err',
      'invalid_type_rcvd',
      'addr_list_err',
      'invalid_authtype',
      'authtype_mismatch',
      'auth_failure',
      'pri_zero_rcvd',
      'pri_zero_sent',
    ]);
    assert.equal(entry?.data.iname, 'V');
    assert.equal(entry?.data.ifp_ifname, 'eth0');
    assert.equal(entry?.data.vrid, 3);
    assert.equal(entry?.data.state, 2);
    assert.equal(entry?.data.vipset, true);
    assert.deepEqual(entry?.data.vips, [
      '10.9.9.9 dev eth0 scope global set',
      '10.9.8.1/24 dev eth0 scope global set',
    ]);
    assert.deepEqual(['INIT', 'BACKUP', 'MASTER', 'FAULT'].map(stateNumber), [0, 1, 2, 3]);
  });

  test('/tmp/keepalived.data shows kernel_rx_buf_size and debug when set, as keepalived does', () => {
    const text = TEXT.replace('  priority 100\n', '  priority 100\n  debug 2\n  kernel_rx_buf_size 4096\n');
    const { model } = loadModel(CONF, new MemoryHost({ [CONF]: text }));
    const setup = vrrpSetupFromModel(model);
    const engine = new Engine(setup.engine);
    const lines = formatData(engine.snapshot(), setup, { routerId: 'lb1', defaultInterface: 'eth0' }).split(
      '\n',
    );
    const auth = lines.indexOf('   Authentication type = none');
    assert.deepEqual(lines.slice(auth + 1, auth + 3), [
      '   Kernel rx buffer size = 4096',
      '   Debug level = 2',
    ]);
    const { engine: plain, setup: plainSetup } = started();
    const without = formatData(plain.snapshot(), plainSetup, { routerId: 'lb1', defaultInterface: 'eth0' });
    assert.doesNotMatch(without, /Debug level|Kernel rx buffer/);
  });

  test('json_version 2: {"vrrp": [...], "track_process": [...]} as keepalived 2.4.3 writes it', () => {
    const text = `global_defs {\n  json_version 2\n}\nvrrp_track_process hap {
  process haproxy -f /etc/h.cfg
  weight 10 reverse
  quorum 2
  quorum_max 3
  terminate_delay 1.5
}\n${TEXT}`;
    const { model } = loadModel(CONF, new MemoryHost({ [CONF]: text }));
    assert.equal(model.global.jsonVersion, 2);
    const { engine, setup } = started();
    const states = new Map([
      ['hap', { current: 2, haveQuorum: true, forkDelayRunning: false, terminateDelayRunning: true }],
    ]);
    const extras = { version: model.global.jsonVersion, trackProcesses: model.trackProcesses };
    const v2 = JSON.parse(formatJson(engine.snapshot(), setup, { ...extras, processStates: states })) as {
      vrrp: { data: { iname: string } }[];
      track_process: Record<string, unknown>[];
    };
    assert.deepEqual(Object.keys(v2), ['vrrp', 'track_process']);
    assert.equal(v2.vrrp[0]?.data.iname, 'V');
    assert.deepEqual(v2.track_process, [
      {
        process: 'haproxy',
        parameters: '-f /etc/h.cfg',
        param_match: 'exact',
        min_processes: 2,
        max_processes: 3,
        current_processes: 2,
        have_quorum: true,
        weight: -10,
        terminate_delay: 1.5,
        fork_delay: 0,
        fork_delay_timer_running: false,
        terminate_delay_timer_running: true,
        full_command: false,
      },
    ]);
    // Without track processes: the object holds the vrrp array only; version 1 stays a bare array.
    const bare = JSON.parse(formatJson(engine.snapshot(), setup, { version: 2 })) as Record<string, unknown>;
    assert.deepEqual(Object.keys(bare), ['vrrp']);
    assert.ok(Array.isArray(JSON.parse(formatJson(engine.snapshot(), setup, { ...extras, version: 1 }))));
  });
});

describe('realtime signals', () => {
  test('JSON and STATS_CLEAR reach the handler instead of killing the process', async () => {
    const json = signalNumber('JSON') as number;
    const clear = signalNumber('STATS_CLEAR') as number;
    const seen: number[] = [];
    const both = new Promise<void>((resolve) => {
      onRawSignals([json, clear], (n) => {
        seen.push(n);
        if (seen.length === 2) resolve();
      });
    });
    process.kill(process.pid, json);
    process.kill(process.pid, clear);
    // The signal socket does not keep the loop alive (a daemon has other handles): this timer does.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`signals seen: ${seen.join(',')}`)), 5000);
    });
    await Promise.race([both, timeout]);
    clearTimeout(timer);
    assert.deepEqual(seen.sort(), [json, clear].sort());
  });
});
