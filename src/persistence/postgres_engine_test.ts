/**
 * The server client when its server ends its connections, without restarting the server: an
 * administrator's `pg_terminate_backend` closes every connection of the client (what a restart
 * does to them), with the client idle, holding an advisory lock on a reserved connection, or
 * inside a transaction. The client must replace itself, settle what it held, and go on.
 */
import assert from "node:assert/strict";
import { createLogger } from "../observability/mod.ts";
import { scratchDatabase, skipServer } from "./_testing.ts";
import { within } from "../_testing/within.ts";
import {
  advisoryLock,
  advisoryLockId,
  type Database,
  isConnectionLoss,
  openDatabase,
} from "./mod.ts";

const skip = await skipServer("src/persistence/postgres_engine_test.ts");

/** A client logging to memory; `logged(msg)` resolves when a line `msg` is written. */
async function observedClient(url: string) {
  const lines: string[] = [];
  const waiting: { msg: string; resolve: () => void }[] = [];
  const logger = createLogger({
    level: "info",
    sink: (l) => {
      lines.push(l);
      const { msg } = JSON.parse(l);
      for (const w of waiting) if (w.msg === msg) w.resolve();
    },
  });
  const db = await openDatabase({ url, migrate: false, logger });
  return {
    db,
    lines,
    logged(msg: string): Promise<void> {
      const p = Promise.withResolvers<void>();
      waiting.push({ msg, resolve: p.resolve });
      return p.promise;
    },
  };
}

/** Ends every other session of the database, as a server restart does; returns how many. */
async function terminateOthers(admin: Database): Promise<number> {
  const rows = await admin.sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()) t`,
  );
  return rows[0].n;
}

Deno.test({
  name:
    "connections ended under an idle client holding an advisory lock: replaced, lock released, next query runs",
  ignore: skip,
  async fn() {
    const scratch = await scratchDatabase("gam_connloss");
    const admin = await openDatabase({ url: scratch.url, migrate: false });
    try {
      const c = await observedClient(scratch.url);
      try {
        const lock = await advisoryLock(c.db.sql, "ingestion/gravity/entry");
        await c.db.sql.query("SELECT 1"); // a second connection of the pool, idle after this
        const replaced = c.logged("database client replaced");
        assert.ok(await terminateOthers(admin) >= 2, "the client's connections were ended");
        // No query is in flight: the connections' closing alone retires the pool.
        await within(replaced, 30_000, "the replacement");
        // The lock's release settles (the server ended the lock with its session) and does not
        // end the process (the driver's lost write on the dead reserved connection is not sent).
        await within(Promise.resolve(lock[Symbol.asyncDispose]()), 30_000, "the lock's release");
        const [{ n }] = await c.db.sql.query<{ n: number }>("SELECT 1 AS n");
        assert.equal(n, 1, "the new pool answers");
        const [{ free }] = await admin.sql.query<{ free: boolean }>(
          "SELECT pg_try_advisory_lock($1::bigint) AS free",
          [advisoryLockId("ingestion/gravity/entry")],
        );
        assert.equal(free, true, "nobody holds the lock any more");
        const messages = c.lines.map((l) => JSON.parse(l).msg);
        assert.equal(
          messages.filter((m) =>
            m === "database server went away: client retired, opening a new one"
          )
            .length,
          1,
          messages.join("\n"),
        );
      } finally {
        await c.db.close();
      }
    } finally {
      await admin.close();
      await scratch.drop();
    }
  },
});

Deno.test({
  name:
    "connections ended inside a transaction: it fails at once with a connection loss, the next one commits",
  ignore: skip,
  async fn() {
    const scratch = await scratchDatabase("gam_connloss_tx");
    const admin = await openDatabase({ url: scratch.url, migrate: false });
    try {
      await admin.sql.exec("CREATE TABLE t (n int)");
      const c = await observedClient(scratch.url);
      try {
        const replaced = c.logged("database client replaced");
        const inside = Promise.withResolvers<void>();
        const tx = c.db.sql.transaction(async (tx) => {
          await tx.query("INSERT INTO t VALUES (1)");
          inside.resolve();
          await replaced; // the server ended the connection meanwhile
          await tx.query("INSERT INTO t VALUES (2)"); // refused: its connection is gone
        });
        await inside.promise;
        await terminateOthers(admin);
        const error = await within(tx.then(() => undefined, (e) => e), 30_000, "the transaction");
        assert.ok(isConnectionLoss(error), `a connection loss: ${error}`);
        await within(replaced, 30_000, "the replacement");
        await c.db.sql.transaction((tx) => tx.query("INSERT INTO t VALUES (3)"));
        const rows = await admin.sql.query<{ n: number }>("SELECT n FROM t ORDER BY n");
        assert.deepEqual(rows.map((r) => r.n), [3], "the first transaction rolled back");
      } finally {
        await c.db.close();
      }
    } finally {
      await admin.close();
      await scratch.drop();
    }
  },
});
