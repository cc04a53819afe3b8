// Script users from /etc/passwd and /etc/group (under a test root): the ids, a group overriding the
// user's own, and the supplementary groups set_supplementary_groups or a ':' before the group asks for
// (getgrouplist: the user's primary group, then every group listing the user).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookupUser } from '../../../src/system/users.js';

function fakeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'kts-users-'));
  mkdirSync(join(root, 'etc'));
  writeFileSync(
    join(root, 'etc/passwd'),
    'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n',
  );
  writeFileSync(
    join(root, 'etc/group'),
    'root:x:0:\nalice:x:1000:\nwheel:x:10:bob,alice\nweb:x:33:bob\naudio:x:29:alice\n',
  );
  return root;
}

describe('lookupUser', () => {
  test('ids; a group overrides the primary one; no supplementary groups unless asked', () => {
    const root = fakeRoot();
    try {
      assert.deepEqual(lookupUser('alice', undefined, root), { uid: 1000, gid: 1000 });
      assert.deepEqual(lookupUser('alice', 'web', root), { uid: 1000, gid: 33 });
      assert.equal(lookupUser('nobody-here', undefined, root), undefined);
      assert.equal(lookupUser('alice', 'nogroup-here', root), undefined);
    } finally {
      rmSync(root, { recursive: true });
    }
  });

  test("set_supplementary_groups, ':GROUP' and ':' give the user's group list", () => {
    const root = fakeRoot();
    try {
      const all = [1000, 10, 29];
      assert.deepEqual(lookupUser('alice', undefined, root, true), { uid: 1000, gid: 1000, groups: all });
      // ':' before the group: that group as the primary, the user's list as the supplementary groups
      assert.deepEqual(lookupUser('alice', ':web', root), { uid: 1000, gid: 33, groups: all });
      // ':' alone: the user's own group
      assert.deepEqual(lookupUser('alice', ':', root), { uid: 1000, gid: 1000, groups: all });
      assert.deepEqual(lookupUser('root', undefined, root, true), { uid: 0, gid: 0, groups: [0] });
    } finally {
      rmSync(root, { recursive: true });
    }
  });
});
