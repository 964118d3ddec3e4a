/** Tags on any resource, kept by ARN in one table that every service shares. */
import type { Store, Migration } from '../state/index.js';

/** One tag in Berth's internal form. */
export interface Tag {
  key: string;
  value: string;
}

const migrations: Migration[] = [
  {
    version: 1,
    name: 'resource tags',
    up: `CREATE TABLE resource_tags (resource_arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
           PRIMARY KEY (resource_arn, key));`,
  },
];

/** Reads and writes the tags of resources, by ARN. */
export class TagStore {
  constructor(private readonly store: Store) {
    store.migrate('tagging', migrations);
  }

  /** The tags of a resource, in the order they were first set. */
  list(arn: string): Tag[] {
    return this.store.prepare('SELECT key, value FROM resource_tags WHERE resource_arn = ? ORDER BY rowid').all(arn) as Tag[];
  }

  /** Adds or overwrites tags. */
  put(arn: string, tags: readonly Tag[]): void {
    const stmt = this.store.prepare(
      'INSERT INTO resource_tags (resource_arn, key, value) VALUES (?, ?, ?) ON CONFLICT(resource_arn, key) DO UPDATE SET value = excluded.value',
    );
    for (const t of tags) stmt.run(arn, t.key, t.value);
  }

  /** Removes the named keys (absent keys are ignored, as AWS ignores them). */
  remove(arn: string, keys: readonly string[]): void {
    const stmt = this.store.prepare('DELETE FROM resource_tags WHERE resource_arn = ? AND key = ?');
    for (const k of keys) stmt.run(arn, k);
  }

  /** Removes every tag of a resource. */
  clear(arn: string): void {
    this.store.prepare('DELETE FROM resource_tags WHERE resource_arn = ?').run(arn);
  }

  /** How many tags a resource has. */
  count(arn: string): number {
    return this.store.prepare('SELECT count(*) FROM resource_tags WHERE resource_arn = ?').pluck().get(arn) as number;
  }
}
