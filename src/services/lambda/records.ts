/** The stored form of a Lambda function and the queries over lambda_functions. */
import type { Store } from '../../state/index.js';

/** One function ($LATEST; Berth does not publish versions). */
export interface FunctionRecord {
  name: string;
  arn: string;
  runtime: string;
  role: string;
  handler: string;
  description: string;
  timeout: number;
  memorySize: number;
  environment: Record<string, string>;
  /** base64 SHA-256 of the zip, as Lambda reports CodeSha256. */
  codeSha256: string;
  codeSize: number;
  /** The unpacked code's folder name under the function's code folder (code.ts). */
  codeDir: string;
  revisionId: string;
  /** ISO 8601 time of the last change. */
  lastModified: string;
  tags: Record<string, string>;
}

const row = (r: { doc: string } | undefined) => (r ? (JSON.parse(r.doc) as FunctionRecord) : undefined);

/** The function named `name`, if any. */
export function findFunction(store: Store, name: string): FunctionRecord | undefined {
  return row(store.prepare('SELECT doc FROM lambda_functions WHERE name = ?').get(name) as { doc: string } | undefined);
}

/** Inserts a new function; the caller has checked the name is free. */
export function insertFunction(store: Store, f: FunctionRecord): void {
  store.prepare('INSERT INTO lambda_functions (name, arn, code_size, doc) VALUES (?, ?, ?, ?)').run(f.name, f.arn, f.codeSize, JSON.stringify(f));
}

/** Replaces a stored function. */
export function updateFunction(store: Store, f: FunctionRecord): void {
  store.prepare('UPDATE lambda_functions SET code_size = ?, doc = ? WHERE name = ?').run(f.codeSize, JSON.stringify(f), f.name);
}

/** Deletes a function; true when there was one. */
export function deleteFunction(store: Store, name: string): boolean {
  return store.prepare('DELETE FROM lambda_functions WHERE name = ?').run(name).changes > 0;
}

/** Up to `limit` functions after `after` (by name), in name order. */
export function listFunctions(store: Store, after: string, limit: number): FunctionRecord[] {
  return (store.prepare('SELECT doc FROM lambda_functions WHERE name > ? ORDER BY name LIMIT ?').all(after, limit) as { doc: string }[]).map((r) => row(r)!);
}

/** Every stored function. */
export function allFunctions(store: Store): FunctionRecord[] {
  return (store.prepare('SELECT doc FROM lambda_functions ORDER BY name').all() as { doc: string }[]).map((r) => row(r)!);
}

/** Bytes of code stored across all functions. */
export function totalCodeSize(store: Store): number {
  return (store.prepare('SELECT COALESCE(SUM(code_size), 0) AS n FROM lambda_functions').get() as { n: number }).n;
}
