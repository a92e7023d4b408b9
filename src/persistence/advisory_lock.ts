/**
 * Named PostgreSQL session advisory locks: processes on different hosts that share one server
 * exclude each other on a name (a cache entry's path), where file locks may not reach (NFS).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { SqlClient } from "./sql_client.ts";
import { isConnectionLoss } from "./connection_loss.ts";

/**
 * The 64-bit advisory-lock id of `name`: the first 8 bytes of its SHA-256 as a signed integer,
 * in decimal (what `pg_advisory_lock(bigint)` takes).
 *
 * @example Usage
 * ```ts
 * import { advisoryLockId } from "./advisory_lock.ts";
 * const id = advisoryLockId("ingestion/gravity/abc");
 * console.assert(BigInt(id) >= -(2n ** 63n) && BigInt(id) < 2n ** 63n);
 * ```
 */
export function advisoryLockId(name: string): string {
  const digest = createHash("sha256").update(name).digest();
  return digest.readBigInt64BE(0).toString();
}

/**
 * Takes the session advisory lock of `name` on a dedicated connection of `sql` (waiting while
 * another session holds it) and returns its release. The connection is held until release;
 * the lock also goes when the connection closes (a killed process releases it), so a release
 * whose connection was lost (the server went away) succeeds: the server ended the lock with it.
 *
 * @param sql A server-engine client (`engine: "postgres"`). The embedded engine is one
 *   process's own, so it has nobody to exclude: use the cache's file lock alone there.
 * @param name What to lock, e.g. a cache entry path.
 * @throws {TypeError} for an embedded-engine client.
 *
 * It needs a PostgreSQL server: exercised by tests/cache/advisory_lock_test.ts.
 */
export function advisoryLock(sql: SqlClient, name: string): Promise<AsyncDisposable> {
  if (sql.engine !== "postgres") {
    return Promise.reject(
      new TypeError(
        `Advisory locks need the server engine (postgres), got "${sql.engine}"`,
      ),
    );
  }
  const id = advisoryLockId(name);
  return new Promise((resolve, reject) => {
    let release!: () => void;
    const released = new Promise<void>((r) => release = r);
    let taken = false;
    const session = sql.session(async (conn) => {
      await conn.query("SELECT pg_advisory_lock($1::bigint)", [id], `advisory lock "${name}"`);
      taken = true;
      try {
        resolve({
          async [Symbol.asyncDispose]() {
            release();
            await session;
          },
        });
        await released;
      } finally {
        await conn.query(
          "SELECT pg_advisory_unlock($1::bigint)",
          [id],
          `advisory unlock "${name}"`,
        ).catch((e) => {
          // A session lock ends with its session: when the connection was lost (the server
          // went away), the server has released it already, and the holder's work stands.
          if (!isConnectionLoss(e)) throw e;
        });
      }
    });
    session.catch((e) => {
      if (!taken) reject(e);
    });
  });
}
