/**
 * `openDatabase()`: the one entry point to persistence. With a URL (or `DATABASE_URL`) it connects
 * to a PostgreSQL + PostGIS server with the npm `postgres` client; otherwise it opens PGlite with
 * PostGIS in a data folder.
 *
 * Migrations: the embedded database (a single user) applies pending migrations when opened. A
 * server database is only verified: pending, changed or missing migrations throw
 * {@link PendingMigrationsError}, since a server is migrated by one deployment step
 * (`gam db migrate`) and never as a side effect of a run starting.
 *
 * @module
 */
import {
  type BackupInfo,
  backupPglite,
  backupServer,
  restorePglite,
  restoreServer,
} from "./backup.ts";
import {
  migrate,
  type MigrateOptions,
  type MigrationReport,
  type MigrationStatus,
  migrationStatus,
} from "./migrator.ts";
import { PendingMigrationsError } from "./errors.ts";
import { connectPostgres } from "./postgres_engine.ts";
import { openPglite, type PgliteEngineStart } from "./pglite_engine.ts";
import { defaultTemplatePath } from "./pglite_template.ts";
import { createRepository, type Repository } from "./repository.ts";
import type { EngineKind, SqlClient } from "./sql_client.ts";
import type { Logger } from "../observability/mod.ts";

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /**
   * Server URL. `undefined` reads the `DATABASE_URL` environment variable; `null` forces the
   * embedded engine even when `DATABASE_URL` is set.
   */
  url?: string | null;
  /** Data folder of the embedded engine, e.g. `<outputDir>/db`. Required when there is no URL. */
  dataDir?: string;
  /**
   * `true`: apply pending migrations before returning; `"verify"`: throw
   * {@link PendingMigrationsError} when any is pending, changed or missing; `false`: neither.
   * @default true for the embedded engine, "verify" for a server
   */
  migrate?: boolean | "verify";
  /** Migrations folder. @default the repository's `migrations/` */
  migrationsDir?: string;
  /**
   * An embedded engine started ahead with `prestartPglite()`: used when the embedded engine is
   * chosen, stopped when a server is (either way this call takes care of it).
   */
  engine?: PgliteEngineStart;
  /**
   * Create a new embedded data folder from the template kept in the per-user cache folder
   * (`defaultTemplatePath()`, written on the machine's first creation; see `OpenPgliteOptions`),
   * so that a new output folder, a deleted one or a fresh checkout does not cost its first run
   * initdb and PostGIS's installation again. Either
   * way a new embedded folder has PostGIS installed from its first open, `migrate: false` or not.
   * @default true
   */
  template?: boolean;
  /**
   * Where a server client logs that its server went away and that it was replaced (see
   * `postgres_engine.ts`). @default warnings to stderr
   */
  logger?: Logger;
}

/** An open database: SQL client, repository, migrations, backup and restore. */
export interface Database extends AsyncDisposable {
  /** `postgres` (server) or `pglite` (embedded). */
  readonly engine: EngineKind;
  /** Where the data lives: the URL with its password masked, or the data folder. */
  readonly location: string;
  /** Parameterised SQL access. */
  readonly sql: SqlClient;
  /** Typed repository over {@link Database.sql}. */
  readonly repo: Repository;
  /** What migrating did when the database was opened (`undefined` with `migrate: false`). */
  readonly migration?: MigrationReport;
  /** Applies pending migrations (under the advisory lock). */
  migrate(options?: MigrateOptions): Promise<MigrationReport>;
  /** Lists applied and pending migrations. */
  migrationStatus(options?: MigrateOptions): Promise<MigrationStatus>;
  /** Writes a backup to `file` (pg_dump custom format, or PGlite data-dir dump). */
  backup(file: string): Promise<BackupInfo>;
  /** Replaces the database's contents with a backup made by {@link Database.backup}. */
  restore(file: string): Promise<void>;
  /** Closes connections (or the embedded instance). */
  close(): Promise<void>;
  /**
   * A sign from another client that the server went away (e.g. a connection error of the queue
   * engine's own pool): a server database replaces its connections unless they still answer
   * (new work waits for the new ones; see `postgres_engine.ts`). Errors that are not
   * connection-level, and the embedded engine, are ignored.
   */
  reportConnectionLoss(error: unknown): void;
}

