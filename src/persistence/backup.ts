/**
 * Backup, restore and content checksums. A server is dumped with `pg_dump --format=custom` and
 * restored with `pg_restore` (the binaries of the server's major version when installed under
 * `/usr/lib/postgresql/<major>/bin`); the embedded engine uses PGlite's own data-dir dump
 * (`dumpDataDir("gzip")`, a gzipped tar) and `loadDataDir`.
 *
 * @module
 */
import { writeFileAtomic } from "../fs/mod.ts";
import { BackupError } from "./errors.ts";
import type { PgliteClient } from "./pglite_engine.ts";
import type { SqlClient } from "./sql_client.ts";

/** Tables GAM owns, in dependency order, with the column their content is ordered by. */
export const GAM_TABLES: readonly { table: string; key: string }[] = [
  { table: "schema_migrations", key: "version" },
  { table: "runs", key: "id" },
  { table: "manifests", key: "id" },
  { table: "surveys", key: "id" },
  { table: "grids", key: "id" },
  { table: "models", key: "id" },
  { table: "anomalies", key: "id" },
  { table: "metadata", key: "id" },
];

/** Row count and md5 of the ordered text of every row, per table. */
export type ContentChecksums = Record<string, { rows: number; md5: string }>;

/** What a backup wrote. */
export interface BackupInfo {
  /** The backup file. */
  file: string;
  /** Its size in bytes. */
  bytes: number;
  /** `pg_dump-custom` (server) or `pglite-datadir-gzip` (embedded). */
  format: "pg_dump-custom" | "pglite-datadir-gzip";
  /** Rows per table at backup time. */
  rows: Record<string, number>;
}

/**
 * Row counts and content checksums of every GAM table that exists (md5 over each row's text,
 * ordered by key). Two databases with equal results hold the same data.
 *
 * @example
 * ```ts
 * import { contentChecksums } from "./backup.ts";
 * import { openDatabase } from "./database.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     const before = await contentChecksums(db.sql); // { runs: { rows: 0, md5: ... }, ... }
 *     console.log(before);
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function contentChecksums(client: SqlClient): Promise<ContentChecksums> {
  const out: ContentChecksums = {};
  for (const { table, key } of GAM_TABLES) {
    const [{ exists }] = await client.query<{ exists: boolean }>(
      "SELECT to_regclass($1) IS NOT NULL AS exists",
      [`public.${table}`],
      "contentChecksums",
    );
    if (!exists) continue;
    // Table names come from the fixed list above, never from input.
    const [r] = await client.query<{ rows: unknown; md5: string }>(
      `SELECT count(*) AS rows, md5(COALESCE(string_agg(t::text, E'\\n' ORDER BY t.${key}), '')) AS md5
       FROM ${table} t`,
      [],
      "contentChecksums",
    );
    out[table] = { rows: Number(r.rows), md5: r.md5 };
  }
  return out;
}

/** Finds `name` (pg_dump, pg_restore) matching the server's major version. */
async function pgTool(client: SqlClient, name: string): Promise<string> {
  const [{ v }] = await client.query<{ v: string }>(
    "SELECT current_setting('server_version_num') AS v",
    [],
    "backup",
  );
  const major = Math.floor(Number(v) / 10000);
  const candidates = [`/usr/lib/postgresql/${major}/bin/${name}`];
  for (const c of candidates) {
    try {
      if ((await Deno.stat(c)).isFile) return c;
    } catch { /* try the next */ }
  }
  const which = await new Deno.Command("sh", {
    args: ["-c", `command -v ${name}`],
    stdout: "piped",
  })
    .output().catch(() => undefined);
  const found = which?.success ? new TextDecoder().decode(which.stdout).trim() : "";
  if (!found) {
    throw new BackupError(
      `${name} for PostgreSQL ${major} not found (looked in ${candidates.join(", ")} and PATH); ` +
        `install the Debian package postgresql-client-${major}`,
    );
  }
  return found;
}

async function runTool(cmd: string, args: string[], file: string): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5).join(" | ");
    throw new BackupError(`${cmd.split("/").pop()} exited with status ${out.code}: ${err}`, {
      file,
    });
  }
}

async function rowCounts(client: SqlClient): Promise<Record<string, number>> {
  const sums = await contentChecksums(client);
  return Object.fromEntries(Object.entries(sums).map(([t, s]) => [t, s.rows]));
}

/**
 * Dumps a server database to `file` (custom format), atomically (a temporary file is renamed).
 *
 * It needs a PostgreSQL server: exercised by src/cli/commands/db_test.ts ("gam db migrate, status,
 * backup, restore against a server").
 */
