import assert from "node:assert/strict";
import { scratchDatabase, skipServer } from "./_testing.ts";
import { spawnGam } from "../../tests/_gam_cli.ts";
import {
  loadMigrations,
  migrate,
  MIGRATION_LOCK_KEY,
  MigrationError,
  migrationStatus,
  openDatabase,
} from "./mod.ts";
import type { Database } from "./mod.ts";

const skipServerSuite = await skipServer("src/persistence/migrator_test.ts");

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "gam_migrations_" });
  for (const [name, sql] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${name}`, sql);
  return dir;
}

Deno.test("loadMigrations() orders files by number and hashes them", async () => {
  const dir = await migrationsDir({
    "0002_b.sql": "SELECT 2;",
    "0010_c.sql": "SELECT 10;",
    "0001_a.sql": "SELECT 1;",
    "README.md": "not a migration",
  });
  try {
    const files = await loadMigrations(dir);
    assert.deepEqual(files.map((f) => [f.version, f.name]), [[1, "a"], [2, "b"], [10, "c"]]);
    const expected = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("SELECT 1;"));
    assert.equal(
      files[0].checksum,
      Array.from(new Uint8Array(expected), (b) => b.toString(16).padStart(2, "0")).join(""),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadMigrations() rejects a misnamed file and a duplicate version, naming the file", async () => {
  const bad = await migrationsDir({ "0001_a.sql": "", "2_oops.sql": "" });
  const dup = await migrationsDir({ "0001_a.sql": "", "0001_b.sql": "" });
  try {
    await assert.rejects(() => loadMigrations(bad), (e: unknown) => {
      assert.ok(e instanceof MigrationError);
      assert.match(e.message, /2_oops\.sql" is misnamed: expected NNNN_snake_case_name\.sql/);
      assert.ok(e.file?.endsWith("2_oops.sql"));
      return true;
    });
    await assert.rejects(() => loadMigrations(dup), /Two migration files share version 1/);
    await assert.rejects(() => loadMigrations(`${bad}/nope`), /Cannot read the migrations folder/);
  } finally {
    await Deno.remove(bad, { recursive: true });
    await Deno.remove(dup, { recursive: true });
  }
});

/** Opens the server scratch database when there is one, else an embedded database. */
async function anyDatabase(): Promise<{ db: Database; cleanup: () => Promise<void> }> {
  if (!skipServerSuite) {
    const scratch = await scratchDatabase("gam_mig_test");
    const db = await openDatabase({ url: scratch.url, migrate: false });
    return { db, cleanup: async () => (await db.close(), await scratch.drop()) };
  }
  const dir = await Deno.makeTempDir({ prefix: "gam_mig_test_" });
  const db = await openDatabase({ url: null, dataDir: `${dir}/db`, migrate: false });
  return {
    db,
    cleanup: async () => (await db.close(), await Deno.remove(dir, { recursive: true })),
  };
}

Deno.test({
  name: "migrate() applies in order, refuses a changed applied file, rolls back a failing one",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await migrationsDir({
      "0001_create.sql": "CREATE TABLE t1 (id int PRIMARY KEY);",
      "0002_fill.sql": "INSERT INTO t1 VALUES (1), (2);",
    });
    const { db, cleanup } = await anyDatabase();
    try {
      const st0 = await migrationStatus(db.sql, { dir });
      assert.deepEqual(st0.applied, []);
      assert.deepEqual(st0.pending.map((p) => p.version), [1, 2]);
      const r1 = await migrate(db.sql, { dir });
      assert.deepEqual(r1.applied.map((a) => a.name), ["create", "fill"]);
      const [{ c }] = await db.sql.query<{ c: unknown }>("SELECT count(*) AS c FROM t1");
      assert.equal(Number(c), 2);

      // Editing an applied file is refused, naming the file; status flags it.
      await Deno.writeTextFile(`${dir}/0002_fill.sql`, "INSERT INTO t1 VALUES (1), (2), (3);");
      await Deno.writeTextFile(`${dir}/0003_more.sql`, "INSERT INTO t1 VALUES (4);");
      await assert.rejects(() => migrate(db.sql, { dir }), (e: unknown) => {
        assert.ok(e instanceof MigrationError);
        assert.equal(e.file, `${dir}/0002_fill.sql`);
        assert.match(e.message, /0002_fill\.sql" has changed since it was applied/);
        return true;
      });
      const st1 = await migrationStatus(db.sql, { dir });
      assert.deepEqual(st1.applied.map((a) => a.changed), [false, true]);
      assert.deepEqual(st1.pending.map((p) => p.version), [3]);
      const [{ c: c1 }] = await db.sql.query<{ c: unknown }>("SELECT count(*) AS c FROM t1");
      assert.equal(Number(c1), 2, "nothing was applied after the refusal");

      // Restored file: the pending one applies. A failing file rolls back completely.
      await Deno.writeTextFile(`${dir}/0002_fill.sql`, "INSERT INTO t1 VALUES (1), (2);");
      await Deno.writeTextFile(`${dir}/0004_broken.sql`, "INSERT INTO t1 VALUES (5);\nSELEC oops;");
      await assert.rejects(() => migrate(db.sql, { dir }), (e: unknown) => {
        assert.ok(e instanceof MigrationError);
        assert.equal(e.file, `${dir}/0004_broken.sql`);
        assert.match(e.message, /failed and was rolled back/);
        return true;
      });
      const ids = await db.sql.query<{ id: number }>("SELECT id FROM t1 ORDER BY id");
      assert.deepEqual(ids.map((r) => r.id), [1, 2, 4]);
      const st2 = await migrationStatus(db.sql, { dir });
      assert.deepEqual(st2.applied.map((a) => a.version), [1, 2, 3]);
      assert.deepEqual(st2.pending.map((p) => p.version), [4]);

      // Nothing pending: an up-to-date database is left as it is, and a changed applied file
      // is still refused.
      await Deno.remove(`${dir}/0004_broken.sql`);
      assert.deepEqual(await migrate(db.sql, { dir }), { applied: [], alreadyApplied: 3 });
      await Deno.writeTextFile(
        `${dir}/0001_create.sql`,
        "CREATE TABLE t1 (id bigint PRIMARY KEY);",
      );
      await assert.rejects(
        () => migrate(db.sql, { dir }),
        /0001_create\.sql" has changed since it was applied/,
      );
      await Deno.writeTextFile(`${dir}/0001_create.sql`, "CREATE TABLE t1 (id int PRIMARY KEY);");

      // A file removed after it was applied is refused too.
      await Deno.remove(`${dir}/0003_more.sql`);
      await assert.rejects(
        () => migrate(db.sql, { dir }),
        /Applied migration 0003_more\.sql is missing/,
      );
    } finally {
      await cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "two concurrent `gam db migrate` processes never interleave (advisory lock)",
  ignore: skipServerSuite,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // The first migrator to get the lock stops inside its first migration on a gate lock this
    // test holds, until the test has seen the other one waiting for the migration lock: no
    // window for the second process to start in, however slowly the machine starts processes.
    const GATE = "7340001";
    const insert = (n: number) =>
      `INSERT INTO trace (migration, pid) VALUES (${n}, pg_backend_pid());`;
    const slow = (n: number) => `SELECT pg_sleep(0.7);\n${insert(n)}`;
    const dir = await migrationsDir({
      "0001_trace.sql":
        "CREATE TABLE trace (migration int, pid int, at timestamptz DEFAULT clock_timestamp());\n" +
        `SELECT pg_advisory_xact_lock(${GATE});\n` + insert(1),
      "0002_slow.sql": slow(2),
      "0003_slow.sql": slow(3),
    });
    const scratch = await scratchDatabase("gam_mig_conc");
    const observer = await openDatabase({ url: scratch.url, migrate: false });
    try {
      const spawn = () =>
        spawnGam(["db", "migrate", "--migrations-dir", dir, "--json"], {
          env: { DATABASE_URL: scratch.url },
        });
      let sawWaiter = false;
      const [oa, ob] = await observer.sql.session(async (gate) => {
        await gate.query("SELECT pg_advisory_lock($1::bigint)", [GATE], "gate (lock)");
        const a = spawn();
        const b = spawn();
        // Neither can finish while the gate is held: one that exits has failed.
        let exited = false;
        Promise.race([a.status, b.status]).then(() => (exited = true));
        try {
          // While one migrates, the other must be seen waiting for the migration lock. The
          // deadline only ends the wait when that never happens.
          const deadline = Date.now() + 120_000;
          while (!sawWaiter && !exited && Date.now() < deadline) {
            const [{ n }] = await observer.sql.query<{ n: unknown }>(
              `SELECT count(*) AS n FROM pg_locks
               WHERE locktype = 'advisory' AND NOT granted
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND ((classid::bigint << 32) | objid::bigint) = $1::bigint AND objsubid = 1`,
              [MIGRATION_LOCK_KEY],
            );
            sawWaiter = Number(n) > 0;
            if (!sawWaiter) await new Promise((r) => setTimeout(r, 50));
          }
        } finally {
          await gate.query("SELECT pg_advisory_unlock($1::bigint)", [GATE], "gate (unlock)");
        }
        return await Promise.all([a.output(), b.output()]);
      });
      const dec = (x: Uint8Array) => new TextDecoder().decode(x);
      assert.equal(oa.code, 0, dec(oa.stderr));
      assert.equal(ob.code, 0, dec(ob.stderr));
      assert.ok(sawWaiter, "never saw the second migrator waiting for the lock");
      const reports = [JSON.parse(dec(oa.stdout)), JSON.parse(dec(ob.stdout))];
      const counts = reports.map((r) => r.applied.length).sort();
      assert.deepEqual(counts, [0, 3]);
      assert.deepEqual(reports.map((r) => r.alreadyApplied).sort(), [0, 3]);
      const trace = await observer.sql.query<{ migration: number; pid: number }>(
        "SELECT migration, pid FROM trace ORDER BY at",
      );
      assert.deepEqual(trace.map((r) => r.migration), [1, 2, 3]);
      assert.equal(new Set(trace.map((r) => r.pid)).size, 1, "all three applied by one session");
      const rows = await observer.sql.query<{ version: number }>(
        "SELECT version FROM schema_migrations ORDER BY version",
      );
      assert.deepEqual(rows.map((r) => r.version), [1, 2, 3]);
    } finally {
      await observer.close();
      await scratch.drop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
