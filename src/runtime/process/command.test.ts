import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerArgv, parseEnvironmentFile, portEnvironment } from './command.js';

test('argv: entryPoint then command; command alone; neither is an error', () => {
  assert.deepEqual(containerArgv({ entryPoint: ['/bin/sh', '-c'], command: ['echo hi'] }), ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(containerArgv({ command: ['node', 'app.js'] }), ['node', 'app.js']);
  assert.throws(() => containerArgv({}), /CannotStartContainerError: no command specified/);
});

test('environment files: NAME=value, comments and blanks skipped, = in values kept, bad lines named', () => {
  assert.deepEqual(parseEnvironmentFile('# c\n\nA=1\nB=x=y\r\n', 'f'), { A: '1', B: 'x=y' });
  assert.throws(() => parseEnvironmentFile('A=1\nnope\n', 'f.env'), /f\.env line 2: expected NAME=value/);
});

test('port variables: PORT is the container\'s first binding; BERTH_HOST_PORT_<n> for the whole task', () => {
  const own = [{ containerPort: 8080, hostPort: 49200, protocol: 'tcp' as const, bindIP: '0.0.0.0' }];
  const task = [...own, { containerPort: 53, hostPort: 49201, protocol: 'udp' as const, bindIP: '0.0.0.0' }];
  assert.deepEqual(portEnvironment(own, task), { BERTH_HOST_PORT_8080: '49200', BERTH_HOST_PORT_53_UDP: '49201', PORT: '49200' });
  assert.deepEqual(portEnvironment([], []), {});
});
