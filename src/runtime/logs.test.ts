import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { formatLogLine, LineSplitter, MAX_LOG_LINE_CHARS, parseLogLine, readLogFile } from './logs.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-logs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a formatted line parses back, spaces and all', () => {
  const at = new Date('2025-01-02T03:04:05.678Z');
  const line = formatLogLine('stderr', '  two  spaces ', at);
  assert.equal(line, '2025-01-02T03:04:05.678Z E   two  spaces \n');
  assert.deepEqual(parseLogLine(line.slice(0, -1)), { stream: 'stderr', text: '  two  spaces ', at });
  assert.equal(parseLogLine('garbage'), undefined);
});

test('the splitter keeps UTF-8 across chunks, holds partial lines, splits long ones', () => {
  const s = new LineSplitter();
  const euro = Buffer.from('€');
  assert.deepEqual(s.push(Buffer.concat([Buffer.from('a\nb'), euro.subarray(0, 1)])), ['a']);
  assert.deepEqual(s.push(Buffer.concat([euro.subarray(1), Buffer.from('\n')])), ['b€']);
  assert.deepEqual(s.push(Buffer.from('x'.repeat(MAX_LOG_LINE_CHARS + 5))), ['x'.repeat(MAX_LOG_LINE_CHARS)]);
  assert.deepEqual(s.end(), ['xxxxx']);
  assert.deepEqual(s.end(), []);
});

test('readLogFile reads from an offset and follows until finished', async () => {
  const file = path.join(dir, 'out.log');
  const at = new Date();
  writeFileSync(file, formatLogLine('stdout', 'one', at) + formatLogLine('stdout', 'two', at));
  const read = async (offset: number, follow = false, finished = async () => true) => {
    const out = [];
    for await (const l of readLogFile(file, { offset, follow, signal: AbortSignal.timeout(30_000) }, finished)) out.push(l);
    return out;
  };
  const all = await read(0);
  assert.deepEqual(all.map((l) => l.text), ['one', 'two']);
  assert.deepEqual((await read(all[0]!.nextOffset)).map((l) => l.text), ['two']);
  assert.deepEqual(await read(all[1]!.nextOffset), []);
  let calls = 0;
  const followed = await read(all[1]!.nextOffset, true, async () => {
    if (++calls === 2) appendFileSync(file, formatLogLine('stderr', 'three', at));
    return calls > 2;
  });
  assert.deepEqual(followed.map((l) => [l.stream, l.text]), [['stderr', 'three']]);
  assert.deepEqual(await (async () => { const o = []; for await (const l of readLogFile(path.join(dir, 'missing'), {}, async () => true)) o.push(l); return o; })(), []);
});
