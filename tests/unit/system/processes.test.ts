import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { countProcesses } from '../../../src/system/processes.js';

describe('track_process counting', () => {
  test('counts a running process by name and by parameters', async () => {
    const sleeper = spawn('sleep', ['31.5'], { stdio: 'ignore' });
    try {
      // The child shows in /proc once it has exec'd sleep: poll for that, however loaded the machine.
      const until = Date.now() + 10_000;
      while (countProcesses({ process: 'sleep', parameters: '31.5' }) === 0 && Date.now() < until)
        await new Promise((r) => setTimeout(r, 20));
      assert.ok(countProcesses({ process: 'sleep', parameters: '31.5' }) >= 1);
      assert.equal(countProcesses({ process: 'sleep', parameters: '31.6' }), 0);
      assert.ok(countProcesses({ process: 'sleep', parameters: '31', paramMatch: 'initial' }) >= 1);
      assert.equal(countProcesses({ process: 'no-such-process-kts' }), 0);
    } finally {
      sleeper.kill();
    }
  });

  test("a name is the process's comm; with full_command (or parameters) argv[0], a path then", async () => {
    // argv[0] a path, comm "sleep": as `/usr/bin/sleep 32.5` started by a shell
    const sleeper = spawn('/bin/sleep', ['32.5'], { stdio: 'ignore' });
    try {
      const until = Date.now() + 10_000;
      while (countProcesses({ process: '/bin/sleep', parameters: '32.5' }) === 0 && Date.now() < until)
        await new Promise((r) => setTimeout(r, 20));
      assert.ok(countProcesses({ process: '/bin/sleep', parameters: '32.5' }) >= 1, 'parameters: argv[0]');
      assert.ok(countProcesses({ process: '/bin/sleep', fullCommand: true }) >= 1, 'full_command: argv[0]');
      assert.ok(countProcesses({ process: 'sleep' }) >= 1, 'comm');
      // keepalived compares the name with comm only: a path never matches without full_command
      const before = countProcesses({ process: '/bin/sleep' });
      assert.equal(before, 0);
      assert.equal(countProcesses({ process: 'sleep', fullCommand: true, parameters: '32.5' }), 0);
    } finally {
      sleeper.kill();
    }
  });
});
