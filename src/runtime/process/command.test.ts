import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerArgv, parseEnvironmentFile } from './command.js';

test('argv: entryPoint then command; command alone; neither is an error', () => {
  assert.deepEqual(containerArgv({ entryPoint: ['/bin/sh', '-c'], command: ['echo hi'] }), ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(containerArgv({ command: ['node', 'app.js'] }), ['node', 'app.js']);
  assert.throws(() => containerArgv({}), /CannotStartContainerError: no command specified/);
});

test('environment files: NAME=value, comments and blanks skipped, = in values kept, bad lines named', () => {
  assert.deepEqual(parseEnvironmentFile('# c\n\nA=1\nB=x=y\r\n', 'f'), { A: '1', B: 'x=y' });
  assert.throws(() => parseEnvironmentFile('A=1\nnope\n', 'f.env'), /f\.env line 2: expected NAME=value/);
});
