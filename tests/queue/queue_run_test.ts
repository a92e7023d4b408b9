/**
 * Queued runs with real processes against the PostgreSQL server of `DATABASE_URL`: `gam worker`
 * children of the io and cpu profiles, `gam run --mode queue`, compared with a local run.
 */
import assert from "node:assert/strict";
import { gam } from "../_gam_cli.ts";
import { moduleTempDir } from "../../src/_testing/temp_dir.ts";
import type { RunSummary } from "../../src/job/mod.ts";
import {
  endRunsUnder,
  requireQueueServer,
  startWorker,
  stopWorkers,
  writeConfig,
} from "./_fixture.ts";

await requireQueueServer();

type Summary = RunSummary; // what `gam run --json` prints

Deno.test("a queued 4 x 4-tile run on io and cpu workers equals a local run bit for bit (idw, block-mean)", async () => {
  const dir = await moduleTempDir({ prefix: "gam-queue-run-" });
  const workers = [];
  try {
    const config = await writeConfig(dir);
    const local = await gam(["run", "--config", config, "--mode", "local", "--json"]);
    assert.equal(local.code, 0, local.stderr.slice(-3000));
    workers.push(await startWorker(config, "io"), await startWorker(config, "cpu"));
    const queued = await gam(["run", "--config", config, "--json"]);
    assert.equal(
      queued.code,
      0,
      queued.stderr.slice(-3000) + workers.map((w) => w.log()).join("\n"),
    );
    const a = JSON.parse(local.stdout) as Summary, b = JSON.parse(queued.stdout) as Summary;
    assert.equal(b.status, "succeeded");
    for (const m of ["gravity", "magnetic"]) {
      const la = a.modalities.find((x) => x.modality === m)!;
      const lb = b.modalities.find((x) => x.modality === m)!;
      assert.equal(lb.outcome, "ok", lb.error);
      assert.deepEqual(lb.grids.map((g) => g.checksum), la.grids.map((g) => g.checksum), m);
    }
    // The run folder of a local run: manifest (with the same checksums), anomalies, report.
    const runDir = (JSON.parse(queued.stdout) as { runDir: string }).runDir;
    const manifest = JSON.parse(await Deno.readTextFile(`${runDir}/manifest.json`));
    assert.equal(manifest.runId, b.runId);
    assert.deepEqual(
      manifest.modalities.map((m: Summary["modalities"][number]) => m.grids[0].checksum),
      b.modalities.map((m) => m.grids[0].checksum),
    );
    assert.match(await Deno.readTextFile(`${runDir}/report.html`), /<html/i);
    assert.ok((await Deno.stat(`${runDir}/anomalies.geojson`)).isFile);
    const status = await gam(["run", "status", b.runId, "--json", "--config", config]);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout);
    assert.equal(s.status, "succeeded");
    for (const m of s.modalities) {
      assert.equal(m.total, 16);
      assert.ok(m.tiles.every((t: { state: string }) => t.state === "ok"));
      assert.equal(m.persist, "ok");
    }
    // The workers' metrics: their jobs by outcome, the engine's depths, live workers by profile.
    const io = await (await fetch(`${workers[0].url}/metrics`)).text();
    const cpu = await (await fetch(`${workers[1].url}/metrics`)).text();
    const value = (text: string, re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
    assert.equal(value(io, /gam_jobs_total\{queue="gam-ingest",outcome="completed"\} (\d+)/), 32);
    assert.equal(
      value(cpu, /gam_jobs_total\{queue="gam-preprocess",outcome="completed"\} (\d+)/),
      32,
    );
    assert.equal(value(io, /gam_queue_depth\{queue="gam-ingest",state="created"\} (\d+)/), 0);
    assert.equal(value(io, /gam_workers\{profile="io"\} (\d+)/), 1);
    assert.equal(value(io, /gam_workers\{profile="cpu"\} (\d+)/), 1);
    assert.ok(value(cpu, /gam_job_duration_seconds_count\{queue="gam-mosaic"\} (\d+)/) >= 1);
    for (const w of workers) {
      const ready = await fetch(`${w.url}/readyz`);
      assert.equal(ready.status, 200);
      await ready.body?.cancel();
    }
    // SIGTERM: a clean stop (nothing in hand here), exit status 0.
    for (const w of workers.splice(0)) {
      w.child.kill("SIGTERM");
      const status = await w.exited();
      assert.equal(status.code, 0, w.log().slice(-2000));
    }
  } finally {
    await stopWorkers(workers);
    await endRunsUnder(dir);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gam run --mode queue --detach prints the run id; gam run cancel cancels its queued jobs", async () => {
  const dir = await moduleTempDir({ prefix: "gam-queue-detach-" });
  try {
    const config = await writeConfig(dir);
    // No worker runs: the jobs stay queued until cancelled.
    const r = await gam(["run", "--config", config, "--detach"]);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    const runId = r.stdout.trim();
    assert.match(runId, /^run-/);
    const before = JSON.parse(
      (await gam(["run", "status", runId, "--json", "--config", config])).stdout,
    );
    assert.equal(before.status, "running");
    assert.ok(before.modalities.every((m: { done: number }) => m.done === 0));
    const c = await gam(["run", "cancel", runId, "--config", config]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /cancelled \(64 queued jobs cancelled/); // 2 x 16 ingest + 2 x 16 preprocess
    const after = JSON.parse(
      (await gam(["run", "status", runId, "--json", "--config", config])).stdout,
    );
    assert.equal(after.status, "interrupted");
    const again = await gam(["run", "cancel", runId, "--config", config]);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /was not running; 0 queued jobs cancelled/);
  } finally {
    await endRunsUnder(dir);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("queue mode without a PostgreSQL server is a configuration error (exit 2) naming DATABASE_URL", async () => {
  const dir = await moduleTempDir({ prefix: "gam-queue-nodb-" });
  try {
    const config = await writeConfig(dir);
    for (
      const args of [["run", "--config", config], ["worker", "--profile", "io", "--config", config]]
    ) {
      const r = await gam(args, { DATABASE_URL: "" });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /set DATABASE_URL/);
    }
  } finally {
    await endRunsUnder(dir);
    await Deno.remove(dir, { recursive: true });
  }
});
