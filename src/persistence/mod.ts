/**
 * Persistence for GAM: PostgreSQL + PostGIS through the npm `postgres` client when `DATABASE_URL`
 * is set, embedded PGlite with PostGIS in a data folder otherwise; the same migrations
 * (`migrations/`), the same typed {@link Repository}, backup and restore for both.
 *
 * @example Open, store, query
 * ```ts ignore
 * import { openDatabase } from "./mod.ts";
 * const db = await openDatabase({ dataDir: "output/db" }); // migrations applied
 * const run = await db.repo.createRun({ id: "run-1" });
 * const survey = await db.repo.insertSurvey({ modality: "gravity", bbox: [16, -35, 33, -22], runId: run.id });
 * await db.repo.finishRun(run.id, "succeeded");
 * await db.close();
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
export { type PgliteEngineStart, prestartPglite } from "./pglite_engine.ts";
export { advisoryLock, advisoryLockId } from "./advisory_lock.ts";
