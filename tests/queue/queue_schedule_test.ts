/**
 * Cron schedules in queue mode with real processes: three `gam worker` processes register the
 * same schedule in pg-boss's scheduler; each tick makes exactly one run, and a tick delivered
 * twice makes one run too.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { moduleTempDir } from "../../src/_testing/temp_dir.ts";
import { openDatabase } from "../../src/persistence/mod.ts";
import { openBoss, SCHEDULE_QUEUE } from "../../src/queue/boss.ts";
import type { ScheduleTick } from "../../src/queue/schedules.ts";
import {
  endRunsUnder,
  requireQueueServer,
  startWorker,
  stopWorkers,
  type WorkerProcess,
  writeConfig,
} from "./_fixture.ts";

await requireQueueServer();

/** The queue settings of the fixture's configurations (see `writeConfig`). */
const queueSettings = {
  schema: "pgboss",
  retryLimit: 1,
  retryDelay: 0,
  retryBackoff: false,
  expireIn: 4,
  keepFinished: 604800,
};

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

Deno.test("a schedule tick delivered twice submits one run (its id is the tick's)", async () => {
  const dir = await moduleTempDir({ prefix: "gam-queue-tick-" });
  const workers: WorkerProcess[] = [];
  const url = Deno.env.get("DATABASE_URL")!;
  const boss = await openBoss({ url, settings: queueSettings });
  const db = await openDatabase({ url });
  try {
    // A yearly schedule whose last tick is a minute 1 to 140 days ago (local time), a different
    // one for each run of the test (run ids are the ticks' and the database is shared): no tick
    // of its own falls in the test; the test delivers that last tick, twice.
    const minutes = 1440 + crypto.getRandomValues(new Uint32Array(1))[0] % 200_000;
    const past = new Date(Math.floor(Date.now() / 60_000 - minutes) * 60_000);
    const path = await writeConfig(dir, { bbox: [10, 45, 10.2, 45.2] });
    const config = parse(await Deno.readTextFile(path));
    config.modalities.gravity.schedule =
      `${past.getMinutes()} ${past.getHours()} ${past.getDate()} ${past.getMonth() + 1} *`;
    config.modalities.magnetic.enabled = false;
    await Deno.writeTextFile(path, stringify(config));
    workers.push(await startWorker(path, "all"), await startWorker(path, "all"));
    const tick: ScheduleTick = { modality: "gravity" };
    const ids = await Promise.all([
      boss.send(SCHEDULE_QUEUE, tick),
      boss.send(SCHEDULE_QUEUE, tick),
    ]);
    // Both deliveries are handled (their jobs complete): poll the engine's job table.
    type Out = { runId: string; tick: string; submitted: boolean };
    const outputs: Out[] = [];
    for (let i = 0; outputs.length < 2; i++) {
      assert.ok(
        i < 600,
        `the two ticks were not handled:\n${workers.map((w) => w.log()).join("\n")}`,
      );
      await new Promise((r) => setTimeout(r, 100));
      outputs.length = 0;
      for (const id of ids) {
        const job = await boss.getJobById(SCHEDULE_QUEUE, id!);
        if (job?.state === "completed") outputs.push(job.output as Out);
      }
    }
    assert.equal(outputs[0].runId, outputs[1].runId, "one run id for the tick");
    assert.equal(outputs[0].tick, outputs[1].tick);
    assert.equal(outputs[0].tick, past.toISOString(), "the schedule's last tick");
    assert.deepEqual(outputs.map((o) => o.submitted).sort(), [false, true]);
    const runs = await db.sql.query<{ id: string }>(
      `SELECT r.id FROM runs r JOIN metadata m ON m.run_id = r.id AND m.key = 'queue/plan'
        WHERE m.value->>'runDir' LIKE $1`,
      [`${dir}/%`],
      "test",
    );
    assert.deepEqual(runs.map((r) => r.id), [outputs[0].runId]);
    // Its jobs once: one ingest and one preprocess (one tile of 0.2 degrees).
    const jobs = await db.sql.query<{ name: string; n: number }>(
      `SELECT name, count(*)::int AS n FROM pgboss.job WHERE data->>'runId' = $1
          AND name IN ('gam-ingest', 'gam-preprocess') GROUP BY name ORDER BY name`,
      [outputs[0].runId],
      "test",
    );
    assert.deepEqual(jobs, [{ name: "gam-ingest", n: 1 }, { name: "gam-preprocess", n: 1 }]);
  } finally {
    await stopWorkers(workers);
    await boss.stop({ graceful: false, timeout: 2_000 });
    try {
      await db.sql.query("DELETE FROM pgboss.schedule WHERE name = 'gam-schedule'", [], "cleanup");
    } finally {
      await db.close();
    }
    await endRunsUnder(dir);
    await Deno.remove(dir, { recursive: true });
  }
});
