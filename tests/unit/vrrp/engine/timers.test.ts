import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  later,
  masterDownIntervalMs,
  ownerDownIntervalMs,
  skewTimeMs,
} from '../../../../src/vrrp/engine/timers.js';

void describe('Skew_Time', () => {
  void test('v2: (256 - p) / 256 s in whole microseconds, whatever the interval', () => {
    assert.equal(skewTimeMs(2, 100, 100), 609.375);
    assert.equal(skewTimeMs(2, 100, 500), 609.375);
    assert.equal(skewTimeMs(2, 255, 100), 3.906); // 3906.25 us, truncated
    assert.equal(skewTimeMs(2, 1, 100), 996.093); // 996093.75 us
    assert.equal(skewTimeMs(2, 0, 100), 1000);
  });
  void test('v3: floor((256 - p) x interval_cs x 625 / 16) us', () => {
    assert.equal(skewTimeMs(3, 100, 100), 609.375);
    assert.equal(skewTimeMs(3, 200, 50), 109.375);
    assert.equal(skewTimeMs(3, 100, 200), 1218.75);
    assert.equal(skewTimeMs(3, 254, 1), 0.078); // 78.125 us
    assert.equal(skewTimeMs(3, 1, 4095), 40790.039); // 255 x 4095 x 625 / 16 = 40790039.06 us
  });
});

void describe('Master_Down_Interval', () => {
  void test('3 x interval + skew', () => {
    assert.equal(masterDownIntervalMs(2, 100, 100), 3609.375);
    assert.equal(masterDownIntervalMs(3, 200, 50), 1609.375);
    assert.equal(masterDownIntervalMs(3, 100, 200), 7218.75);
  });
  void test('down_timer_adverts replaces the 3', () => {
    assert.equal(masterDownIntervalMs(2, 100, 100, 5), 5609.375);
  });
  void test('owner coming back up waits one interval plus skew', () => {
    assert.equal(ownerDownIntervalMs(2, 255, 100), 1003.906);
  });
});

void describe('deadlines on the microsecond grid', () => {
  void test('sums land on the nearest microsecond, so re-arming from time left is exact', () => {
    assert.notEqual(6000 + 3003.906, 9003.906); // plain float addition drifts
    assert.equal(later(6000, 3003.906), 9003.906);
    const deadline = later(1000.1, 2609.275);
    assert.equal(later(1777.7, later(deadline, -1777.7)), deadline);
  });
});
