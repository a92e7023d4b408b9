/**
 * The one SQL interface both engines implement: the `postgres` client against a server and PGlite
 * (embedded PostgreSQL with PostGIS). Repository and migrator code is written against this only.
 *
 * @module
 */

/** Which engine a {@link SqlClient} talks to. */
export type EngineKind = "postgres" | "pglite";

/** A row as returned by the driver: column name to value. */
export type Row = Record<string, unknown>;

/**
 * Parameterised SQL access. Errors are thrown as {@link import("./errors.ts").PersistenceError}
 * naming the table and constraint.
 *
 * @example Run a parameterised query
 * ```ts
 * import { openPglite } from "./pglite_engine.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const client = await openPglite(`${dir}/db`); // or a server: openDatabase({ url })
 *   try {
 *     const rows = await client.query<{ n: number }>("SELECT $1::int AS n", [42]);
 *     console.assert(rows[0].n === 42);
 *   } finally {
 *     await client.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface SqlClient {
  /** Engine behind this client. */
  readonly engine: EngineKind;
  /**
   * Runs one statement with `$1..$n` parameters and returns its rows.
   * `operation` names the caller in error messages (default `"query"`).
   */
  query<T extends Row = Row>(
    text: string,
    params?: readonly unknown[],
    operation?: string,
  ): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string, operation?: string): Promise<void>;
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` on one dedicated connection (session-level advisory locks need this). PGlite has a
   * single connection, so this is the client itself.
   */
  session<T>(fn: (conn: SqlClient) => Promise<T>): Promise<T>;
}
