/**
 * The cache's second lock for `gam run`: with a server database, a PostgreSQL advisory lock
 * on the entry's path, so runs on hosts sharing one cache folder fetch each key once even
 * where file locks do not reach each other.
 *
 * @module
 */
import { advisoryLock, type Database } from "../persistence/mod.ts";

const NO_LOCK: AsyncDisposable = { [Symbol.asyncDispose]: () => Promise.resolve() };

/**
 * The `extraLock` of the run's caches: waits for the database to open, then takes the advisory
 * lock of the entry path (the embedded engine, one process's own, needs none). A database that
 * fails to open leaves the file lock alone: the failure is reported where the run stores its
 * results.
 *
 * @param database The run's database, opening.
 *
 * @example Usage
 * ```ts
 * import { IngestionCache } from "../cache/mod.ts";
 * import { databaseCacheLock } from "./cache_lock.ts";
 * import type { Database } from "../persistence/mod.ts";
 * const opening: Promise<Database> = Promise.reject(new Error("no database in this example"));
 * opening.catch(() => {});
 * const dir = await Deno.makeTempDir();
 * const cache = new IngestionCache({ store: dir, extraLock: databaseCacheLock(opening) });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function databaseCacheLock(
  database: Promise<Database>,
): (path: string) => Promise<AsyncDisposable> {
  return async (path) => {
    let db: Database;
    try {
      db = await database;
    } catch {
      return NO_LOCK;
    }
    return db.engine === "postgres" ? await advisoryLock(db.sql, path) : NO_LOCK;
  };
}
