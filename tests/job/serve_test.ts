/**
 * `gam serve` as a real process: endpoints, a run triggered at start, metrics of the run,
 * and a clean stop on SIGTERM.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { moduleTempDir } from "../../src/_testing/temp_dir.ts";

import { migrateServerDatabase, ROOT, spawnGam, watchStderr } from "../_gam_cli.ts";

await migrateServerDatabase();

Deno.test({
  name: "gam serve runs the modalities, exposes their outcome in /metrics and stops on SIGTERM",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await moduleTempDir({ prefix: "gam-serve-" });
    // deno-lint-ignore no-explicit-any
    const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as Record<string, any>;
    c.defaults.bbox = [10.0, 45.0, 10.3, 45.3];
    c.defaults.outputDir = `${dir}/out`;
    c.defaults.cacheDir = `${dir}/cache`;
    // info: the service's events (service.ready, service.run_finished) are info lines.
    c.defaults.logLevel = "info";
    c.defaults.logFormat = "json";
    c.service.listen = "127.0.0.1:0";
    await Deno.writeTextFile(`${dir}/ingestion.yaml`, stringify(c));
    const child = spawnGam(["serve", "--config", `${dir}/ingestion.yaml`, "--run-now"], {
      stdout: "null",
    });
    // The child's stderr is read to its end in the background; `printed` awaits a line in it
    // (its deadline is only a failure bound, not a wait).
    const stderr = watchStderr(child);
    const printed = stderr.until;
    const event = (name: string, fields = "") => (t: string) =>
      t.split("\n").some((line) => line.includes(`"event":"${name}"`) && line.includes(fields));
    await printed("its address", (t) => /listening on http:\/\/[^ ]+/.test(t), 60_000);
    const base = /listening on (http:\/\/[^ ]+)/.exec(stderr.text())![1];
    try {
      assert.equal(await (await fetch(`${base}/healthz`)).text(), "ok\n");
      // Ready once the database is open (seconds for the embedded engine): the service logs
      // service.ready when it is, and /readyz must say so from then on.
      await printed("service.ready", event("service.ready"), 60_000);
      const readyz = await fetch(`${base}/readyz`);
      await readyz.body?.cancel();
      assert.equal(readyz.status, 200);
      // Each scheduled run logs service.run_finished once its metrics are recorded.
      for (const modality of ["gravity", "magnetic"]) {
        await printed(
          `service.run_finished for ${modality}`,
          event("service.run_finished", `"modality":"${modality}"`),
          90_000,
        );
      }
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /gam_service_runs_total\{modality="gravity",outcome="ok"\} 1/);
      assert.match(metrics, /gam_service_run_duration_seconds_count\{modality="gravity"\} 1/);
      assert.match(metrics, /gam_cache_requests_total\{layer="ingestion",outcome="miss"\}/);
      assert.match(metrics, /gam_ingestion_fetch_total\{.*outcome="ok".*\}/);
      assert.match(metrics, /gam_service_runs_in_flight 0/);
      assert.match(
        metrics,
        /gam_pipeline_stage_duration_seconds_count\{modality="gravity",stage="grid"\} 2/,
      );
      assert.match(metrics, /gam_run_modalities_total\{modality="magnetic",outcome="ok"\} 1/);
    } finally {
      child.kill("SIGTERM");
    }
    const status = await child.status;
    await stderr.ended;
    assert.equal(status.code, 0, stderr.text());
    assert.match(stderr.text(), /stopping/);
  },
});
