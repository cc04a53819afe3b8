// Static track groups (keepalived 2.4.3 vrrp_static_track.c, vrrp_parser.c): the group's instances track
// the interface of each static address / route / rule naming it, unweighted; the configuration errors
// and the VRRP process's log lines keepalived gives on the way.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { staticTrackInterfaces } from '../../../../../src/config/model/static/track-groups.js';
import { vrrpSetupFromModel } from '../../../../../src/vrrp/from-model.js';
import { build } from '../../model-helpers.js';

const instance = (name: string, vrid: number, extra = ''): string =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  priority 100\n${extra}  virtual_ipaddress {\n    10.0.0.${vrid}\n  }\n}\n`;

const GROUPS = `track_group TG {
  group {
    VI_1 VI_2
  }
}
track_group TR {
  group {
    VI_3
  }
}
`;

describe('static track_group', () => {
  test("the group's instances track each static object's interface, unweighted; others do not", () => {
    const { model, messages } = build(
      GROUPS +
        'static_ipaddress {\n  10.9.0.1/24 dev eth1 track_group TG\n  10.9.0.2/24 dev eth4\n}\n' +
        'static_routes {\n  10.8.0.0/24 dev eth2 track_group TG\n  10.7.0.0/24 via 10.9.0.254 track_group TR\n}\n' +
        'static_rules {\n  from 10.9.0.0/24 table 100 preference 10 iif eth3 track_group TR\n}\n' +
        instance('VI_1', 1, '  track_interface {\n    eth1 weight 10\n  }\n') +
        instance('VI_2', 2) +
        instance('VI_3', 3) +
        instance('VI_4', 4),
    );
    // (the route without a dev: our own note, as for a virtual route)
    assert.deepEqual(messages, [
      'test.conf:17: warning: no_track: cannot track route 10.7.0.0/24 with no interface specified, not tracking (add dev, or no_track)',
    ]);
    assert.deepEqual(
      [...staticTrackInterfaces(model)],
      [
        ['VI_1', ['eth1', 'eth2']],
        ['VI_2', ['eth1', 'eth2']],
        // the route without a dev gives nothing to track
        ['VI_3', ['eth3']],
      ],
    );
    const setup = vrrpSetupFromModel(model);
    const tracked = (name: string): unknown => setup.instances.get(name)?.spec.trackInterfaces;
    // VI_1's weighted track_interface on eth1 becomes unweighted (keepalived's add_vrrp_to_interface)
    assert.deepEqual(tracked('VI_1'), [
      { ifname: 'eth1', weight: 0, reverse: false },
      { ifname: 'eth2', weight: 0, reverse: false },
    ]);
    assert.deepEqual(tracked('VI_3'), [{ ifname: 'eth3', weight: 0, reverse: false }]);
    assert.deepEqual(tracked('VI_4'), []);
  });

  test("keepalived's errors: unknown or later group, no interface, empty group; its log on no_track and members", () => {
    const { model, messages } = build(
      'track_group TE {\n  group {\n  }\n}\n' +
        'track_group TG {\n  group {\n    VI_1 VI_9\n  }\n}\n' +
        'track_group TN {\n  group {\n    VI_8\n  }\n}\n' +
        'static_ipaddress {\n' +
        '  10.9.0.1/24 dev eth1 track_group NOPE\n' +
        '  10.9.0.2/24 track_group TG\n' +
        '  10.9.0.3/24 dev eth1 track_group TG no_track\n' +
        '  10.9.0.4/24 dev eth2 track_group TN\n' +
        '}\n' +
        'static_routes {\n  10.8.0.0/24 dev eth2 track_group LATER\n}\n' +
        'static_rules {\n  from 10.9.0.0/24 table 100 preference 10 track_group TG\n}\n' +
        'track_group LATER {\n  group {\n    VI_1\n  }\n}\n' +
        instance('VI_1', 1),
    );
    assert.deepEqual(messages, [
      'test.conf:2: error: group: Warning - track group TE has empty group block',
      'test.conf:1: error: track_group: Static track group TE has no members - removing',
      'test.conf:16: error: track_group: track_group NOPE not found',
      'test.conf:17: error: track_group: Static route cannot have track_group if interface not specified',
      'test.conf:22: error: track_group: track_group LATER not found',
      'test.conf:25: error: track_group: Static rule cannot have track_group if dev/iif not specified',
      "test.conf:5: note: track_group: vrrp instance VI_9 specified in track group TG doesn't exist - ignoring",
      "test.conf:10: note: track_group: vrrp instance VI_8 specified in track group TN doesn't exist - ignoring",
      'test.conf:10: note: track_group: Static track group TN has no VRRP instance(s); Static track group TN init fails - removing',
      'test.conf:18: note: track_group: Static address has both track_group and no_track set - not tracking',
    ]);
    assert.deepEqual(
      model.trackGroups.map((g) => g.name),
      ['TG', 'TN', 'LATER'],
    );
    // The objects stay, without the group.
    assert.equal(model.staticAddresses.length, 4);
    assert.equal(model.staticAddresses[0]?.trackGroup, undefined);
    assert.equal(model.staticRoutes[0]?.trackGroup, undefined);
    assert.deepEqual([...staticTrackInterfaces(model)], []);
  });

  test('`dev` on a rule is its iif (as keepalived and ip rule read it)', () => {
    const { model, messages } = build(
      GROUPS +
        'static_rules {\n  from 10.9.0.0/24 table 100 preference 10 dev eth5 track_group TR\n}\n' +
        instance('VI_1', 1) +
        instance('VI_2', 2) +
        instance('VI_3', 3),
    );
    assert.deepEqual(messages, []);
    assert.deepEqual([...staticTrackInterfaces(model)], [['VI_3', ['eth5']]]);
  });
});
