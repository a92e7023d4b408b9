/**
 * {@link SqlClient} over the npm `postgres` client, for a real PostgreSQL + PostGIS server.
 *
 * A server can go away under a long-lived process (a restart, a failover), and the npm `postgres`
 * client (3.4.9, also 3.4.10) can then lose a query for good: a write buffered for a connection
 * whose socket has closed is flushed from a `setImmediate` that throws "Cannot read properties of
 * null (reading 'write')" (porsager/postgres#1208), and `closed()` clears the flush timer without
 * forgetting it, so a query handed to that connection later is never sent. Either way the query
 * never settles; a reserved connection (the cache's advisory lock) hangs its unlock with the
 * entry's file lock held. So the client here retires its pool at once on any sign that the server
 * went away (one of its connections closing, a statement failing with a connection-level code, a
 * lost write, another pool's connection error reported through `Database.reportConnectionLoss`):
 * new work waits for a new pool, opened with a 0.25 to 2 s backoff until the server answers, and
 * the old pool's work is rejected after a 5 s grace (the lost queries too), so that callers fail
 * and release their locks. A statement asked of a held connection (a transaction, a session) of a
 * retired pool fails at once with {@link ConnectionLostError}, never reaching the dead socket.
 *
 * @module
 */
import postgres from "postgres";
import type { Logger } from "../observability/mod.ts";
import { createLogger } from "../observability/mod.ts";
import { ConnectionLostError, PersistenceError } from "./errors.ts";
import type { Row, SqlClient } from "./sql_client.ts";
import { ReplacingClient } from "./_replacing_client.ts";
import { guardProcess, isConnectionLoss } from "./connection_loss.ts";

// deno-lint-ignore no-explicit-any
type AnySql = postgres.Sql<any>;
// deno-lint-ignore no-explicit-any
type AnyTx = postgres.TransactionSql<any>;
// deno-lint-ignore no-explicit-any
type AnyReserved = postgres.ReservedSql<any>;

/** One pool of the npm `postgres` client (an object, so that a retired one can be told apart). */
interface Pool {
  sql: AnySql;
}

/** Options for {@link connectPostgres}. */
export interface PostgresOptions {
  /** Pool size. @default 4 */
  max?: number;
  /** Seconds to wait for a connection. @default 10 */
  connectTimeoutSeconds?: number;
  /** Where retirements and replacements of the pool are logged. @default warnings to stderr */
  logger?: Logger;
  /** Where the server is, for messages. @default "the database server" */
  where?: string;
  /**
   * After the server went away: how long new work waits for a new connection before it fails
   * with {@link ConnectionLostError}, seconds. @default 60
   */
  reconnectWaitSeconds?: number;
  /** Grace of a retired pool's work before it is rejected, seconds. @default 5 */
  retireGraceSeconds?: number;
}

/** A {@link SqlClient} for a server, plus `end()` to close the pool. */
export interface PostgresClient extends SqlClient {
  /** Closes every connection of the pool (work in hand gets the retirement grace). */
  end(): Promise<void>;
  /**
   * A sign from elsewhere that the server went away (another pool's connection error, e.g. the
   * queue engine's): the pool is replaced unless it answers a `SELECT 1` within the grace.
   * Errors that are not connection-level are ignored.
   */
  reportConnectionLoss(error: unknown): void;
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
  const logger = options.logger ?? createLogger({ level: "warn", component: "database" });
  // Set once the first pool answers: a connection of it closing before then retires nothing.
  const replacing: { pools?: ReplacingClient<Pool> } = {};
  const openPool = async (): Promise<Pool> => {
    const pool = {} as Pool;
    pool.sql = postgres(url, {
      max: options.max ?? 4,
      connect_timeout: options.connectTimeoutSeconds ?? 10,
      onnotice: () => {},
      // A connection of the live pool that closes is the server going away: nothing else
      // closes one, since the driver's own lifetime (30-60 min) and idle timeout are off.
      max_lifetime: 0,
      idle_timeout: 0,
      onclose: () =>
        replacing.pools?.retire(
          pool,
          new ConnectionLostError("a connection of the pool closed", { operation: "connection" }),
        ),
      // Keep int8 as string in the driver; the repository converts ids with Number().
    });
    try {
      await pool.sql.unsafe("SELECT 1");
    } catch (err) {
      await pool.sql.end({ timeout: 1 }).catch(() => {});
      throw PersistenceError.from(err, "connect");
    }
    return pool;
  };
  const live = replacing.pools = await ReplacingClient.open<Pool>({
    open: openPool,
    end: (pool, graceSeconds) => pool.sql.end({ timeout: graceSeconds }),
    answers: async (pool) => (await pool.sql.unsafe("SELECT 1")).length === 1,
    where: options.where ?? "the database server",
    logger,
    graceSeconds: options.retireGraceSeconds,
    waitSeconds: options.reconnectWaitSeconds,
  });
  const unguard = guardProcess({ logger, suspect: (reason) => live.suspect(reason) });
  return {
    ...pooled(live),
    end: async () => {
      try {
        await live.close();
      } finally {
        unguard();
      }
    },
    reportConnectionLoss(error) {
      if (isConnectionLoss(error)) live.suspect(error);
    },
  };
}

