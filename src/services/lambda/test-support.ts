/**
 * Unit-test support: a Lambda service over an in-memory store and a temporary data dir, called
 * the way api/ calls it (input checked against the model, output shaped by the model), without
 * HTTP; and a small .zip writer to make deployment packages from a map of files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { callOperation, testContext } from '../../api/test-support.js';
import { Store } from '../../state/index.js';
import { LogWriter } from '../logs/writer.js';
import { createLambda, type Lambda, type LambdaOptions } from './index.js';

/** The account and region unit tests mint ARNs in. */
export const TEST_SCOPE = { accountId: '123456789012', region: 'us-east-1' };
/** A role ARN of that account. */
export const TEST_ROLE = `arn:aws:iam::${TEST_SCOPE.accountId}:role/hook-role`;

/** Per-entry overrides for {@link zipOf}. */
export interface ZipOptions {
  /** Unix mode (type and permission bits) per entry name; default 0o100644, or 0o040755 for a name ending in `/`. */
  modes?: Record<string, number>;
  /** An uncompressed size the central directory claims for an entry instead of its real one. */
  claimedSizes?: Record<string, number>;
}

/** A .zip archive (deflated entries) of `files` (path -> content; a name ending in `/` is a folder). */
export function zipOf(files: Record<string, string | Buffer>, opts: ZipOptions = {}): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const packed = deflateRawSync(data);
    const nameBuf = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(0x0314, 4); // made by Unix, so the mode below counts
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(packed.length, 20);
    entry.writeUInt32LE(opts.claimedSizes?.[name] ?? data.length, 24);
    entry.writeUInt16LE(nameBuf.length, 28);
    const mode = opts.modes?.[name] ?? (name.endsWith('/') ? 0o040755 : 0o100644);
    entry.writeUInt32LE((mode << 16) >>> 0, 38);
    entry.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, packed);
    central.push(entry, nameBuf);
    offset += 30 + nameBuf.length + packed.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** A harness around one Lambda service. */
export interface Harness {
  store: Store;
  lambda: Lambda;
  dataDir: string;
  logWriter: LogWriter;
  /** Calls an operation as api/ would (blobs as Buffers are base64-encoded first); resolves to its shaped output. */
  call(op: string, input: object): Promise<any>;
  /** Asserts the call fails with `code` and a message matching `message`. */
  fails(op: string, input: object, code: string, message?: RegExp): Promise<void>;
  /** Creates a function `name` from `files` (Node.js 20, handler index.handler unless given). */
  create(name: string, files: Record<string, string>, extra?: object): Promise<any>;
  /** Invokes `name` with `event`; the output with Payload decoded to text. */
  invoke(name: string, event?: unknown, extra?: object): Promise<any>;
  /** Log messages stored for group /aws/lambda/NAME, in order (flushes the writer first). */
  logMessages(name: string): string[];
  /** Removes the data dir and closes the store. */
  close(): void;
}

const ctx = testContext(TEST_SCOPE);

/** Buffers become base64 strings, as the JSON wire carries blobs. */
const wire = (input: object) => JSON.parse(JSON.stringify(input, (_k, v) => (v && v.type === 'Buffer' && Array.isArray(v.data) ? Buffer.from(v.data).toString('base64') : v)));

/** A harness over a new in-memory store and data dir (or the given ones, for restart tests). */
export function harness(opts: Partial<LambdaOptions> & { dataDir?: string; storeFile?: string } = {}): Harness {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'berth-lambda-'));
  const store = opts.store ?? Store.openFile(opts.storeFile ?? ':memory:');
  const logWriter = new LogWriter(store, { flushIntervalMs: 50, log: () => {} });
  const lambda = createLambda({ scope: TEST_SCOPE, logWriter, log: () => {}, ...opts, store, dataDir });
  const { service } = lambda;
  const call = (op: string, input: object) => callOperation(store, service, ctx, op, wire(input));
  const h: Harness = {
    store,
    lambda,
    dataDir,
    logWriter,
    call,
    async fails(op, input, code, message) {
      let caught: any;
      await call(op, input).catch((e) => (caught = e));
      assert.ok(caught, `expected ${op} to fail with ${code}`);
      assert.equal(caught.code, code, caught.message);
      if (message) assert.match(caught.message, message);
    },
    create(name, files, extra = {}) {
      return call('CreateFunction', { FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: TEST_ROLE, Code: { ZipFile: zipOf(files) }, ...extra });
    },
    async invoke(name, event = {}, extra = {}) {
      const out = await call('Invoke', { FunctionName: name, Payload: Buffer.from(JSON.stringify(event)), ...extra });
      if (out.Payload !== undefined) out.Payload = Buffer.from(out.Payload, 'base64').toString('utf8');
      return out;
    },
    logMessages(name) {
      logWriter.flush();
      return (store.prepare(`SELECT e.message FROM logs_events e JOIN logs_groups g ON g.id = e.group_id WHERE g.name = ? ORDER BY e.ts, e.id`).all(`/aws/lambda/${name}`) as { message: string }[]).map((r) => r.message);
    },
    close() {
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}
