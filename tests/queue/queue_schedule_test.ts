/**
 * Cron schedules in queue mode with real processes: three `gam worker` processes register the
 * same schedule in pg-boss's scheduler; each tick makes exactly one run.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { moduleTempDir } from "../../src/_testing/temp_dir.ts";
import { openDatabase } from "../../src/persistence/mod.ts";
import {
  endRunsUnder,
  requireQueueServer,
  startWorker,
  stopWorkers,
  type WorkerProcess,
  writeConfig,
} from "./_fixture.ts";

await requireQueueServer();

Deno.test("a schedule registered by 3 worker processes makes exactly one run per tick", async () => {
  const dir = await moduleTempDir({ prefix: "gam-queue-cron-" });
  const workers: WorkerProcess[] = [];
  try {
    const path = await writeConfig(dir, { bbox: [10, 45, 10.4, 45.4] });
    const config = parse(await Deno.readTextFile(path));
    config.modalities.gravity.schedule = "* * * * *";
    config.modalities.magnetic.enabled = false;
    config.defaults.logLevel = "info"; // the workers' "queued run ended" lines
    config.defaults.logFormat = "json";
    await Deno.writeTextFile(path, stringify(config));
    for (let i = 0; i < 3; i++) workers.push(await startWorker(path, "all"));
    const ended = async () => {
      const runs: { id: string; done: boolean }[] = [];
      const entries = await Array.fromAsync(Deno.readDir(`${dir}/out/runs`)).catch(() => []);
      for (const e of entries) {
        const done = await Deno.stat(`${dir}/out/runs/${e.name}/queue.json`).then(
          () => true,
          () => false,
        );
        runs.push({ id: e.name, done });
      }
      return runs;
    };
    // Two ticks (one a minute): a worker logs "queued run ended" once a run's queue.json is
    // written; await two such lines across the workers. The 200 s bound only ends the wait for
    // a schedule that never fires (the assertions below then say what was seen).
    const endedLines = () =>
      workers.reduce((n, w) => n + (w.log().match(/queued run ended/g)?.length ?? 0), 0);
    let gone = false;
    for (const w of workers) w.exited().then(() => (gone = true));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<"expired">((r) => {
      timer = setTimeout(() => r("expired"), 200_000);
    });
    try {
      while (endedLines() < 2 && !gone) {
        if (await Promise.race([...workers.map((w) => w.more()), bound]) === "expired") break;
      }
    } finally {
      clearTimeout(timer);
    }
    const runs = await ended();
    const done = runs.filter((r) => r.done);
    assert.ok(done.length >= 2, `two scheduled runs ended: ${JSON.stringify(runs)}`);
    // Exactly one run per tick: the run ids carry their start time, one per minute.
    const minutes = runs.map((r) => r.id.slice(4, 17)); // YYYYMMDDTHHMM
    assert.equal(new Set(minutes).size, runs.length, `one run per tick: ${runs.map((r) => r.id)}`);
    for (const r of done) {
      const q = JSON.parse(await Deno.readTextFile(`${dir}/out/runs/${r.id}/queue.json`));
      assert.equal(q.status, "succeeded");
      assert.deepEqual(Object.keys(q.plan.modalities), ["gravity"]);
    }
  } finally {
    await stopWorkers(workers);
    // The schedule lives in the shared database: removed, with any tick not yet taken.
    const db = await openDatabase({ url: Deno.env.get("DATABASE_URL")! });
    try {
      await db.sql.query("DELETE FROM pgboss.schedule WHERE name = 'gam-schedule'", [], "cleanup");
      await db.sql.query(
        "DELETE FROM pgboss.job WHERE name = 'gam-schedule' AND state IN ('created', 'retry')",
        [],
        "cleanup",
      );
    } finally {
      await db.close();
    }
    await endRunsUnder(dir);
    await Deno.remove(dir, { recursive: true });
  }
});
