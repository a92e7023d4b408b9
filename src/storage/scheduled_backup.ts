/**
 * What `gam serve`'s backup schedule writes each time: a data dump of the database and a schema
 * snapshot beside it, under `<storage.prefix>/<phase>/<backup.prefix>/<date>/`:
 *
 * - `<timestamp>-<engine>-data.dump` (server, `pg_dump` custom format) or
 *   `<timestamp>-<engine>-data.tar.gz` (embedded, PGlite data-dir dump);
 * - `<timestamp>-<engine>-schema.json` (tables, columns, indexes, applied migrations).
 *
 * The timestamp is ISO 8601 in UTC without separators (`20261204T220000Z`), so keys sort by
 * time and `gam db restore --from` can be given the latest one.
 *
 * @module
 */
import { BackupError, type Database } from "../persistence/mod.ts";
import type { ObjectStore } from "./object_store.ts";
import { backupToBucket, type BucketBackupInfo, schemaSnapshot } from "./db_backup.ts";

/**
 * Object keys of one scheduled backup.
 *
 * @example Usage
 * ```ts
 * import { backupKeys } from "./scheduled_backup.ts";
 * backupKeys("phase1/backups", "postgres", new Date("2026-12-04T22:00:00Z")).data;
 * // "phase1/backups/2026-12-04/20261204T220000Z-postgres-data.dump"
 * ```
 */
export function backupKeys(
  base: string,
  engine: Database["engine"],
  at: Date,
): { data: string; schema: string } {
  const iso = at.toISOString();
  const stamp = iso.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const folder = `${base.replace(/\/+$/, "")}/${iso.slice(0, 10)}/${stamp}-${engine}`;
  return {
    data: `${folder}-data.${engine === "postgres" ? "dump" : "tar.gz"}`,
    schema: `${folder}-schema.json`,
  };
}

/** What one scheduled backup wrote. */
export interface ScheduledBackupInfo extends BucketBackupInfo {
  /** `s3://` URI of the schema snapshot, when one was written. */
  schemaUri?: string;
}

/**
 * Writes one scheduled backup: the data dump, then (when `schema` is true) the schema snapshot.
 *
 * It needs an S3 server: exercised by src/storage/db_backup_test.ts.
 */
export async function runScheduledBackup(
  db: Database,
  store: ObjectStore,
  options: { base: string; schema: boolean; now?: Date },
): Promise<ScheduledBackupInfo> {
  const keys = backupKeys(options.base, db.engine, options.now ?? new Date());
  const info = await backupToBucket(db, store, keys.data);
  if (!options.schema) return info;
  const put = await store.putBytes(
    keys.schema,
    new TextEncoder().encode(await schemaSnapshot(db)),
    { contentType: "application/json" },
  );
  return { ...info, schemaUri: store.uri(keys.schema, put.versionId) };
}

/**
 * The newest data dump of `engine` under `prefix` (any depth): keys carry their time, so the
 * greatest key is the newest. Throws {@linkcode BackupError} when there is none.
 *
 * It needs an S3 server: exercised by tests/storage/serve_backup_test.ts.
 */
export async function latestBackup(
  store: ObjectStore,
  prefix: string,
  engine: Database["engine"],
): Promise<string> {
  const suffix = `-${engine}-data.${engine === "postgres" ? "dump" : "tar.gz"}`;
  let latest: string | undefined;
  for await (const o of store.list(prefix)) {
    if (!o.key.endsWith(suffix)) continue;
    const name = o.key.slice(o.key.lastIndexOf("/") + 1);
    const best = latest?.slice(latest.lastIndexOf("/") + 1);
    if (best === undefined || name > best) latest = o.key;
  }
  if (latest === undefined) {
    throw new BackupError(
      `No ${engine} backup (a key ending in "${suffix}") under s3://${store.bucket}/${prefix}`,
      { file: `s3://${store.bucket}/${prefix}` },
    );
  }
  return latest;
}
