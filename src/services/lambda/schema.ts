/**
 * Lambda tables. A function is a JSON document (`doc`, the record of records.ts) plus the columns
 * that lookups and listings use; its code lives unpacked in the data dir (code.ts).
 */
import type { Migration } from '../../state/index.js';

/** The Lambda component's migrations, in order. */
export const lambdaMigrations: Migration[] = [
  {
    version: 1,
    name: 'functions',
    up: `
      CREATE TABLE lambda_functions (
        name TEXT PRIMARY KEY, arn TEXT NOT NULL UNIQUE, code_size INTEGER NOT NULL, doc TEXT NOT NULL);
    `,
  },
];
