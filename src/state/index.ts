/**
 * Berth's durable state: one SQLite database (better-sqlite3, WAL mode) per data dir, versioned
 * schema migrations per component, and one transaction per mutating API call.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/** One step of a component's schema; applied once, in version order, inside a transaction. */
export interface Migration {
  /** 1, 2, 3, ... within the component. */
  version: number;
  /** A short description, kept in the schema_migrations table. */
  name: string;
  /** SQL to run, or a function for steps that need code. */
  up: string | ((db: Database.Database) => void);
}

/** Options for {@link Store.open}. */
export interface StoreOptions {
  /** `FULL` (default) fsyncs every commit; `NORMAL` survives a process kill -9 but not power loss. */
  synchronous?: 'FULL' | 'NORMAL';
}

/** The database handle plus the helpers every component uses. */
export class Store {
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(readonly db: Database.Database) {}

  /**
   * A prepared statement for `sql`, prepared once and reused (preparing costs more than most
   * of Berth's queries). Pluck mode is reset on each call, so `.pluck()` applies to this use only.
   */
  prepare(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt.reader ? stmt.pluck(false) : stmt;
  }

  /** Opens (creating if needed) `<dataDir>/berth.db` in WAL mode. */
  static open(dataDir: string, options: StoreOptions = {}): Store {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    return Store.openFile(path.join(dataDir, 'berth.db'), options);
  }

  /** Opens a database file directly (`:memory:` for unit tests). */
  static openFile(file: string, options: StoreOptions = {}): Store {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL,
      PRIMARY KEY (component, version));
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`);
    return new Store(db);
  }

  /** Applies the component's migrations that have not run yet; each in its own transaction. */
  migrate(component: string, migrations: readonly Migration[]): void {
    const done = new Set(
      this.db
        .prepare('SELECT version FROM schema_migrations WHERE component = ?')
        .pluck()
        .all(component) as number[],
    );
    const sorted = [...migrations].sort((a, b) => a.version - b.version);
    sorted.forEach((m, i) => {
      if (m.version !== i + 1) throw new Error(`${component} migrations must be numbered 1..n; found ${m.version} at ${i + 1}`);
    });
    for (const m of sorted) {
      if (done.has(m.version)) continue;
      this.db.transaction(() => {
        if (typeof m.up === 'string') this.db.exec(m.up);
        else m.up(this.db);
        this.db
          .prepare('INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)')
          .run(component, m.version, m.name, new Date().toISOString());
      })();
    }
  }

  /** Runs `fn` in one IMMEDIATE transaction: all of it commits, or none. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Reads a value from the meta table. */
  getMeta(key: string): string | undefined {
    return this.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined;
  }

  /** Writes a value to the meta table. */
  setMeta(key: string, value: string): void {
    this.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Closes the database (checkpointing the WAL). */
  close(): void {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }
}

export { GroupCommit, MAX_BATCH } from './group-commit.js';
export { DataDirInUseError, lockDataDir, type DataDirLock } from './data-dir-lock.js';
