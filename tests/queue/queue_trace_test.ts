/**
 * Trace context across a queued run, with real processes against the PostgreSQL server of
 * `DATABASE_URL`: `gam run --mode queue` under the submitter's `TRACEPARENT`, `gam worker`
 * children of the io and cpu profiles writing their logs to the shared output folder; every
 * line of the run's jobs carries the run's trace and its tile, and `gam logs` merges the
 * submitter's and the workers' lines in time order.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { gam, migrateServerDatabase } from "../_gam_cli.ts";
import { moduleTempDir } from "../../src/_testing/temp_dir.ts";
import { parseTraceparent } from "../../src/observability/mod.ts";
import { startWorker, stopWorkers, writeConfig } from "./_fixture.ts";

if (!Deno.env.get("DATABASE_URL")) {
  throw new Error(
    "the queue tests need a PostgreSQL server: set DATABASE_URL (deno task test does)",
  );
}
await migrateServerDatabase();

const TRACE = "0af7651916cd43dd8448eb211c80319c";

Deno.test("a queued run's jobs log the submitter's trace and their tile in the workers' shared log files; gam logs merges them", async () => {
  const dir = await moduleTempDir({ prefix: "gam-queue-trace-" });
  const workers = [];
  try {
    const path = await writeConfig(dir, { bbox: [10, 45, 10.4, 45.4] });
    const config = parse(await Deno.readTextFile(path));
    config.defaults.logLevel = "info";
    await Deno.writeTextFile(path, stringify(config));
    workers.push(await startWorker(path, "io"), await startWorker(path, "cpu"));
    const queued = await gam(["run", "--config", path, "--json"], {
      TRACEPARENT: `00-${TRACE}-b7ad6b7169203331-01`,
    });
    assert.equal(queued.code, 0, queued.stderr.slice(-3000));
    const summary = JSON.parse(queued.stdout);
    assert.equal(parseTraceparent(summary.traceparent).traceId, TRACE);
    await stopWorkers(workers.splice(0));

    const files = [...Deno.readDirSync(`${dir}/out/logs`)].map((e) => e.name).sort();
    assert.equal(files.length, 2, files.join(", "));
    assert.ok(
      files[0].startsWith("worker-cpu-") && files[1].startsWith("worker-io-"),
      files.join(),
    );
    const all = files.flatMap((f) =>
      Deno.readTextFileSync(`${dir}/out/logs/${f}`).trim().split("\n").map((l) => JSON.parse(l))
    );
    const workerLines = all.filter((l) => l.runId === summary.runId);
    assert.ok(workerLines.length > 0);
    assert.deepEqual(workerLines.filter((l) => !l.traceparent).map((l) => l.msg), []);
    for (const l of workerLines) {
      assert.equal(parseTraceparent(l.traceparent).traceId, TRACE, JSON.stringify(l));
    }
    const tiles = new Set(workerLines.filter((l) => l.tile).map((l) => `${l.modality} ${l.tile}`));
    assert.equal(tiles.size, 2 * 4, [...tiles].join(", ")); // two modalities, 2 x 2 tiles
    // The workers' ingestion service outlives runs: its fetch lines are the run's by their trace.
    const fetches = all.filter((l) =>
      l.msg === "ingestion fetch end" && parseTraceparent(l.traceparent).traceId === TRACE
    );
    assert.ok(fetches.length >= 8, `${fetches.length} fetches`);
    const spans = new Set(fetches.map((l) => parseTraceparent(l.traceparent).spanId));
    assert.equal(spans.size, fetches.length, "each fetch a span of its own");

    const logs = await gam(["logs", summary.runId, "--output-dir", `${dir}/out`, "--json"]);
    assert.equal(logs.code, 0, logs.stderr);
    const printed = logs.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(printed.some((l) => l.msg === "queued run submitted" && l.component === "cli"));
    const tiled = workerLines.filter((l) => l.tile).length;
    assert.ok(tiled > 0);
    assert.equal(printed.filter((l) => l.tile).length, tiled);
    assert.ok(printed.length >= workerLines.length + fetches.length);
    assert.equal(printed.filter((l) => l.msg === "ingestion fetch end").length, fetches.length);
    const times = printed.map((l) => Date.parse(l.time));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), "time order");
    for (const l of printed) {
      assert.equal(parseTraceparent(l.traceparent).traceId, TRACE, JSON.stringify(l));
    }
  } finally {
    await stopWorkers(workers);
  }
});
