import assert from "node:assert/strict";
import { main } from "../main.ts";
import { scratchDatabase, skipServer } from "../../persistence/_testing.ts";
import { openDatabase } from "../../persistence/mod.ts";

const skipServerSuite = await skipServer("src/cli/commands/db_test.ts");
// The migrations shipped (numbered files of migrations/): the counts follow them.
const VERSIONS = [...Deno.readDirSync(new URL("../../../migrations/", import.meta.url))]
  .map((e) => /^(\d{4})_.*\.sql$/.exec(e.name)?.[1]).filter((v) => v !== undefined)
  .map(Number).sort((a, b) => a - b);

Deno.test("gam db reports usage errors with exit status 2", async () => {
  const quiet = console.error;
  console.error = () => {};
  try {
    assert.equal(await main(["db"]), 2);
    assert.equal(await main(["db", "frobnicate"]), 2);
    assert.equal(await main(["db", "backup"]), 2);
    assert.equal(await main(["db", "restore", "a", "b"]), 2);
    assert.equal(await main(["db", "status", "extra"]), 2);
    assert.equal(await main(["db", "status", "--no-such-flag"]), 2);
  } finally {
    console.error = quiet;
  }
});

Deno.test({
  name: "gam db migrate, status, backup, restore against a server",
  ignore: skipServerSuite,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const scratch = await scratchDatabase("gam_cli_test");
    const dir = await Deno.makeTempDir({ prefix: "gam_cli_test_" });
    const log = console.log;
    const err = console.error;
    const out: string[] = [];
    console.log = (...a: unknown[]) => out.push(a.join(" "));
    console.error = (...a: unknown[]) => out.push(a.join(" "));
    const url = ["--database-url", scratch.url];
    try {
      // Pending migrations: exit 1, so a deploy script can gate on it.
      assert.equal(await main(["db", "status", ...url]), 1);
      assert.ok(out.includes(`0 applied, ${VERSIONS.length} pending`), out.join("\n"));
      assert.equal(await main(["db", "migrate", ...url, "--json"]), 0);
      assert.deepEqual(
        JSON.parse(out.at(-1)!).applied.map((a: { version: number }) => a.version),
        VERSIONS,
      );
      assert.equal(await main(["db", "status", ...url]), 0);
      assert.ok(out.includes(`${VERSIONS.length} applied, 0 pending`), out.join("\n"));

      const db = await openDatabase({ url: scratch.url });
      await db.repo.createRun({ id: "cli-run" });
      await db.close();
      const file = `${dir}/gam.dump`;
      assert.equal(await main(["db", "backup", file, ...url]), 0);
      assert.ok((await Deno.stat(file)).size > 0);
      const db2 = await openDatabase({ url: scratch.url });
      await db2.sql.query("DELETE FROM runs");
      await db2.close();
      assert.equal(await main(["db", "restore", file, ...url]), 0);
      const db3 = await openDatabase({ url: scratch.url });
      assert.equal((await db3.repo.getRun("cli-run"))?.status, "running");
      await db3.close();
      // The run left running is listed with its verdict (no owner recorded, just started).
      assert.equal(await main(["db", "status", ...url, "--json"]), 0);
      const running = JSON.parse(out.at(-1)!).running;
      assert.deepEqual(running.map((r: { id: string; verdict: string }) => [r.id, r.verdict]), [
        ["cli-run", "fresh"],
      ]);

      // Restoring something that is not a dump fails with status 1 and says why.
      await Deno.writeTextFile(`${dir}/junk`, "hello");
      assert.equal(await main(["db", "restore", `${dir}/junk`, ...url]), 1);
      assert.match(out.at(-1)!, /is neither; expected a pg_dump custom-format file/);
    } finally {
      console.log = log;
      console.error = err;
      await scratch.drop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
