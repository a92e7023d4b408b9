/**
 * Error classes raised by the persistence layer.
 *
 * @module
 */
import { errorMessage } from "../observability/mod.ts";

/** Human hints for the constraints declared in `migrations/`, keyed by constraint name. */
const CONSTRAINT_HINTS: Readonly<Record<string, string>> = {
  anomalies_confidence_range: "confidence must be a number in [0, 1]",
  anomalies_geom_valid: "the anomaly point must be a valid geometry (finite lon, lat, depth)",
  anomalies_depth_nonneg: "depth (the point's Z) must be >= 0 metres",
  surveys_bbox_valid: "the survey bbox must be a valid polygon (minLon < maxLon, minLat < maxLat)",
  grids_grid_bbox_valid: "the grid bbox must be a valid polygon (minLon < maxLon, minLat < maxLat)",
  grids_resolution_positive: "resolution_deg must be a finite number > 0",
  grids_survey_version_unique: "a survey has at most one grid per grid_version",
  manifests_checksum_format: "checksum_sha256 must be 64 lowercase hex digits",
  manifests_size_nonneg: "size_bytes must be >= 0",
  manifests_kind_check: "kind must be 'raw' or 'grid'",
  runs_status_check: "status must be running, succeeded, partial, failed or interrupted",
  runs_finished_matches_status: "finished_at is set exactly when status is not 'running'",
  surveys_ingest_status_check: "ingest_status must be pending, ingesting, ingested or failed",
};

/** Options for {@link PersistenceError}. */
export interface PersistenceErrorOptions {
  /** What the caller was doing, e.g. `"insertAnomalies"`. */
  operation: string;
  /** Table the database reported, when known. */
  table?: string;
  /** Constraint the database reported, when known. */
  constraint?: string;
  /** Column the database reported, when known. */
  column?: string;
  /** SQLSTATE code, e.g. `"23514"` for a CHECK violation. */
  code?: string;
  /** The original driver error. */
  cause?: unknown;
}

/**
 * A database operation failed: a constraint violation, invalid geometry, a missing row referenced by a
 * foreign key, or a connection problem. The message names the operation, table and constraint.
 *
 * @example Catching a CHECK violation
 * ```ts
 * import { PersistenceError } from "./errors.ts";
 * const err = new PersistenceError("confidence out of range", {
 *   operation: "insertAnomalies",
 *   table: "anomalies",
 *   constraint: "anomalies_confidence_range",
 *   code: "23514",
 * });
 * console.assert(err.constraint === "anomalies_confidence_range");
 * ```
 */
export class PersistenceError extends Error {
  /** What the caller was doing. */
  readonly operation: string;
  /** Table named by the database, if any. */
  readonly table?: string;
  /** Constraint named by the database, if any. */
  readonly constraint?: string;
  /** Column named by the database, if any. */
  readonly column?: string;
  /** SQLSTATE code, if any. */
  readonly code?: string;

  /** Builds the error; prefer {@link PersistenceError.from} for driver errors. */
  constructor(message: string, options: PersistenceErrorOptions) {
    super(message, { cause: options.cause });
    this.name = "PersistenceError";
    this.operation = options.operation;
    this.table = options.table;
    this.constraint = options.constraint;
    this.column = options.column;
    this.code = options.code;
  }

  /**
   * Wraps an error thrown by the `postgres` client or PGlite; already wrapped errors pass through.
   *
   * @example
   * ```ts
   * import { PersistenceError } from "./errors.ts";
   * const e = PersistenceError.from(new Error("boom"), "getSurvey");
   * console.assert(e.message.startsWith("getSurvey failed"));
   * ```
   */
  static from(err: unknown, operation: string): Error {
    if (err instanceof PersistenceError) return err;
    if (!(err instanceof Error)) {
      return new PersistenceError(`${operation} failed: ${errorMessage(err)}`, {
        operation,
        cause: err,
      });
    }
    // deno-lint-ignore no-explicit-any
    const e = err as any;
    const code: string | undefined = typeof e.code === "string" ? e.code : undefined;
    // postgres.js uses table_name/constraint_name/column_name, PGlite table/constraint/column.
    const table: string | undefined = e.table_name ?? e.table ?? undefined;
    const constraint: string | undefined = e.constraint_name ?? e.constraint ?? undefined;
    const column: string | undefined = e.column_name ?? e.column ?? undefined;
    if (code === undefined || !/^[0-9A-Z]{5}$/.test(code)) {
      // Not a server error (I/O, closed connection, ...): keep the message, do not pretend more.
      return new PersistenceError(`${operation} failed: ${err.message}`, { operation, cause: err });
    }
    const where = [
      table ? `table "${table}"` : undefined,
      constraint ? `constraint "${constraint}"` : undefined,
      column ? `column "${column}"` : undefined,
    ].filter(Boolean).join(", ");
    const hint = constraint ? CONSTRAINT_HINTS[constraint] : undefined;
    const detail = typeof e.detail === "string" && e.detail !== ""
      ? ` Detail: ${e.detail.length > 300 ? e.detail.slice(0, 300) + "..." : e.detail}`
      : "";
    const message = `${operation} failed${where ? ` (${where})` : ""}: ${err.message}` +
      `${hint ? ` (expected: ${hint})` : ""} [SQLSTATE ${code}].${detail}`;
    return new PersistenceError(message, {
      operation,
      table,
      constraint,
      column,
      code,
      cause: err,
    });
  }
}

