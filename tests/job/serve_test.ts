/**
 * `gam serve` as a real process: endpoints, a run triggered at start, metrics of the run,
 * and a clean stop on SIGTERM.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { moduleTempDir } from "../../src/_testing/temp_dir.ts";

import { migrateServerDatabase, ROOT, spawnGam } from "../_gam_cli.ts";

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
    c.defaults.logLevel = "warn";
    c.service.listen = "127.0.0.1:0";
    await Deno.writeTextFile(`${dir}/ingestion.yaml`, stringify(c));
    const child = spawnGam(["serve", "--config", `${dir}/ingestion.yaml`, "--run-now"], {
      stdout: "null",
    });
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    let base: string | undefined;
    while (base === undefined) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      base = /listening on (http:\/\/[^ ]+)/.exec(text)?.[1];
    }
    assert.ok(base, `serve printed its address; stderr: ${text}`);
    // Keep draining stderr so the child never blocks on a full pipe.
    const drained = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += value;
      }
    })();
    try {
      assert.equal(await (await fetch(`${base}/healthz`)).text(), "ok\n");
      // Ready once the database is open (seconds for the embedded engine). The polls of
      // /readyz and /metrics are kept: the child prints no line when its database opens or a
      // scheduled run ends (src/job/serve.ts logs neither), so the endpoints are the only
      // outward sign of those events; printing them would change the service, not this test.
      let ready = 0;
      const since = Date.now();
      while (Date.now() - since < 60_000 && ready !== 200) {
        const r = await fetch(`${base}/readyz`);
        await r.body?.cancel();
        ready = r.status;
        if (ready !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(ready, 200);
      let metrics = "";
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline) {
        metrics = await (await fetch(`${base}/metrics`)).text();
        if (
          /gam_service_runs_total\{modality="magnetic",outcome="ok"\} 1/.test(metrics) &&
          /gam_service_runs_total\{modality="gravity",outcome="ok"\} 1/.test(metrics)
        ) break;
        await new Promise((r) => setTimeout(r, 250));
      }
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
    await drained;
    assert.equal(status.code, 0, text);
    assert.match(text, /stopping/);
  },
});
