// interface_up_down_delays as keepalived 2.2.7 cuts them (vrrp.c check_debounce_timers): below
// (down_timer_adverts - 1) advert intervals of every instance on the interface, none with down_timer_adverts 1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linkDelays } from '../../../src/vrrp/link-delays.js';

const inst = (name: string, iface: string, advertIntervalCs: number, downTimerAdverts?: number) => ({
  name,
  interface: iface,
  advertIntervalCs,
  ...(downTimerAdverts !== undefined ? { downTimerAdverts } : {}),
});

test('delays below the limit stay; one value is the down delay only', () => {
  const { delays, messages } = linkDelays(
    [
      { name: 'eth0', downDelay: 1.5, upDelay: 0.5 },
      { name: 'eth1', downDelay: 1, upDelay: 0 },
    ],
    [inst('VI_1', 'eth0', 100), inst('VI_2', 'eth1', 100)],
  );
  assert.deepEqual(messages, []);
  assert.deepEqual(delays.get('eth0'), { downMs: 1500, upMs: 500 });
  assert.deepEqual(delays.get('eth1'), { downMs: 1000, upMs: 0 });
});

test('a delay of two advert intervals or more is cut to just under them, as keepalived logs', () => {
  const { delays, messages } = linkDelays(
    [{ name: 'eth0', downDelay: 5, upDelay: 1 }],
    [inst('VI_1', 'eth0', 100)],
  );
  // (3 - 1) * 1 s - 1 s / 256, in microseconds as keepalived keeps them
  assert.deepEqual(delays.get('eth0'), { downMs: (2_000_000 - 3906) / 1000, upMs: 1000 });
  assert.deepEqual(messages, [
    'VI_1: interface eth0 debounce timer(s) not less that 2 * advert_int - resetting',
  ]);
});

test('the fastest instance on the interface sets the limit; down_timer_adverts 1 allows none', () => {
  const cut = linkDelays(
    [{ name: 'eth0', downDelay: 1, upDelay: 1 }],
    [inst('VI_1', 'eth0', 100), inst('VI_2', 'eth0', 20), inst('VI_3', 'eth1', 10)],
  );
  assert.deepEqual(cut.delays.get('eth0'), { downMs: (400_000 - 781) / 1000, upMs: (400_000 - 781) / 1000 });
  const none = linkDelays([{ name: 'eth0', downDelay: 1, upDelay: 1 }], [inst('VI_1', 'eth0', 100, 1)]);
  assert.equal(none.delays.get('eth0'), undefined);
  assert.deepEqual(none.messages, [
    'VI_1: cannot use debounce timers with down_timer_adverts = 1 - resetting',
  ]);
});