/**
 * The database server went away (a restart, a crash, the network) and this operation could not
 * run on a live connection: it was asked of a connection of a client retired after the loss, or
 * it waited for a new connection longer than the client's bound. The client goes on reconnecting;
 * the caller may retry. `isConnectionLoss()` recognises it.
 *
 * @example Usage
 * ```ts
 * import { ConnectionLostError, PersistenceError } from "./errors.ts";
 * const e = new ConnectionLostError("advisory unlock failed: the connection was lost", {
 *   operation: "advisory unlock",
 * });
 * console.assert(e instanceof PersistenceError);
 * ```
 */
export class ConnectionLostError extends PersistenceError {
  /** Builds the error. */
  constructor(message: string, options: PersistenceErrorOptions) {
    super(message, options);
    this.name = "ConnectionLostError";
  }
}

/**
 * A migration could not be applied or an applied migration file no longer matches its recorded
 * checksum. `file` names the migration file concerned, when there is one.
 *
 * @example
 * ```ts
 * import { MigrationError } from "./errors.ts";
 * const e = new MigrationError("changed", { file: "migrations/0001_core_schema.sql" });
 * console.assert(e.file?.endsWith("0001_core_schema.sql"));
 * ```
 */
export class MigrationError extends Error {
  /** Migration file concerned, if any. */
  readonly file?: string;

  /** Builds the error. */
  constructor(message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "MigrationError";
    this.file = options.file;
  }
}

/**
 * A backup or restore failed (tool missing, wrong file kind, tool exited non-zero).
 *
 * @example
 * ```ts
 * import { BackupError } from "./errors.ts";
 * const e = new BackupError("pg_dump exited with 1", { file: "/tmp/x.dump" });
 * console.assert(e.file === "/tmp/x.dump");
 * ```
 */
export class BackupError extends Error {
  /** Backup file concerned, if any. */
  readonly file?: string;

  /** Builds the error. */
  constructor(message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "BackupError";
    this.file = options.file;
  }
}

/**
 * A server database is not at the schema this code expects: migrations are pending, or applied
 * ones changed or went missing. `gam run`, `gam serve` (and `gam worker`) refuse to start on it;
 * the deployment's migration step (`gam db migrate`) runs first.
 *
 * @example Usage
 * ```ts
 * import { PendingMigrationsError } from "./errors.ts";
 * const e = new PendingMigrationsError("postgres://gam@db/gam", ["0004_x"], []);
 * console.assert(e.pending[0] === "0004_x");
 * ```
 */
export class PendingMigrationsError extends MigrationError {
  /** Pending migrations, `NNNN_name`, in order. */
  readonly pending: readonly string[];
  /** Applied migrations whose file changed or is missing, `NNNN_name`. */
  readonly changed: readonly string[];

  /**
   * @param location The database (password masked).
   * @param pending Pending migrations, `NNNN_name`.
   * @param changed Applied migrations whose file changed or is missing.
   */
  constructor(location: string, pending: readonly string[], changed: readonly string[]) {
    const parts = [
      pending.length ? `${pending.length} pending migration(s): ${pending.join(", ")}` : "",
      changed.length
        ? `${changed.length} applied migration(s) changed or missing: ${changed.join(", ")}`
        : "",
    ].filter((p) => p !== "");
    super(
      `Database ${location} is not at this version's schema (${parts.join("; ")}). ` +
        "Migrations of a server database are applied only by `gam db migrate` (the first " +
        "step of a deployment); run it, then start this command again.",
    );
    this.name = "PendingMigrationsError";
    this.pending = pending;
    this.changed = changed;
  }
}
