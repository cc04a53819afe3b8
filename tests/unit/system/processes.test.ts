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
});
