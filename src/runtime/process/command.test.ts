import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerArgv } from './command.js';

test('argv: entryPoint then command; command alone; neither is an error', () => {
  assert.deepEqual(containerArgv({ entryPoint: ['/bin/sh', '-c'], command: ['echo hi'] }), ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(containerArgv({ command: ['node', 'app.js'] }), ['node', 'app.js']);
  assert.throws(() => containerArgv({}), /CannotStartContainerError: no command specified/);
});