export async function backupServer(
  client: SqlClient,
  url: string,
  file: string,
): Promise<BackupInfo> {
  const pgDump = await pgTool(client, "pg_dump");
  const rows = await rowCounts(client);
  const bytes = await writeFileAtomic(
    file,
    (tmp) =>
      runTool(pgDump, ["--format=custom", "--no-owner", `--file=${tmp}`, `--dbname=${url}`], file),
  );
  return { file, bytes, format: "pg_dump-custom", rows };
}

/**
 * Restores a custom-format dump into the server database: objects in the dump are dropped
 * (`--clean --if-exists`) and recreated in one transaction; on error nothing changes.
 *
 * It needs a PostgreSQL server: exercised by src/cli/commands/db_test.ts ("gam db migrate, status,
 * backup, restore against a server").
 */
export async function restoreServer(client: SqlClient, url: string, file: string): Promise<void> {
  await expectKind(file, "pg_dump-custom");
  const pgRestore = await pgTool(client, "pg_restore");
  await runTool(pgRestore, [
    "--clean",
    "--if-exists",
    "--no-owner",
    "--single-transaction",
    "--exit-on-error",
    `--dbname=${url}`,
    file,
  ], file);
}

/**
 * Writes the embedded database's data folder to `file` (gzipped tar), atomically.
 *
 * @example
 * ```ts
 * import { backupPglite, restorePglite } from "./backup.ts";
 * import { openPglite } from "./pglite_engine.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const client = await openPglite(`${dir}/db`);
 *   try {
 *     const info = await backupPglite(client, `${dir}/gam-db.tar.gz`); // info.bytes > 0
 *     await restorePglite(client, info.file);
 *   } finally {
 *     await client.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function backupPglite(client: PgliteClient, file: string): Promise<BackupInfo> {
  const rows = await rowCounts(client);
  const dump = await client.dumpDataDir("gzip");
  const bytes = await writeFileAtomic(file, async (tmp) => {
    await Deno.writeFile(tmp, dump);
  });
  return { file, bytes, format: "pglite-datadir-gzip", rows };
}

/**
 * Replaces the embedded database with a PGlite data-dir dump. The old data folder is kept aside
 * until the restored one opens, and put back when it does not.
 *
 * @example Usage
 * ```ts
 * import { backupPglite, restorePglite } from "./backup.ts";
 * import { openPglite } from "./pglite_engine.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const client = await openPglite(`${dir}/db`);
 *   try {
 *     await client.query("CREATE TABLE t (n int)", [], "create");
 *     const { file } = await backupPglite(client, `${dir}/gam-db.tar.gz`); // t is empty
 *     await client.query("INSERT INTO t VALUES (1)", [], "insert");
 *     await restorePglite(client, file);
 *     const [{ n }] = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM t", [], "count");
 *     console.assert(n === 0); // the row inserted after the backup is gone
 *   } finally {
 *     await client.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function restorePglite(client: PgliteClient, file: string): Promise<void> {
  await expectKind(file, "pglite-datadir-gzip");
  const blob = new Blob([await Deno.readFile(file)], { type: "application/x-gzip" });
  const dataDir = client.dataDir;
  const aside = `${dataDir}.pre-restore-${Date.now()}`;
  try {
    await client.replace(async () => {
      await Deno.rename(dataDir, aside);
      await Deno.mkdir(dataDir, { recursive: true });
      return blob;
    });
    await client.query("SELECT 1", [], "restore (check)");
  } catch (err) {
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    await Deno.rename(aside, dataDir).catch(() => {});
    await client.replace(() => Promise.resolve(undefined)).catch(() => {});
    throw new BackupError(
      `Restoring "${file}" into "${dataDir}" failed; the previous data was put back: ${
        (err as Error).message
      }`,
      { file, cause: err },
    );
  }
  await Deno.remove(aside, { recursive: true });
}

async function expectKind(file: string, kind: BackupInfo["format"]): Promise<void> {
  let head: Uint8Array;
  try {
    using f = await Deno.open(file, { read: true });
    head = new Uint8Array(8);
    const got = (await f.read(head)) ?? 0;
    head = head.subarray(0, got);
  } catch (err) {
    throw new BackupError(`Cannot read backup file "${file}": ${(err as Error).message}`, { file });
  }
  const isDump = new TextDecoder().decode(head.subarray(0, 5)) === "PGDMP";
  const isGzip = head[0] === 0x1f && head[1] === 0x8b;
  const found = isDump
    ? "a pg_dump custom-format file"
    : isGzip
    ? "a PGlite data-dir dump (gzip)"
    : "neither";
  if ((kind === "pg_dump-custom" && !isDump) || (kind === "pglite-datadir-gzip" && !isGzip)) {
    const want = kind === "pg_dump-custom"
      ? "a pg_dump custom-format file (the server engine is in use: DATABASE_URL is set)"
      : "a PGlite data-dir dump made by `gam db backup` without DATABASE_URL";
    throw new BackupError(`Backup file "${file}" is ${found}; expected ${want}`, { file });
  }
}
