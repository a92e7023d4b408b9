import assert from "node:assert/strict";
import { ConfigService } from "../config/mod.ts";
import { createLogger, MetricsRegistry } from "../observability/mod.ts";
import { PipelineServer, type ScheduledRunResult } from "./serve.ts";

const BASE = new URL("../../config/ingestion.yaml", import.meta.url);

async function tempConfig(schedule: string | undefined): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "gam-serve-" });
  let text = await Deno.readTextFile(BASE);
  text = text.replace("listen: 127.0.0.1:9464", "listen: 127.0.0.1:0");
  if (schedule) text = text.replace(/# schedule: "0 3 \* \* \*".*\n/, `schedule: "${schedule}"\n`);
  const path = `${dir}/ingestion.yaml`;
  await Deno.writeTextFile(path, text);
  return path;
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

Deno.test("serve answers /healthz, /readyz and /metrics, and counts runs by outcome", async () => {
  const configPath = await tempConfig(undefined);
  const registry = new MetricsRegistry();
  const config = await ConfigService.start({
    configPath,
    watch: false,
    metrics: registry,
    env: {},
  });
  let ready = false;
  const calls: string[] = [];
  const server = new PipelineServer({
    config,
    registry,
    logger: createLogger({ level: "silent" }),
    ready: () => ready,
    runModality: (_cfg, modality): Promise<ScheduledRunResult> => {
      calls.push(modality);
      return Promise.resolve({ outcome: modality === "gravity" ? "ok" : "failed" });
    },
  });
  await server.start();
  const base = `http://127.0.0.1:${server.address!.port}`;
  try {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const notReady = await fetch(`${base}/readyz`);
    assert.equal(notReady.status, 503);
    await notReady.body?.cancel();
    ready = true;
    assert.equal(await (await fetch(`${base}/readyz`)).text(), "ready\n");
    await server.trigger("gravity");
    await server.trigger("magnetic");
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /gam_service_runs_total\{modality="gravity",outcome="ok"\} 1/);
    assert.match(metrics, /gam_service_runs_total\{modality="magnetic",outcome="failed"\} 1/);
    assert.match(metrics, /gam_service_queue_depth 0/);
    const missing = await fetch(`${base}/nope`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    assert.deepEqual(calls, ["gravity", "magnetic"]);
  } finally {
    await server.stop();
    config.close();
  }
});

Deno.test("serve skips a run while the previous one of the same modality is still going", async () => {
  const configPath = await tempConfig(undefined);
  const registry = new MetricsRegistry();
  const config = await ConfigService.start({
    configPath,
    watch: false,
    metrics: registry,
    env: {},
  });
  const gate = deferred<void>();
  let runs = 0;
  const server = new PipelineServer({
    config,
    registry,
    logger: createLogger({ level: "silent" }),
    runModality: async () => {
      runs++;
      await gate.promise;
      return { outcome: "ok" };
    },
  });
  await server.start();
  try {
    const first = server.trigger("gravity");
    assert.equal(server.trigger("gravity"), undefined);
    assert.deepEqual(server.running, ["gravity"]);
    gate.resolve();
    await first;
    assert.equal(runs, 1);
    assert.match(await registry.render(), /gam_service_runs_skipped_total\{modality="gravity"\} 1/);
  } finally {
    await server.stop();
    config.close();
  }
});

Deno.test("serve fires a modality at its cron time on the config snapshot it started with", async () => {
  const configPath = await tempConfig("* * * * *");
  const registry = new MetricsRegistry();
  const config = await ConfigService.start({
    configPath,
    watch: false,
    metrics: registry,
    env: {},
  });
  // A clock running 150 ms before the next minute boundary, advancing in real time.
  const realNow = Date.now();
  const offset = Math.ceil(realNow / 60_000) * 60_000 - 150 - realNow;
  const fired = deferred<{ modality: string; hash: string }>();
  const server = new PipelineServer({
    config,
    registry,
    now: () => new Date(Date.now() + offset),
    logger: createLogger({ level: "silent" }),
    runModality: (cfg, modality) => {
      fired.resolve({ modality, hash: cfg.hash });
      return Promise.resolve({ outcome: "ok" });
    },
  });
  await server.start();
  try {
    const got = await fired.promise;
    assert.equal(got.modality, "gravity");
    assert.equal(got.hash, config.current().hash);
    assert.match(
      await registry.render(),
      /gam_service_next_run_timestamp_seconds\{modality="gravity"\}/,
    );
  } finally {
    await server.stop();
    config.close();
  }
});

Deno.test("serve stop() waits for a running job and then refuses new ones", async () => {
  const configPath = await tempConfig(undefined);
  const registry = new MetricsRegistry();
  const config = await ConfigService.start({
    configPath,
    watch: false,
    metrics: registry,
    env: {},
  });
  let finished = false;
  const server = new PipelineServer({
    config,
    registry,
    logger: createLogger({ level: "silent" }),
    runModality: async () => {
      await new Promise((r) => setTimeout(r, 100));
      finished = true;
      return { outcome: "ok" };
    },
  });
  await server.start();
  server.trigger("magnetic");
  await server.stop();
  config.close();
  assert.equal(finished, true, "the in-flight run completed before stop() resolved");
  assert.equal(server.trigger("magnetic"), undefined);
});
