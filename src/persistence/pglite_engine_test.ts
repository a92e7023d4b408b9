import assert from "node:assert/strict";
import { openPglite, prestartPglite } from "./pglite_engine.ts";
import { PersistenceError } from "./errors.ts";
import { moduleTempDir } from "../_testing/temp_dir.ts";
import { readTemplate, saveTemplate } from "./pglite_template.ts";

Deno.test("openPglite() refuses a data folder another instance has open, and frees it on close", async () => {
  const dir = `${await moduleTempDir()}/db`;
  const first = await openPglite(dir);
  try {
    await assert.rejects(() => openPglite(dir), (e: unknown) => {
      assert.ok(e instanceof PersistenceError);
      assert.match(e.message, /is in use by another gam process/);
      return true;
    });
  } finally {
    await first.close();
  }
  const again = await openPglite(dir);
  assert.deepEqual(await again.query("SELECT 1 AS one"), [{ one: 1 }]);
  await again.close();
});

Deno.test("openPglite() commits, rolls back on a throw and nests savepoints through its worker", async () => {
  const dir = `${await moduleTempDir()}/db`;
  const db = await openPglite(dir);
  try {
    await db.exec("CREATE TABLE t (n int PRIMARY KEY CONSTRAINT t_small CHECK (n < 100))");
    await db.transaction(async (tx) => {
      await tx.query("INSERT INTO t VALUES ($1)", [1]);
      await assert.rejects(
        () =>
          tx.transaction(async (inner) => {
            await inner.query("INSERT INTO t VALUES ($1)", [2]);
            throw new RangeError("inner step refused");
          }),
        RangeError,
      );
      await tx.query("INSERT INTO t VALUES ($1)", [3]);
    });
    const boom = new TypeError("caller's own error");
    await assert.rejects(
      () =>
        db.transaction(async (tx) => {
          await tx.query("INSERT INTO t VALUES ($1)", [4]);
          throw boom;
        }),
      (e: unknown) => e === boom,
    );
    const rows = await db.query<{ n: number }>("SELECT n FROM t ORDER BY n");
    assert.deepEqual(rows.map((r) => r.n), [1, 3]);
  } finally {
    await db.close();
  }
});

Deno.test("openPglite() errors cross the worker as PersistenceError with message, constraint and SQLSTATE", async () => {
  const dir = `${await moduleTempDir()}/db`;
  const db = await openPglite(dir);
  try {
    await db.exec("CREATE TABLE t (n int CONSTRAINT t_small CHECK (n < 100))");
    await assert.rejects(() => db.query("INSERT INTO t VALUES ($1)", [500], "insertT"), (e) => {
      assert.ok(e instanceof PersistenceError);
      assert.equal(e.operation, "insertT");
      assert.equal(e.constraint, "t_small");
      assert.equal(e.table, "t");
      assert.equal(e.code, "23514");
      assert.match(
        e.message,
        /^insertT failed \(table "t", constraint "t_small"\): .*\[SQLSTATE 23514\]/,
      );
      return true;
    });
    await assert.rejects(
      () => db.transaction((tx) => tx.query("SELECT * FROM no_such_table", [], "readMissing")),
      (e) => e instanceof PersistenceError && e.code === "42P01" && e.operation === "readMissing",
    );
    // A parameter that cannot be sent to the worker is refused the same way.
    await assert.rejects(
      () => db.query("SELECT $1::text", [() => "not a value"], "sendFunction"),
      (e) => e instanceof PersistenceError && /^sendFunction failed: /.test(e.message),
    );
    // The failed statements left the connection usable.
    assert.deepEqual(await db.query("SELECT count(*)::int AS n FROM t"), [{ n: 0 }]);
  } finally {
    await db.close();
  }
  await assert.rejects(() => db.query("SELECT 1"), PersistenceError);
});

Deno.test("openPglite() dumps its data folder and reopens from a dump", async () => {
  const dir = `${await moduleTempDir()}/db`;
  const db = await openPglite(dir);
  try {
    await db.exec("CREATE TABLE t (s text); INSERT INTO t VALUES ('kept')");
    const dump = await db.dumpDataDir("gzip");
    assert.ok(dump instanceof Uint8Array);
    assert.deepEqual([dump[0], dump[1]], [0x1f, 0x8b], "gzip magic");
    await db.exec("DROP TABLE t");
    await db.replace(async () => {
      await Deno.remove(dir, { recursive: true });
      await Deno.mkdir(dir);
      return new Blob([dump as BlobPart]);
    });
    assert.deepEqual(await db.query("SELECT s FROM t"), [{ s: "kept" }]);
  } finally {
    await db.close();
  }
});

Deno.test("prestartPglite() hands its worker to openPglite; cancel() then leaves the client open", async () => {
  const dir = `${await moduleTempDir()}/db`;
  const start = prestartPglite();
  const db = await openPglite(dir, { engine: start });
  try {
    start.cancel();
    assert.deepEqual(await db.query("SELECT 1 AS one"), [{ one: 1 }]);
  } finally {
    await db.close();
  }
});

Deno.test("prestartPglite() cancelled before use: openPglite starts a worker of its own", async () => {
  const dir = `${await moduleTempDir()}/db`;
  const start = prestartPglite();
  start.cancel();
  start.cancel(); // a second cancel is harmless
  const db = await openPglite(dir, { engine: start });
  try {
    assert.deepEqual(await db.query("SELECT 2 AS two"), [{ two: 2 }]);
  } finally {
    await db.close();
  }
});

Deno.test("openPglite() unpacks a new data folder from a valid template and rewrites an invalid one", async () => {
  const dir = await Deno.makeTempDir();
  const template = `${dir}/db.template.tar.gz`;
  const hasMarker = async (c: { query: (s: string) => Promise<unknown[]> }) =>
    (await c.query("SELECT to_regclass('template_marker') IS NOT NULL AS has"))[0];
  try {
    // A template made by hand from a database holding a marker table and PostGIS.
    const source = await openPglite(`${dir}/source`);
    try {
      await source.exec("CREATE EXTENSION postgis; CREATE TABLE template_marker ()");
      await saveTemplate(template, await source.dumpDataDir("gzip"));
    } finally {
      await source.close();
    }
    const fromTemplate = await openPglite(`${dir}/a`, { template });
    try {
      assert.deepEqual(await hasMarker(fromTemplate), { has: true });
      const [{ v }] = await fromTemplate.query("SELECT postgis_lib_version() AS v");
      assert.match(String(v), /^3\./);
    } finally {
      await fromTemplate.close();
    }
    // One byte changed: the checksum fails, the folder is created anew and the template rewritten.
    const bytes = await Deno.readFile(template);
    bytes[bytes.length >> 1] ^= 1;
    await Deno.writeFile(template, bytes);
    const created = await openPglite(`${dir}/b`, { template });
    try {
      assert.deepEqual(await hasMarker(created), { has: false });
    } finally {
      await created.close();
    }
    const rewritten = await readTemplate(template);
    assert.ok(rewritten !== undefined, "the template was rewritten with a valid checksum");
    // An existing data folder is opened as it is, never from the template.
    const reopened = await openPglite(`${dir}/a`, { template });
    try {
      assert.deepEqual(await hasMarker(reopened), { has: true });
    } finally {
      await reopened.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
