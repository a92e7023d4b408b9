import assert from "node:assert/strict";
import { openPglite } from "./pglite_engine.ts";
import { PersistenceError } from "./errors.ts";

Deno.test("openPglite() refuses a data folder another instance has open, and frees it on close", async () => {
  const dir = `${await Deno.makeTempDir()}/db`;
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