/** The client over the live pool: each call takes the live pool (waiting while it is replaced). */
function pooled(pools: ReplacingClient<Pool>): SqlClient {
  /** Runs `fn` on the live pool; a connection-level failure retires that pool. */
  const onPool = async <T>(operation: string, fn: (pool: Pool) => Promise<T>): Promise<T> => {
    const pool = await pools.acquire(operation);
    try {
      return await fn(pool);
    } catch (err) {
      if (isConnectionLoss(err)) pools.retire(pool, err);
      throw err;
    }
  };
  return {
    engine: "postgres",
    query<T extends Row = Row>(
      text: string,
      params: readonly unknown[] = [],
      operation = "query",
    ): Promise<T[]> {
      return onPool(operation, (pool) => run(pool.sql, text, params, operation));
    },
    exec(script: string, operation = "exec"): Promise<void> {
      return onPool(operation, (pool) => runScript(pool.sql, script, operation));
    },
    transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      return onPool("transaction", async (pool) => {
        try {
          return await pool.sql.begin((tx) => fn(held(tx, "tx", pool, pools))) as T;
        } catch (err) {
          throw err instanceof Error && !("code" in err)
            ? err
            : PersistenceError.from(err, "transaction");
        }
      });
    },
    session<T>(fn: (conn: SqlClient) => Promise<T>): Promise<T> {
      return onPool("session", async (pool) => {
        const reserved = await pool.sql.reserve();
        try {
          return await fn(held(reserved, "reserved", pool, pools));
        } finally {
          reserved.release();
        }
      });
    },
  };
}

async function run<T extends Row>(
  sql: AnySql | AnyTx | AnyReserved,
  text: string,
  params: readonly unknown[],
  operation: string,
): Promise<T[]> {
  try {
    // unsafe() with parameters still sends them separately from the text (extended protocol).
    const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
    return [...rows] as unknown as T[];
  } catch (err) {
    throw PersistenceError.from(err, operation);
  }
}

async function runScript(
  sql: AnySql | AnyTx | AnyReserved,
  script: string,
  operation: string,
): Promise<void> {
  try {
    await sql.unsafe(script); // no parameters: simple protocol, several statements allowed
  } catch (err) {
    throw PersistenceError.from(err, operation);
  }
}

/**
 * A client over one held connection of `pool` (a transaction, or a reserved session). Once the
 * pool is retired, a new statement fails at once: handed to a connection whose socket closed,
 * the driver would lose it (the lost write).
 */
function held(
  sql: AnyTx | AnyReserved,
  kind: "tx" | "reserved",
  pool: Pool,
  pools: ReplacingClient<Pool>,
): SqlClient {
  const live = (operation: string) => {
    if (!pools.isRetired(pool)) return;
    throw new ConnectionLostError(
      `${operation} failed: the connection was lost (the database server went away)`,
      { operation },
    );
  };
  /** Runs a statement on the held connection; a connection-level failure retires its pool. */
  const onHeld = async <T>(operation: string, fn: () => Promise<T>): Promise<T> => {
    live(operation);
    try {
      return await fn();
    } catch (err) {
      if (isConnectionLoss(err)) pools.retire(pool, err);
      throw err;
    }
  };
  const client: SqlClient = {
    engine: "postgres",
    async query<T extends Row = Row>(
      text: string,
      params: readonly unknown[] = [],
      operation = "query",
    ): Promise<T[]> {
      return await onHeld(operation, () => run<T>(sql, text, params, operation));
    },
    async exec(script: string, operation = "exec"): Promise<void> {
      await onHeld(operation, () => runScript(sql, script, operation));
    },
    async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      if (kind === "tx") {
        live("savepoint");
        return await (sql as AnyTx).savepoint((sp) => fn(held(sp, "tx", pool, pools))) as T;
      }
      // Reserved connection: plain BEGIN/COMMIT on that connection.
      await client.exec("BEGIN", "begin");
      try {
        const out = await fn(held(sql, "tx", pool, pools));
        await client.exec("COMMIT", "commit");
        return out;
      } catch (err) {
        // On a retired pool the server has rolled back already (its connection is gone).
        if (!pools.isRetired(pool)) await client.exec("ROLLBACK", "rollback").catch(() => {});
        throw err;
      }
    },
    session: (fn) => fn(client),
  };
  return client;
}
