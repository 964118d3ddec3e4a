import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataDirInUseError, lockDataDir } from './data-dir-lock.js';

describe('data-dir lock', () => {
  it('lets one holder per data dir (whatever path names it), names the holder, and frees on release', async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-lock-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const alias = `${dir}-alias`;
    symlinkSync(dir, alias);
    t.after(() => rmSync(alias, { force: true }));
    writeFileSync(path.join(dir, 'endpoint.json'), JSON.stringify({ endpoint: 'http://127.0.0.1:4566', pid: 4242 }));
    const first = await lockDataDir(dir);
    await assert.rejects(lockDataDir(alias), (err: Error) => err instanceof DataDirInUseError && /another Berth is running on the data dir .*\(pid 4242, http:\/\/127\.0\.0\.1:4566\)/.test(err.message));
    await first.release();
    const again = await lockDataDir(dir);
    await again.release();
  });

  it('is freed when the holding process is killed with SIGKILL', async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-lock-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const self = fileURLToPath(import.meta.url).replace(/data-dir-lock\.test\.js$/, 'data-dir-lock.js');
    const code = `const m = await import(${JSON.stringify(self)}); await m.lockDataDir(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000);`;
    const holder = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => holder.kill('SIGKILL'));
    await new Promise<void>((resolve) => holder.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve()));
    await assert.rejects(lockDataDir(dir), DataDirInUseError);
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    const mine = await lockDataDir(dir);
    await mine.release();
  });
});
