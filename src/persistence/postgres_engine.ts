/**
 * {@link SqlClient} over the npm `postgres` client, for a real PostgreSQL + PostGIS server.
 *
 * @module
 */
import postgres from "postgres";
import { PersistenceError } from "./errors.ts";
import type { Row, SqlClient } from "./sql_client.ts";

// deno-lint-ignore no-explicit-any
type AnySql = postgres.Sql<any>;
// deno-lint-ignore no-explicit-any
type AnyTx = postgres.TransactionSql<any>;
// deno-lint-ignore no-explicit-any
type AnyReserved = postgres.ReservedSql<any>;

/** Options for {@link connectPostgres}. */
export interface PostgresOptions {
  /** Pool size. @default 4 */
  max?: number;
  /** Seconds to wait for a connection. @default 10 */
  connectTimeoutSeconds?: number;
}

/** A {@link SqlClient} for a server, plus `end()` to close the pool. */
export interface PostgresClient extends SqlClient {
  /** Closes every connection of the pool. */
  end(): Promise<void>;
}

/**
 * Opens a pool against `url` (`postgres://user:pass@host:port/db`) and checks that it answers.
 *
 * It needs a PostgreSQL server: exercised by src/cli/commands/db_test.ts ("gam db migrate, status,
 * backup, restore against a server") and every server test.
 *
 * @example No server at the address: a {@linkcode PersistenceError}
 * ```ts
 * import { connectPostgres } from "./postgres_engine.ts";
 * import { PersistenceError } from "./errors.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 }); // a port nothing listens on
 * const port = listener.addr.port;
 * listener.close();
 * const refused = await connectPostgres(`postgres://gam@127.0.0.1:${port}/gam`)
 *   .then(() => false, (e) => e instanceof PersistenceError);
 * console.assert(refused);
 * ```
 */
export async function connectPostgres(
  url: string,
  options: PostgresOptions = {},
): Promise<PostgresClient> {
  const sql: AnySql = postgres(url, {
    max: options.max ?? 4,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    onnotice: () => {},
    // Keep int8 as string in the driver; the repository converts ids with Number().
  });
  const client = wrap(sql, "pool");
  try {
    await client.query("SELECT 1", [], "connect");
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw err;
  }
  return { ...client, end: () => sql.end({ timeout: 5 }) };
}

function wrap(sql: AnySql | AnyTx | AnyReserved, kind: "pool" | "tx" | "reserved"): SqlClient {
  const client: SqlClient = {
    engine: "postgres",
    async query<T extends Row = Row>(
      text: string,
      params: readonly unknown[] = [],
      operation = "query",
    ): Promise<T[]> {
      try {
        // unsafe() with parameters still sends them separately from the text (extended protocol).
        const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
        return [...rows] as unknown as T[];
      } catch (err) {
        throw PersistenceError.from(err, operation);
      }
    },
    async exec(script: string, operation = "exec"): Promise<void> {
      try {
        await sql.unsafe(script); // no parameters: simple protocol, several statements allowed
      } catch (err) {
        throw PersistenceError.from(err, operation);
      }
    },
    async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      if (kind === "pool") {
        try {
          return await (sql as AnySql).begin((tx) => fn(wrap(tx, "tx"))) as T;
        } catch (err) {
          throw err instanceof Error && !("code" in err)
            ? err
            : PersistenceError.from(err, "transaction");
        }
      }
      if (kind === "tx") {
        return await (sql as AnyTx).savepoint((sp) => fn(wrap(sp, "tx"))) as T;
      }
      // Reserved connection: plain BEGIN/COMMIT on that connection.
      await client.exec("BEGIN", "begin");
      try {
        const out = await fn(wrap(sql, "tx"));
        await client.exec("COMMIT", "commit");
        return out;
      } catch (err) {
        await client.exec("ROLLBACK", "rollback").catch(() => {});
        throw err;
      }
    },
    async session<T>(fn: (conn: SqlClient) => Promise<T>): Promise<T> {
      if (kind !== "pool") return await fn(client);
      const reserved = await (sql as AnySql).reserve();
      try {
        return await fn(wrap(reserved, "reserved"));
      } finally {
        reserved.release();
      }
    },
  };
  return client;
}
