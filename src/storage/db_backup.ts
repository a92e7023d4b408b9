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
import { sha256Hex } from "./cache_mirror.ts";

/** Metadata keys of a backup object. */
export const BACKUP_META = {
  sha256: "gam-sha256",
  format: "gam-format",
  engine: "gam-engine",
  rows: "gam-rows",
} as const;

/** What the backups need from the bucket. */
export interface BackupBucket {
  /** The bucket's name. */
  readonly name: string;
  /** Uploads `file` under `key` with `metadata`; resolves to the version id, if any. */
  putFile(
    key: string,
    file: string,
    options: { metadata: Record<string, string>; contentType?: string },
  ): Promise<{ versionId?: string }>;
  /** Downloads `key` (optionally one version) to `file`; resolves to its metadata. */
  getFile(
    key: string,
    file: string,
    options?: { versionId?: string },
  ): Promise<{ metadata: Record<string, string>; versionId?: string } | undefined>;
}

/** What {@linkcode backupToBucket} wrote. */
export interface BucketBackupInfo {
  /** `s3://bucket/key`. */
  uri: string;
  /** The object's version id, when the bucket is versioned. */
  versionId?: string;
  /** SHA-256 of the backup, hex. */
  sha256: string;
  /** Size, bytes. */
  bytes: number;
  /** `pg_dump-custom` or `pglite-datadir-gzip`. */
  format: string;
  /** Rows per table at backup time. */
  rows: Record<string, number>;
}

/**
 * Splits `s3://bucket/key` into its parts; throws {@linkcode RangeError} otherwise.
 *
 * @example Usage
 * ```ts
 * import { parseS3Uri } from "./db_backup.ts";
 * parseS3Uri("s3://gam/backups/db.dump"); // { bucket: "gam", key: "backups/db.dump" }
 * ```
 */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
  if (m === null || m[2].endsWith("/")) {
    throw new RangeError(
      `Expected an object URI "s3://<bucket>/<key>" (key not ending in "/"), got "${uri}"`,
    );
  }
  return { bucket: m[1], key: m[2] };
}

async function fileSha256(file: string): Promise<string> {
  // Backups fit in memory at this project's sizes (tens of MB); hashing by chunks would need a
  // streaming SHA-256, which Web Crypto does not offer.
  return await sha256Hex(await Deno.readFile(file));
}

/**
 * Backs the database up to `key` in `bucket`, with the SHA-256 in the object's metadata.
 *
 * @example Usage
 * ```ts ignore
 * const info = await backupToBucket(db, bucket, "backups/2026-12-04/db.dump");
 * ```
 */
export async function backupToBucket(
  db: Database,
  bucket: BackupBucket,
  key: string,
): Promise<BucketBackupInfo> {
  const tmp = await Deno.makeTempDir({ prefix: "gam-backup-" });
  try {
    const file = `${tmp}/backup`;
    const info = await db.backup(file);
    const sha256 = await fileSha256(file);
    const put = await bucket.putFile(key, file, {
      contentType: info.format === "pg_dump-custom"
        ? "application/octet-stream"
        : "application/gzip",
      metadata: {
        [BACKUP_META.sha256]: sha256,
        [BACKUP_META.format]: info.format,
        [BACKUP_META.engine]: db.engine,
        [BACKUP_META.rows]: JSON.stringify(info.rows),
      },
    });
    return {
      uri: `s3://${bucket.name}/${key}`,
      ...(put.versionId !== undefined ? { versionId: put.versionId } : {}),
      sha256,
      bytes: info.bytes,
      format: info.format,
      rows: info.rows,
    };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * Restores the database from `key` in `bucket` after checking the object's SHA-256 against its
 * metadata; a mismatch (or no recorded checksum) leaves the database untouched.
 *
 * @example Usage
 * ```ts ignore
 * await restoreFromBucket(db, bucket, "backups/2026-12-04/db.dump");
 * ```
 */
export async function restoreFromBucket(
  db: Database,
  bucket: BackupBucket,
  key: string,
  options: { versionId?: string } = {},
): Promise<{ sha256: string; versionId?: string }> {
  const uri = `s3://${bucket.name}/${key}`;
  const tmp = await Deno.makeTempDir({ prefix: "gam-restore-" });
  try {
    const file = `${tmp}/backup`;
    const got = await bucket.getFile(key, file, options);
    if (got === undefined) {
      throw new BackupError(
        `No backup at ${uri}${options.versionId ? ` (version ${options.versionId})` : ""}`,
        {
          file: uri,
        },
      );
    }
    const expected = got.metadata[BACKUP_META.sha256];
    const actual = await fileSha256(file);
    if (expected === undefined) {
      throw new BackupError(
        `Backup ${uri} has no ${BACKUP_META.sha256} metadata: it was not written by gam db backup, ` +
          `and its integrity cannot be checked`,
        { file: uri },
      );
    }
    if (expected !== actual) {
      throw new BackupError(
        `Backup ${uri} failed its checksum: metadata says sha256 ${expected}, the downloaded ` +
          `bytes hash to ${actual}; the database was not touched`,
        { file: uri },
      );
    }
    await db.restore(file);
    return { sha256: actual, ...(got.versionId !== undefined ? { versionId: got.versionId } : {}) };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * The schema as the catalog describes it (tables, columns, indexes, applied migrations), as
 * JSON: the weekly schema snapshot. The same query runs on both engines, so two snapshots can
 * be compared whatever engine made them.
 *
 * @example Usage
 * ```ts ignore
 * const json = await schemaSnapshot(db);
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
