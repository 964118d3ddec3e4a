import { after } from 'node:test';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runDriverConformance } from '../conformance.js';
import { compileRuntimeOptions } from '../options.js';
import { PortAllocator } from '../ports.js';
import { ProcessDriver } from './process-driver.js';

const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'berth-process-driver-')));
const workDir = path.join(root, 'work');
const runtime = compileRuntimeOptions({ dataDir: root, portRange: '42000-42999' }, {});
after(() => rmSync(root, { recursive: true, force: true }));

const node = (script: string) => ({ command: [process.execPath, '-e', script] });

runDriverConformance('process', () => new ProcessDriver({ runtime, ports: new PortAllocator(runtime.portRange) }), {
  image: 'host',
  shell: (script) => ({ command: ['/bin/sh', '-c', script] }),
  httpServer: (body) => node(`require('node:http').createServer((q, s) => s.end(${JSON.stringify(body)})).listen(Number(process.env.PORT))`),
  workingDirectory: root,
  memoryHog: { command: node('const a = []; setInterval(() => a.push(Buffer.alloc(16 << 20, 1)), 10)'), limitBytes: 128 << 20 },
});
void workDir;
