/**
 * Persistence for GAM: PostgreSQL + PostGIS through the npm `postgres` client when `DATABASE_URL`
 * is set, embedded PGlite with PostGIS in a data folder otherwise; the same migrations
 * (`migrations/`), the same typed {@link Repository}, backup and restore for both.
 *
 * One light sub-surface: `./pglite_engine.ts` (`prestartPglite`, `PgliteEngineStart`), which
 * `gam run` imports first to start the embedded engine's worker before anything else loads
 * (0.01 s of CPU, against 0.04 s for this module with the `postgres` client, `node:crypto` and
 * the migrator); the started engine is then handed to {@linkcode openDatabase}.
 *
 * @example Open, store, query
 * ```ts
 * import { openDatabase } from "./mod.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   // url: null keeps the embedded engine even when DATABASE_URL is set.
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // migrations applied
 *   try {
 *     const run = await db.repo.createRun({ id: "run-1" });
 *     await db.repo.insertSurvey({ modality: "gravity", bbox: [16, -35, 33, -22], runId: run.id });
 *     await db.repo.finishRun(run.id, "succeeded");
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export type { EngineKind, Row, SqlClient } from "./sql_client.ts";
export * from "./records.ts";
export {
  anomaliesInBboxSql,
  type AnomalyQuery,
  type BulkInsertOptions,
  createRepository,
  type Repository,
} from "./repository.ts";
export {
  type AppliedMigration,
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  migrate,
  type MigrateOptions,
  MIGRATION_LOCK_KEY,
  type MigrationFile,
  type MigrationReport,
  type MigrationStatus,
  migrationStatus,
} from "./migrator.ts";
export { type BackupInfo, type ContentChecksums, contentChecksums, GAM_TABLES } from "./backup.ts";
export { type Database, openDatabase, type OpenDatabaseOptions, redactUrl } from "./database.ts";
export type { PgliteEngineStart } from "./pglite_engine.ts";
export { advisoryLock, advisoryLockId } from "./advisory_lock.ts";
export { isConnectionLoss } from "./connection_loss.ts";
