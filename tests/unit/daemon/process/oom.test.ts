import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { memoryCgroupFiles, oomKillCount } from '../../../../src/daemon/process/oom.js';

describe('the memory cgroup of a process and its OOM kills', () => {
  test('cgroup v2: the unified line names the directory of memory.events and memory.max', () => {
    assert.deepEqual(memoryCgroupFiles('0::/system.slice/keepalived-ts.service\n'), {
      events: '/sys/fs/cgroup/system.slice/keepalived-ts.service/memory.events',
      max: '/sys/fs/cgroup/system.slice/keepalived-ts.service/memory.max',
    });
    assert.deepEqual(memoryCgroupFiles('0::/\n'), {
      events: '/sys/fs/cgroup/memory.events',
      max: '/sys/fs/cgroup/memory.max',
    });
  });

  test("cgroup v1: the memory controller's line, wherever it is, with co-mounted controllers", () => {
    const text = [
      '12:cpuset:/',
      '11:cpu,cpuacct:/user.slice',
      '9:memory,hugetlb:/docker/abc',
      '1:name=systemd:/init.scope',
      '',
    ].join('\n');
    assert.deepEqual(memoryCgroupFiles(text), {
      events: '/sys/fs/cgroup/memory/docker/abc/memory.oom_control',
      max: '/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes',
    });
    assert.equal(memoryCgroupFiles('12:cpuset:/\n1:name=systemd:/\n'), undefined);
  });

  test('oom_kill is read from memory.events (v2) and memory.oom_control (v1)', () => {
    assert.equal(oomKillCount('low 0\nhigh 0\nmax 1304\noom 2\noom_kill 2\noom_group_kill 0\n'), 2);
    assert.equal(oomKillCount('oom_kill_disable 0\nunder_oom 0\noom_kill 7\n'), 7);
    assert.equal(oomKillCount('oom_kill_disable 0\nunder_oom 0\n'), undefined);
  });
});