/**
 * Masks the password of a `postgres://` URL for logs and messages.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./database.ts";
 * console.assert(redactUrl("postgres://u:secret@h:5432/db") === "postgres://u:***@h:5432/db");
 * ```
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    for (const key of ["password", "sslpassword"]) {
      if (u.searchParams.has(key)) u.searchParams.set(key, "***");
    }
    return u.toString();
  } catch {
    return "<unparseable database URL>";
  }
}

/**
 * Opens the database; applies pending migrations to the embedded one, verifies a server's (see
 * the module doc). The embedded engine takes seconds to start:
 * call this early and await it only when persisting (`const dbReady = openDatabase(...)`).
 *
 * @example Embedded database under the output folder
 * ```ts
 * import { openDatabase } from "./database.ts";
 * const outputDir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   // url: null keeps the embedded engine even when DATABASE_URL is set.
 *   const dbReady = openDatabase({ url: null, dataDir: `${outputDir}/db` }); // starts now
 *   // ... ingest ...
 *   const db = await dbReady;
 *   await db.repo.createRun({ id: "run-1" });
 *   await db.close();
 * } finally {
 *   await Deno.remove(outputDir, { recursive: true });
 * }
 * ```
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const url = options.url === undefined ? (Deno.env.get("DATABASE_URL") || undefined) : options.url;
  const migrationsDir = options.migrationsDir;
  let db: Database;
  if (url) {
    options.engine?.cancel();
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new TypeError(
        `Database URL must start with postgres:// or postgresql://, got "${redactUrl(url)}"`,
      );
    }
    const client = await connectPostgres(url, { logger: options.logger, where: redactUrl(url) });
    db = build("postgres", redactUrl(url), client, {
      backup: (file) => backupServer(client, url, file),
      restore: (file) => restoreServer(client, url, file),
      close: () => client.end(),
      reportConnectionLoss: (error) => client.reportConnectionLoss(error),
    }, migrationsDir);
  } else {
    if (!options.dataDir) {
      options.engine?.cancel();
      throw new TypeError(
        "openDatabase: no DATABASE_URL and no dataDir; pass dataDir (e.g. `<outputDir>/db`) for the " +
          "embedded database or set DATABASE_URL",
      );
    }
    const client = await openPglite(options.dataDir, {
      engine: options.engine,
      template: options.template === false ? undefined : defaultTemplatePath(),
    });
    db = build("pglite", options.dataDir, client, {
      backup: (file) => backupPglite(client, file),
      restore: (file) => restorePglite(client, file),
      close: () => client.close(),
      reportConnectionLoss: () => {}, // one process's own engine: no server to lose
    }, migrationsDir);
  }
  const mode = options.migrate ?? (url ? "verify" : true);
  if (mode === false) return db;
  try {
    if (mode === "verify") {
      const st = await db.migrationStatus();
      const id = (m: { version: number; name: string }) =>
        `${String(m.version).padStart(4, "0")}_${m.name}`;
      const changed = st.applied.filter((a) => a.changed || a.missing).map(id);
      if (st.pending.length > 0 || changed.length > 0) {
        throw new PendingMigrationsError(db.location, st.pending.map(id), changed);
      }
      return db;
    }
    const report = await db.migrate();
    return { ...db, migration: report };
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}

function build(
  engine: EngineKind,
  location: string,
  client: SqlClient,
  ops: Pick<Database, "backup" | "restore" | "close" | "reportConnectionLoss">,
  migrationsDir: string | undefined,
): Database {
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await ops.close();
  };
  return {
    engine,
    location,
    sql: client,
    repo: createRepository(client),
    migrate: (o) => migrate(client, { dir: migrationsDir, ...o }),
    migrationStatus: (o) => migrationStatus(client, { dir: migrationsDir, ...o }),
    backup: ops.backup,
    restore: ops.restore,
    close,
    reportConnectionLoss: ops.reportConnectionLoss,
    [Symbol.asyncDispose]: close,
  };
}
