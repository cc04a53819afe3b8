// The status page as served: one document whose inline script and style are exactly the exported ones
// (the listener's Content-Security-Policy allows them by hash), a script that compiles, nothing external.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Script } from 'node:vm';
import { STATUS_PAGE, STATUS_PAGE_SCRIPT, STATUS_PAGE_STYLE } from '../../../src/api/status-page.js';

test('the inline script and style are the hashed ones, once each', () => {
  assert.deepEqual(
    [...STATUS_PAGE.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]),
    [STATUS_PAGE_SCRIPT],
  );
  assert.deepEqual(
    [...STATUS_PAGE.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]),
    [STATUS_PAGE_STYLE],
  );
  assert.doesNotMatch(STATUS_PAGE, /<script[^>]*\ssrc=|<link\b|<img\b|@import|url\(/i);
  assert.doesNotMatch(STATUS_PAGE, /https?:\/\//i, 'no external address');
});

test('the script compiles and reads /events with fetch and a bearer header, never a token in a URL', () => {
  assert.doesNotThrow(() => new Script(STATUS_PAGE_SCRIPT));
  assert.match(STATUS_PAGE_SCRIPT, /fetch\('events'/);
  assert.match(STATUS_PAGE_SCRIPT, /'Bearer '/);
  assert.doesNotMatch(STATUS_PAGE_SCRIPT, /EventSource|token=|innerHTML/);
});
