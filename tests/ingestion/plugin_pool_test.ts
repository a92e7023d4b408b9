/**
 * `gam serve` keeps one warm plugin process per modality: scheduled runs reuse it (the start is
 * paid once), a crashed one is replaced, a changed source starts a new one.
 */
import assert from "node:assert/strict";
import { ConfigService } from "../../src/config/mod.ts";
import { IngestionService, PluginPool } from "../../src/ingestion/mod.ts";
import { createLogger } from "../../src/observability/mod.ts";
import { MetricsRegistry } from "../../src/observability/metrics/mod.ts";
import { PipelineServer } from "../../src/job/mod.ts";

const BASE = new URL("../../config/ingestion.yaml", import.meta.url);

Deno.test("scheduled runs reuse the same plugin process; a crashed one is replaced; a changed source restarts it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gam-pool-" });
  const pool = new PluginPool();
  const registry = new MetricsRegistry();
  try {
    const text = (await Deno.readTextFile(BASE)).replace(
      "listen: 127.0.0.1:9464",
      "listen: 127.0.0.1:0",
    );
    await Deno.writeTextFile(`${dir}/ingestion.yaml`, text);
    const config = await ConfigService.start({
      configPath: `${dir}/ingestion.yaml`,
      watch: false,
      metrics: registry,
      env: {},
    });
    const pids: (number | undefined)[] = [];
    const server = new PipelineServer({
      config,
      registry,
      logger: createLogger({ level: "silent" }),
      // What runJob does with the pool, minus the database.
      runModality: async (snapshot, modality, signal) => {
        const { providers, failures } = await pool.load(snapshot.config, {
          modalities: [modality],
        });
        assert.equal(failures.size, 0, [...failures.values()].join("; "));
        const service = new IngestionService({ providers });
        try {
          const r = await service.fetch(modality, [10, 45, 10.2, 45.2], {
            params: { stations: 50 },
            signal,
          });
          assert.ok(r.data.kind === "points" && r.data.points.value.length === 50);
        } finally {
          await service.close(); // leaves the pooled process running
        }
        pids.push((await pool.plugin(modality))?.pid);
        return { outcome: "ok" };
      },
    });
    await server.start();
    try {
      await server.trigger("gravity");
      await server.trigger("gravity");
      assert.equal(pids.length, 2);
      assert.ok(pids[0] !== undefined);
      assert.equal(pids[1], pids[0], "the second run reuses the first run's process");

      // The process dies between runs: the next run gets a fresh one.
      const plugin = (await pool.plugin("gravity"))!;
      Deno.kill(pids[0]!, "SIGKILL");
      await server.trigger("gravity");
      assert.notEqual(pids[2], pids[0]);
      assert.equal(plugin.restarts, 1);
      assert.equal(await pool.plugin("gravity"), plugin, "the same pooled plugin, a new process");

      // The other modality has its own process.
      await server.trigger("magnetic");
      assert.notEqual(pids[3], pids[2]);

      // A changed source (here its params) replaces the pooled process.
      const changed = structuredClone(config.current().config);
      changed.modalities.gravity.source.params = { seed: 7 };
      await pool.load(changed, { modalities: ["gravity"] });
      const next = (await pool.plugin("gravity"))!;
      assert.notEqual(next, plugin);
      assert.notEqual(next.pid, pids[2]);
      assert.equal(plugin.pid, undefined, "the replaced plugin's process is stopped");

      // A modality dropped from the configuration has its process stopped.
      const magnetic = (await pool.plugin("magnetic"))!;
      await pool.retain(["gravity"]);
      assert.equal(magnetic.pid, undefined);
      assert.equal(await pool.plugin("magnetic"), undefined);
      assert.equal((await pool.plugin("gravity"))?.pid, next.pid);
    } finally {
      await server.stop();
      config.close();
    }
  } finally {
    await pool.close();
    await Deno.remove(dir, { recursive: true });
  }
});
