import assert from "node:assert/strict";
import { ConfigService } from "../config/mod.ts";
import { createLogger } from "../observability/mod.ts";
import { MetricsRegistry } from "../observability/metrics/mod.ts";
import { PipelineServer, type PipelineServerOptions, type ScheduledRunResult } from "./serve.ts";
import { moduleTempDir } from "../_testing/temp_dir.ts";

const BASE = new URL("../../config/ingestion.yaml", import.meta.url);

async function tempConfig(schedule: string | undefined): Promise<string> {
  const dir = await moduleTempDir({ prefix: "gam-serve-" });
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

/** A started server on a temp config (loopback port 0) with its own metrics registry. */
async function startServer(
  options: Pick<PipelineServerOptions, "runModality" | "ready" | "now">,
  schedule?: string,
) {
  const registry = new MetricsRegistry();
  const config = await ConfigService.start({
    configPath: await tempConfig(schedule),
    watch: false,
    metrics: registry,
    env: {},
  });
  const server = new PipelineServer({
    ...options,
    config,
    registry,
    logger: createLogger({ level: "silent" }),
  });
  await server.start();
  return {
    server,
    config,
    registry,
    async close() {
      await server.stop();
      config.close();
    },
  };
}

Deno.test("serve answers /healthz, /readyz and /metrics, and counts runs by outcome", async () => {
  let ready = false;
  const calls: string[] = [];
  const { server, close } = await startServer({
    ready: () => ready,
    runModality: (_cfg, modality): Promise<ScheduledRunResult> => {
      calls.push(modality);
      return Promise.resolve({ outcome: modality === "gravity" ? "ok" : "failed" });
    },
  });
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
    assert.match(metrics, /gam_service_runs_in_flight 0/);
    const missing = await fetch(`${base}/nope`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    assert.deepEqual(calls, ["gravity", "magnetic"]);
  } finally {
    await close();
  }
});

Deno.test("serve skips a run while the previous one of the same modality is still going", async () => {
  const gate = deferred<void>();
  let runs = 0;
  const { server, registry, close } = await startServer({
    runModality: async () => {
      runs++;
      await gate.promise;
      return { outcome: "ok" };
    },
  });
  try {
    const first = server.trigger("gravity");
    assert.equal(server.trigger("gravity"), undefined);
    assert.deepEqual(server.running, ["gravity"]);
    gate.resolve();
    await first;
    assert.equal(runs, 1);
    assert.match(await registry.render(), /gam_service_runs_skipped_total\{modality="gravity"\} 1/);
  } finally {
    await close();
  }
});

Deno.test("serve fires a modality at its cron time on the config snapshot it started with", async () => {
  // A clock that reads 150 ms before a minute boundary when the server first asks for the time
  // (however long start-up took), advancing in real time from there.
  let offset: number | undefined;
  const now = () => {
    const real = Date.now();
    offset ??= Math.ceil(real / 60_000) * 60_000 - 150 - real;
    return new Date(real + offset);
  };
  const fired = deferred<{ modality: string; hash: string }>();
  const { config, registry, close } = await startServer({
    now,
    runModality: (cfg, modality) => {
      fired.resolve({ modality, hash: cfg.hash });
      return Promise.resolve({ outcome: "ok" });
    },
  }, "* * * * *");
  try {
    const got = await fired.promise;
    assert.equal(got.modality, "gravity");
    assert.equal(got.hash, config.current().hash);
    assert.match(
      await registry.render(),
      /gam_service_next_run_timestamp_seconds\{modality="gravity"\}/,
    );
  } finally {
    await close();
  }
});

Deno.test("serve stop() waits for a running job and then refuses new ones", async () => {
  let finished = false;
  const started = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const { server, close } = await startServer({
    runModality: async () => {
      started.resolve();
      await release.promise; // the job runs until the test lets it finish
      finished = true;
      return { outcome: "ok" };
    },
  });
  server.trigger("magnetic");
  await started.promise;
  let closed = false;
  const closing = close().then(() => closed = true);
  // One turn of the event loop (every pending microtask and callback): stop() still waits.
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(closed, false, "stop() waits while the job runs");
  release.resolve();
  await closing;
  assert.equal(finished, true, "the in-flight run completed before stop() resolved");
  assert.equal(server.trigger("magnetic"), undefined);
});
