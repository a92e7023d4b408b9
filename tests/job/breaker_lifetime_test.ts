/**
 * `gam serve` keeps one ingestion service per configuration for its lifetime: repeated runs
 * against a failing loopback source open the circuit breaker, and the next run fails fast
 * without calling the source. The runs are made the way `gam serve` makes them (`runJob` with
 * the service's `IngestionServices` and plugin pool), a real plugin process, a real server.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { loadConfig } from "../../src/config/mod.ts";
import { createLogger } from "../../src/observability/mod.ts";
import { MetricsRegistry } from "../../src/observability/metrics/mod.ts";
import { PluginPool } from "../../src/ingestion/mod.ts";
import { createProgress, IngestionServices, runJob } from "../../src/job/mod.ts";
import { moduleTempDir } from "../../src/_testing/temp_dir.ts";
import { migrateServerDatabase } from "../_gam_cli.ts";

await migrateServerDatabase();

Deno.test("repeated scheduled runs against a failing loopback source open the breaker, which holds across runs", async () => {
  const dir = await moduleTempDir({ prefix: "gam-breaker-life-" });
  let hits = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    hits++;
    return new Response("down for maintenance", { status: 503 });
  });
  const host = `127.0.0.1:${server.addr.port}`;
  const plugins = new PluginPool();
  const services = new IngestionServices();
  try {
    const source = {
      plugin: "http",
      params: {
        url: `http://${host}/survey.csv`,
        sha256: "0".repeat(64),
        columns: { lon: 0, lat: 1, value: 2 },
        licence: "test",
        citation: "test",
      },
      permissions: { net: [host] },
      allowInsecureHttp: [host],
    };
    const modality = (units: string, enabled: boolean) => ({
      enabled,
      units,
      source,
      retry: { maxAttempts: 1 },
      circuitBreaker: { threshold: 2, halfOpenAfterMs: 600_000 },
      pipeline: { version: "1.0.0", definition: "grid(spacing=0.1)" },
    });
    await Deno.writeTextFile(
      `${dir}/gam.yaml`,
      stringify({
        version: 1,
        defaults: {
          bbox: [10, 45, 10.5, 45.5],
          workers: 1,
          outputDir: `${dir}/out`,
          cacheDir: `${dir}/cache`,
        },
        modalities: { gravity: modality("mGal", true), magnetic: modality("nT", false) },
      }),
    );
    const loaded = await loadConfig({ configPath: `${dir}/gam.yaml`, env: {} });
    const registry = new MetricsRegistry();
    const silent = createLogger({ level: "error", sink: () => {} });
    const run = () =>
      runJob({
        loaded,
        modalities: ["gravity"],
        logger: silent,
        progress: createProgress({ tty: false, logger: silent }),
        registry,
        plugins,
        ingestionServices: services,
      });
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push((await run()).modalities[0]);
    assert.deepEqual(outcomes.map((m) => m.outcome), ["failed", "failed", "failed"]);
    // Two failures opened the breaker (threshold 2): the third run did not reach the source.
    assert.equal(hits, 2);
    assert.match(outcomes[2].error ?? "", /circuit|breaker/i);
    assert.equal(services.size, 1);
  } finally {
    await services.close();
    await plugins.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
