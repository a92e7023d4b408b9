/**
 * Applies the numbered plain-SQL files in `migrations/` in order, each in its own transaction,
 * recording version, name and sha256 checksum in `schema_migrations`, under a PostgreSQL
 * session advisory lock so that two migrators never interleave.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MigrationError } from "./errors.ts";
import type { SqlClient } from "./sql_client.ts";

/** The project's migrations folder (`<repo>/migrations`). */
export const DEFAULT_MIGRATIONS_DIR: string = fileURLToPath(
  new URL("../../migrations", import.meta.url),
);

/** Advisory lock key held while migrating: the bytes "GAMmigr" as a 64-bit integer. */
export const MIGRATION_LOCK_KEY = "20056524150368114";

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** One migration file. */
export interface MigrationFile {
  /** Number from the file name, e.g. 1 for `0001_core_schema.sql`. */
  version: number;
  /** Name part of the file name, e.g. `core_schema`. */
  name: string;
  /** Absolute path of the file. */
  path: string;
  /** Lowercase hex sha256 of the file's bytes. */
  checksum: string;
  /** File contents. */
  sql: string;
}

/** A row of `schema_migrations`. */
export interface AppliedMigration {
  /** Migration number. */
  version: number;
  /** Name part of the file name. */
  name: string;
  /** sha256 recorded when applied. */
  checksum: string;
  /** When it was applied. */
  appliedAt: Date;
}

/** What {@link migrationStatus} reports. */
export interface MigrationStatus {
  /** Applied migrations, with `changed` true when the file on disk no longer matches. */
  applied: (AppliedMigration & { changed: boolean; missing: boolean })[];
  /** Files not applied yet, in order. */
  pending: MigrationFile[];
}

/** What {@link migrate} did. */
export interface MigrationReport {
  /** Migrations applied by this call, in order. */
  applied: { version: number; name: string; milliseconds: number }[];
  /** Number of migrations that were already applied. */
  alreadyApplied: number;
}

/** Options for {@link migrate} and {@link migrationStatus}. */
export interface MigrateOptions {
  /** Folder of `NNNN_name.sql` files. @default DEFAULT_MIGRATIONS_DIR */
  dir?: string;
  /** Called after each applied file. */
  onApplied?: (m: { version: number; name: string; milliseconds: number }) => void;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Reads and orders the migration files of `dir`. Every `.sql` file must be named `NNNN_name.sql`
 * (four digits, lowercase snake_case), versions unique.
 *
 * @example
 * ```ts
 * import { loadMigrations } from "./migrator.ts";
 * const files = await loadMigrations();
 * console.log(files.map((f) => `${f.version} ${f.name}`));
 * ```
 */
export async function loadMigrations(
  dir: string = DEFAULT_MIGRATIONS_DIR,
): Promise<MigrationFile[]> {
  const files: MigrationFile[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (err) {
    throw new MigrationError(
      `Cannot read the migrations folder "${dir}": ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  for (const entry of entries) {
    if (!entry.isFile || !entry.name.endsWith(".sql")) continue;
    const path = join(dir, entry.name);
    const m = FILE_NAME.exec(entry.name);
    if (!m) {
      throw new MigrationError(
        `Migration file "${path}" is misnamed: expected NNNN_snake_case_name.sql, e.g. 0003_add_index.sql`,
        { file: path },
      );
    }
    const bytes = await Deno.readFile(path);
    files.push({
      version: Number(m[1]),
      name: m[2],
      path,
      checksum: await sha256Hex(bytes),
      sql: new TextDecoder().decode(bytes),
    });
  }
  files.sort((a, b) => a.version - b.version);
  for (let i = 1; i < files.length; i++) {
    if (files[i].version === files[i - 1].version) {
      throw new MigrationError(
        `Two migration files share version ${files[i].version}: "${files[i - 1].path}" and "${
          files[i].path
        }"`,
        { file: files[i].path },
      );
    }
  }
  return files;
}

const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  checksum   text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

async function readApplied(client: SqlClient): Promise<AppliedMigration[] | undefined> {
  const [{ exists }] = await client.query<{ exists: boolean }>(
    "SELECT to_regclass('public.schema_migrations') IS NOT NULL AS exists",
    [],
    "migrationStatus",
  );
  if (!exists) return undefined;
  const rows = await client.query<
    { version: number; name: string; checksum: string; applied_at: Date }
  >(
    "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version",
    [],
    "migrationStatus",
  );
  return rows.map((r) => ({
    version: Number(r.version),
    name: r.name,
    checksum: r.checksum,
    appliedAt: new Date(r.applied_at),
  }));
}

function fileName(m: { version: number; name: string }): string {
  return `${String(m.version).padStart(4, "0")}_${m.name}.sql`;
}

