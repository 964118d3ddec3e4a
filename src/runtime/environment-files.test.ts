import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEnvironmentFile } from './environment-files.js';

test('environment files: NAME=value, comments and blanks skipped, = in values kept, bad lines named', () => {
  assert.deepEqual(parseEnvironmentFile('# c\n\nA=1\nB=x=y\r\n', 'f'), { A: '1', B: 'x=y' });
  assert.throws(() => parseEnvironmentFile('A=1\nnope\n', 'f.env'), /f\.env line 2: expected NAME=value/);
});
