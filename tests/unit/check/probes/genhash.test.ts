import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hexDump } from '../../../../src/check/probes/genhash.js';

describe('genhash hex dump', () => {
  test('matches keepalived 2.2.7 rows (captured output)', () => {
    assert.equal(
      hexDump(Buffer.from('hello world\n')),
      '0000  68 65 6c 6c 6f 20 77 6f - 72 6c 64 0a               hello world.    \n',
    );
    assert.equal(
      hexDump(Buffer.from('6f5902ac237024bdd0c176cb93063dc4', 'hex')),
      '0000  6f 59 02 ac 23 70 24 bd - d0 c1 76 cb 93 06 3d c4   oY..#p$...v...=.\n',
    );
  });
});