function verifyApplied(applied: AppliedMigration[], files: MigrationFile[], dir: string): void {
  const byVersion = new Map(files.map((f) => [f.version, f]));
  for (const a of applied) {
    const f = byVersion.get(a.version);
    if (!f) {
      throw new MigrationError(
        `Applied migration ${
          fileName(a)
        } is missing from "${dir}": the database is newer than this ` +
          "code, or the file was removed. Restore the file (migrations are never deleted).",
        { file: join(dir, fileName(a)) },
      );
    }
    if (f.checksum !== a.checksum) {
      throw new MigrationError(
        `Migration file "${f.path}" has changed since it was applied on ${a.appliedAt.toISOString()} ` +
          `(recorded sha256 ${a.checksum}, file now ${f.checksum}). Applied migrations must not be ` +
          "edited: restore the file and put the change in a new numbered migration.",
        { file: f.path },
      );
    }
  }
}

/**
 * Applies every pending migration in order, each in its own transaction, while holding the
 * session advisory lock {@link MIGRATION_LOCK_KEY} (a second migrator waits, then finds nothing
 * to do). Refuses with {@link MigrationError} when an applied file has changed or is missing.
 *
 * @example
 * ```ts
 * import { migrate } from "./migrator.ts";
 * import { openPglite } from "./pglite_engine.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const client = await openPglite(`${dir}/db`); // a new embedded database: all pending
 *   try {
 *     const report = await migrate(client);
 *     console.log(`${report.applied.length} applied`);
 *   } finally {
 *     await client.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function migrate(
  client: SqlClient,
  options: MigrateOptions = {},
): Promise<MigrationReport> {
  const dir = options.dir ?? DEFAULT_MIGRATIONS_DIR;
  const files = await loadMigrations(dir);
  // Nothing pending (every start but the first): committed state answers that without the lock,
  // since a concurrent migrator commits each migration whole; changed files are refused alike.
  const current = await readApplied(client);
  if (current) {
    verifyApplied(current, files, dir);
    const done = new Set(current.map((a) => a.version));
    if (files.every((f) => done.has(f.version))) {
      return { applied: [], alreadyApplied: current.length };
    }
  }
  return await client.session(async (conn) => {
    await conn.query("SELECT pg_advisory_lock($1::bigint)", [MIGRATION_LOCK_KEY], "migrate (lock)");
    try {
      await conn.exec(CREATE_TABLE, "migrate (schema_migrations)");
      const applied = (await readApplied(conn)) ?? [];
      verifyApplied(applied, files, dir);
      const done = new Set(applied.map((a) => a.version));
      const report: MigrationReport = { applied: [], alreadyApplied: applied.length };
      for (const file of files) {
        if (done.has(file.version)) continue;
        const t0 = performance.now();
        try {
          await conn.transaction(async (tx) => {
            await tx.exec(file.sql, `migration ${fileName(file)}`);
            await tx.query(
              "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
              [file.version, file.name, file.checksum],
              "migrate (record)",
            );
          });
        } catch (err) {
          throw new MigrationError(
            `Migration "${file.path}" failed and was rolled back: ${(err as Error).message}`,
            { file: file.path, cause: err },
          );
        }
        const entry = {
          version: file.version,
          name: file.name,
          milliseconds: performance.now() - t0,
        };
        report.applied.push(entry);
        options.onApplied?.(entry);
      }
      return report;
    } finally {
      await conn.query(
        "SELECT pg_advisory_unlock($1::bigint)",
        [MIGRATION_LOCK_KEY],
        "migrate (unlock)",
      )
        .catch(() => {});
    }
  });
}

/**
 * Lists applied and pending migrations without changing anything.
 *
 * @example
 * ```ts
 * import { migrationStatus } from "./migrator.ts";
 * import { openPglite } from "./pglite_engine.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const client = await openPglite(`${dir}/db`); // a new embedded database
 *   try {
 *     const { applied, pending } = await migrationStatus(client); // [] and every file
 *     console.log(applied.length, pending.length);
 *   } finally {
 *     await client.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function migrationStatus(
  client: SqlClient,
  options: MigrateOptions = {},
): Promise<MigrationStatus> {
  const dir = options.dir ?? DEFAULT_MIGRATIONS_DIR;
  const files = await loadMigrations(dir);
  const applied = (await readApplied(client)) ?? [];
  const byVersion = new Map(files.map((f) => [f.version, f]));
  const done = new Set(applied.map((a) => a.version));
  return {
    applied: applied.map((a) => ({
      ...a,
      missing: !byVersion.has(a.version),
      changed: byVersion.has(a.version) && byVersion.get(a.version)!.checksum !== a.checksum,
    })),
    pending: files.filter((f) => !done.has(f.version)),
  };
}
