/**
 * The database lock of fetch-through across processes: two processes sharing a cache folder
 * whose file locks exclude nobody (hosts over NFS) still fetch a key once, because `gam run`
 * wires a PostgreSQL advisory lock on the entry path when a server database is configured.
 */
import assert from "node:assert/strict";
import { rawDataChecksum } from "../../src/contracts/checksum.ts";
import { syntheticPoints } from "../../src/cache/testdata/fixtures.ts";
import { scratchDatabase, skipServer } from "../../src/persistence/_testing.ts";
import { advisoryLock, advisoryLockId, openDatabase } from "../../src/persistence/mod.ts";
import { fetchTogether } from "./_fetch_children.ts";

const skip = await skipServer("tests/cache/advisory_lock_test.ts");

Deno.test({
  name: "two processes, one key, file locks that exclude nobody: the advisory lock makes one fetch",
  ignore: skip,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "gam-advisory-" });
    const scratch = await scratchDatabase("gam_advisory");
    try {
      // The schema first, so the children do not race to migrate (the migrator has its own lock).
      await (await openDatabase({ url: scratch.url, migrate: true })).close();
      const log = `${root}/fetches.log`;
      const results = await fetchTogether(2, ["fetch-shared", `${root}/cache`, log, scratch.url]);
      const fetchers = (await Deno.readTextFile(log)).trim().split("\n");
      assert.equal(fetchers.length, 1, `fetched by ${fetchers.join(", ")}`);
      assert.deepEqual(results.map((r) => r.outcome).sort(), ["hit", "miss"]);
      const expected = rawDataChecksum(syntheticPoints(50_000, 11));
      assert.deepEqual(results.map((r) => r.checksum), [expected, expected]);
    } finally {
      await scratch.drop();
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "advisoryLock() makes a second session wait until the first releases",
  ignore: skip,
  async fn() {
    const scratch = await scratchDatabase("gam_advisory");
    const db = await openDatabase({ url: scratch.url, migrate: true });
    try {
      const first = await advisoryLock(db.sql, "ingestion/gravity/k");
      let secondTaken = false;
      const second = advisoryLock(db.sql, "ingestion/gravity/k").then((l) => {
        secondTaken = true;
        return l;
      });
      // The second session is blocked in the server: pg_locks shows it waiting. A poll, kept:
      // the server sends no event when a session starts waiting on a lock (LISTEN/NOTIFY does
      // not cover lock waits), and the blocked session itself cannot report it.
      const id = advisoryLockId("ingestion/gravity/k");
      for (;;) {
        const rows = await db.sql.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
             AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
          [id],
        );
        if (rows[0].n === "1") break;
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(secondTaken, false);
      await first[Symbol.asyncDispose]();
      await (await second)[Symbol.asyncDispose]();
      assert.equal(secondTaken, true);
    } finally {
      await db.close();
      await scratch.drop();
    }
  },
});

Deno.test("advisoryLockId() is a signed 64-bit integer, stable for a name", () => {
  const a = advisoryLockId("ingestion/gravity/abc");
  assert.equal(a, advisoryLockId("ingestion/gravity/abc"));
  assert.notEqual(a, advisoryLockId("ingestion/gravity/abd"));
  const n = BigInt(a);
  assert.ok(n >= -(2n ** 63n) && n < 2n ** 63n);
});
