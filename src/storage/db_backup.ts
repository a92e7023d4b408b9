/**
 * Database backups in the bucket: the file `gam db backup` writes (a `pg_dump` custom-format
 * file for a server, PGlite's gzipped data-dir dump for the embedded engine) is made in a
 * private temporary folder, then uploaded with its SHA-256 in the object's metadata
 * (`gam-sha256`, next to `gam-format`, `gam-engine` and the row counts). A restore downloads
 * the object, checks the SHA-256 before anything touches the database, and restores it with the
 * same code as a local file. A schema snapshot (the catalog's tables, columns, indexes and the
 * applied migrations, as JSON: the same on both engines) can be written beside the data dump.
 *
 * @module
 */
import type { Database } from "../persistence/mod.ts";
import { BackupError } from "../persistence/mod.ts";
import type { ObjectStore } from "./object_store.ts";
import { ObjectNotFoundError } from "./errors.ts";

/** Metadata keys of a backup object (the SHA-256 is the store's own `gam-sha256`). */
export const BACKUP_META = {
  format: "gam-format",
  engine: "gam-engine",
  rows: "gam-rows",
} as const;

/** What {@linkcode backupToBucket} wrote. */
export interface BucketBackupInfo {
  /** `s3://bucket/key`. */
  uri: string;
  /** The object's version id, when the bucket is versioned. */
  versionId?: string;
  /** SHA-256 of the backup, `sha256:<hex>`. */
  sha256: string;
  /** Size, bytes. */
  bytes: number;
  /** `pg_dump-custom` or `pglite-datadir-gzip`. */
  format: string;
  /** Rows per table at backup time. */
  rows: Record<string, number>;
}

/**
 * Backs the database up to `key` in `bucket`, with the SHA-256 in the object's metadata.
 *
 * It needs an S3 server: exercised by src/storage/db_backup_test.ts.
 */
export async function backupToBucket(
  db: Database,
  bucket: ObjectStore,
  key: string,
): Promise<BucketBackupInfo> {
  const tmp = await Deno.makeTempDir({ prefix: "gam-backup-" });
  try {
    const file = `${tmp}/backup`;
    const info = await db.backup(file);
    // The store computes the SHA-256, sends it for the server to check, and records it in the
    // object's metadata (`gam-sha256`), where the restore finds it.
    const put = await bucket.putFile(key, file, {
      contentType: info.format === "pg_dump-custom"
        ? "application/octet-stream"
        : "application/gzip",
      metadata: {
        [BACKUP_META.format]: info.format,
        [BACKUP_META.engine]: db.engine,
        [BACKUP_META.rows]: JSON.stringify(info.rows),
      },
    });
    return {
      uri: bucket.uri(key, put.versionId),
      ...(put.versionId !== undefined ? { versionId: put.versionId } : {}),
      sha256: put.sha256,
      bytes: info.bytes,
      format: info.format,
      rows: info.rows,
    };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * Restores the database from `key` in `bucket`. The download is checked against the SHA-256
 * recorded in the object's metadata before anything touches the database; an object without
 * one (not written by `gam db backup`) or whose bytes do not match is refused.
 *
 * It needs an S3 server: exercised by src/storage/db_backup_test.ts.
 */
export async function restoreFromBucket(
  db: Database,
  bucket: ObjectStore,
  key: string,
  options: { versionId?: string } = {},
): Promise<{ uri: string; sha256: string; versionId?: string }> {
  const uri = bucket.uri(key, options.versionId);
  const head = await bucket.head(key, options);
  if (head === undefined) throw new BackupError(`No backup at ${uri}`, { file: uri });
  if (head.sha256 === undefined) {
    throw new BackupError(
      `Backup ${uri} has no gam-sha256 metadata: it was not written by gam db backup, and its ` +
        `integrity cannot be checked; the database was not touched`,
      { file: uri },
    );
  }
  const tmp = await Deno.makeTempDir({ prefix: "gam-restore-" });
  try {
    const file = `${tmp}/backup`;
    let got;
    try {
      // Checked against gam-sha256 by the store: a mismatch throws and leaves no file.
      got = await bucket.getFile(key, file, options);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) {
        throw new BackupError(`No backup at ${uri}`, { file: uri, cause: error });
      }
      throw new BackupError(
        `Backup ${uri} could not be downloaded intact; the database was not touched: ${
          (error as Error).message
        }`,
        { file: uri, cause: error },
      );
    }
    await db.restore(file);
    return {
      uri,
      sha256: got.sha256 ?? head.sha256,
      ...(got.versionId !== undefined ? { versionId: got.versionId } : {}),
    };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * The schema as the catalog describes it (tables, columns, indexes, applied migrations), as
 * JSON: the weekly schema snapshot. The same query runs on both engines, so two snapshots can
 * be compared whatever engine made them.
 *
 * @example Usage (on the embedded engine)
 * ```ts
 * import { schemaSnapshot } from "./db_backup.ts";
 * import { openDatabase } from "../persistence/mod.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     const snapshot = JSON.parse(await schemaSnapshot(db));
 *     console.assert(snapshot.engine === "pglite" && snapshot.migrations.length > 0);
 *     console.assert(snapshot.tables.runs.columns.some((c: { name: string }) => c.name === "id"));
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function schemaSnapshot(db: Database): Promise<string> {
  const columns = await db.sql.query<
    { table_name: string; column_name: string; data_type: string; is_nullable: string }
  >(
    `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
     WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
    [],
    "schemaSnapshot",
  );
  const indexes = await db.sql.query<{ tablename: string; indexname: string; indexdef: string }>(
    `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
     ORDER BY tablename, indexname`,
    [],
    "schemaSnapshot",
  );
  const migrations = await db.sql.query<{ version: number; name: string; checksum: string }>(
    `SELECT version, name, checksum FROM schema_migrations ORDER BY version`,
    [],
    "schemaSnapshot",
  ).catch(() => []);
  const tables: Record<string, { columns: unknown[]; indexes: unknown[] }> = {};
  for (const c of columns) {
    (tables[c.table_name] ??= { columns: [], indexes: [] }).columns.push({
      name: c.column_name,
      type: c.data_type,
      nullable: c.is_nullable === "YES",
    });
  }
  for (const i of indexes) {
    (tables[i.tablename] ??= { columns: [], indexes: [] }).indexes.push({
      name: i.indexname,
      definition: i.indexdef,
    });
  }
  return JSON.stringify(
    {
      engine: db.engine,
      takenAt: new Date().toISOString(),
      migrations: migrations.map((m) => ({ ...m, version: Number(m.version) })),
      tables,
    },
    null,
    2,
  ) + "\n";
}
