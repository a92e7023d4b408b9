/**
 * Faults from a loopback HTTP server (500s, 429 with Retry-After, hangs, slow and truncated
 * bodies, garbage) against the icgem plugin under the ingestion service's policies.
 */
import assert from "node:assert/strict";
import { icgem } from "../../src/plugins/in_process.ts";
import { IngestionCache } from "../../src/cache/mod.ts";
import {
  IngestionService,
  isSourceDown,
  ModalityFetchError,
  PluginTimeoutError,
  type ResilienceSettings,
  resolvePluginModule,
  SandboxedPlugin,
  SourceHttpError,
  SourceNetworkError,
} from "../../src/ingestion/mod.ts";
import { GdfSyntaxError } from "../../src/formats/mod.ts";
import { RecordingMetrics } from "./_helpers.ts";
import { useManualClock } from "../../src/_testing/clock.ts";
import { fetchDataset } from "../../src/datasets/mod.ts";
import { newTraceparent } from "../../src/observability/mod.ts";

const BBOX = [150, 16, 164, 28] as const;
// The fetcher's error, when the file is nowhere, names it and its source.
const gdf = await Deno.readFile(await fetchDataset("icgem-sample.gdf"));

type Fault = "ok" | "500" | "429" | "hang" | "slow" | "truncated" | "garbage" | "404";

/** Resolves after `ms`, or as soon as `signal` aborts (the client went away). */
function hold(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

function faultServer(script: Fault[]) {
  const requests: { fault: Fault; at: number }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const fault = script[Math.min(requests.length, script.length - 1)];
    requests.push({ fault, at: performance.now() });
    switch (fault) {
      case "500":
        return new Response("internal error", { status: 500 });
      case "404":
        return new Response("no such model", { status: 404 });
      case "429":
        return new Response("slow down", { status: 429, headers: { "retry-after": "1" } });
      case "hang":
        // Ends when the client gives up (its timeout), so shutdown() need not wait for it.
        return hold(3000, req.signal).then(() => new Response(gdf));
      case "slow":
        return new Response(
          new ReadableStream({
            async start(c) {
              c.enqueue(gdf.subarray(0, 100));
              await hold(3000, req.signal);
              try {
                c.close();
              } catch { /* cancelled: the client went away */ }
            },
          }),
        );
      case "truncated": {
        // Declares the full length and closes the stream early.
        const body = new ReadableStream({
          start(c) {
            c.enqueue(gdf.subarray(0, 1000));
            c.error(new Error("connection reset"));
          },
        });
        return new Response(body, { headers: { "content-length": String(gdf.length) } });
      }
      case "garbage":
        return new Response("<html>maintenance</html>");
      default:
        return new Response(gdf);
    }
  });
  const host = `127.0.0.1:${server.addr.port}`;
  return { server, requests, host, baseUrl: `http://${host}/calcgrid` };
}

function policy(over: Partial<ResilienceSettings> = {}): ResilienceSettings {
  return {
    // well above a loopback answer on a loaded CI machine, well below the 3 s hang
    timeoutMs: 1500,
    retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 2000, jitter: "full" },
    circuitBreaker: { threshold: 10, halfOpenAfterMs: 100 },
    bulkhead: { maxConcurrent: 2, queue: 2 },
    rateLimit: { requestsPerSecond: 100, burst: 10 },
    ...over,
  };
}

function service(host: string, over: Partial<ResilienceSettings> = {}) {
  const plugin = icgem.createPlugin({ params: {}, allowInsecureHttp: [host] });
  const metrics = new RecordingMetrics();
  const s = new IngestionService({
    providers: {
      gravity: {
        id: icgem.manifest.id,
        version: icgem.manifest.version,
        fetch: (r) =>
          plugin.fetch({
            traceId: r.correlationId,
            traceparent: newTraceparent(),
            grantedHosts: [host],
            ...r,
          }),
      },
    },
    resilience: { gravity: policy(over) },
    metrics,
    random: () => 0.5,
  });
  return { s, metrics };
}

Deno.test("two 500s then success: exactly 3 requests and 2 retries", async () => {
  const f = faultServer(["500", "500", "ok"]);
  const { s, metrics } = service(f.host);
  const r = await s.fetch("gravity", BBOX, { params: { baseUrl: f.baseUrl } });
  await f.server.shutdown();
  assert.equal(f.requests.length, 3);
  assert.equal(r.attempts, 3);
  assert.equal(metrics.get("gam_ingestion_retries_total", { modality: "gravity" }), 2);
  assert.equal(r.data.kind, "grid");
  if (r.data.kind === "grid") {
    assert.deepEqual([r.data.grid.lat.length, r.data.grid.lon.length], [7, 8]);
  }
});

Deno.test("500 forever: maxAttempts requests, then a clear error and nothing returned", async () => {
  const f = faultServer(["500"]);
  const { s } = service(f.host);
  const e = await s.fetch("gravity", BBOX, { params: { baseUrl: f.baseUrl } }).catch((e) => e);
  await f.server.shutdown();
  assert.ok(e instanceof ModalityFetchError);
  assert.ok(e.cause instanceof SourceHttpError && e.cause.status === 500);
  assert.equal(f.requests.length, 3);
  assert.match(e.message, /3 attempt\(s\) failed; last error: HTTP 500/);
});

Deno.test("429 with Retry-After: 1 waits at least one second before the retry", async () => {
  const f = faultServer(["429", "ok"]);
  const { s } = service(f.host);
  const r = await s.fetch("gravity", BBOX, { params: { baseUrl: f.baseUrl } });
  await f.server.shutdown();
  assert.equal(f.requests.length, 2);
  assert.equal(r.attempts, 2);
  assert.ok(f.requests[1].at - f.requests[0].at >= 990, "the retry honoured Retry-After");
});

Deno.test("404 is not retried", async () => {
  const f = faultServer(["404", "ok"]);
  const { s } = service(f.host);
  await assert.rejects(
    s.fetch("gravity", BBOX, { params: { baseUrl: f.baseUrl } }),
    ModalityFetchError,
  );
  await f.server.shutdown();
  assert.equal(f.requests.length, 1);
});

Deno.test("a hang and a slow body past the timeout are cut and retried", async () => {
  const f = faultServer(["hang", "slow", "ok"]);
  const { s } = service(f.host);
  const r = await s.fetch("gravity", BBOX, { params: { baseUrl: f.baseUrl } });
  assert.equal(f.requests.length, 3);
  assert.equal(r.attempts, 3);
  const f2 = faultServer(["hang"]);
  const { s: s2 } = service(f2.host, { retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
  const e = await s2.fetch("gravity", BBOX, { params: { baseUrl: f2.baseUrl } }).catch((e) => e);
  assert.ok(e.cause instanceof PluginTimeoutError);
  // The hung handlers end when their clients disconnect: shutdown() waits for them.
  await f.server.shutdown();
  await f2.server.shutdown();
});

Deno.test("a truncated body is a retryable network error; nothing corrupt is returned", async () => {
  const f = faultServer(["truncated", "truncated", "truncated"]);
  const { s } = service(f.host);
  const e = await s.fetch("gravity", BBOX, { params: { baseUrl: f.baseUrl } }).catch((e) => e);
  await f.server.shutdown();
  assert.ok(e instanceof ModalityFetchError);
  assert.ok(e.cause instanceof SourceNetworkError);
  assert.equal(e.sourceDown, true);
  assert.equal(f.requests.length, 3);
});

Deno.test("a garbage body fails with GdfSyntaxError, not retried, nothing returned", async () => {
  const f = faultServer(["garbage", "ok"]);
  const { s, metrics } = service(f.host);
  const e = await s.fetch("gravity", BBOX, { params: { baseUrl: f.baseUrl } }).catch((e) => e);
  await f.server.shutdown();
  assert.ok(e instanceof ModalityFetchError);
  assert.ok(e.cause instanceof GdfSyntaxError);
  assert.match(e.message, /no end_of_head/);
  assert.equal(f.requests.length, 1);
  assert.equal(
    metrics.get("gam_ingestion_fetch_total", {
      modality: "gravity",
      plugin: "icgem",
      outcome: "error",
    }),
    1,
  );
});

Deno.test("breaker: closed, open (the cache serves its stale copy), half-open, closed against the server", async () => {
  const f = faultServer(["500", "500", "ok", "ok"]);
  const dir = await Deno.makeTempDir({ prefix: "gam-breaker-" });
  let now = Date.parse("2026-01-01T00:00:00Z");
  const cache = new IngestionCache({ store: dir, policy: { ttl: 60 }, now: () => new Date(now) });
  // cockatiel times the open window with Date.now(): a manual clock moves through it, so the
  // breaker cannot go half-open early on a loaded machine nor make the test wait.
  using clock = useManualClock();
  const { s, metrics } = service(f.host, {
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    circuitBreaker: { threshold: 2, halfOpenAfterMs: 30_000 },
  });
  const params = { baseUrl: f.baseUrl };
  // a good copy to serve stale, fetched before the breaker opens
  const good = await (async () => {
    const f2 = faultServer(["ok"]);
    const { s: s2 } = service(f2.host);
    const r = await s2.fetch("gravity", BBOX, { params: { baseUrl: f2.baseUrl } });
    await f2.server.shutdown();
    return r.data;
  })();
  await assert.rejects(s.fetch("gravity", BBOX, { params }), ModalityFetchError);
  await assert.rejects(s.fetch("gravity", BBOX, { params }), ModalityFetchError);
  assert.equal(s.circuitState("gravity"), "open");
  // Open: no request reaches the server; the cache serves its expired copy (source down).
  const key = s.cacheKey("gravity", BBOX, params);
  try {
    await cache.put("gravity", key, good);
    now += 61_000;
    const stale = await cache.getOrFetch(
      "gravity",
      key,
      async () => (await s.fetch("gravity", BBOX, { params, cacheKey: key })).data,
      { serveStaleOn: isSourceDown },
    );
    assert.equal(stale.outcome, "stale");
    assert.equal(stale.data.metadata.checksum, good.metadata.checksum);
    assert.match((stale.error as Error).message, /circuit breaker is open/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(f.requests.length, 2);
  clock.advance(30_000);
  const fresh = await s.fetch("gravity", BBOX, { params });
  assert.equal(fresh.attempts, 1);
  assert.equal(s.circuitState("gravity"), "closed");
  assert.equal(f.requests.length, 3);
  await f.server.shutdown();
  const t = (from: string, to: string) =>
    metrics.get("gam_ingestion_circuit_transitions_total", { modality: "gravity", from, to });
  assert.deepEqual([t("closed", "open"), t("open", "half_open"), t("half_open", "closed")], [
    1,
    1,
    1,
  ]);
});

Deno.test("the icgem plugin in its sandbox fetches from the loopback server; plain http elsewhere is refused", async () => {
  const f = faultServer(["ok"]);
  const plugin = await SandboxedPlugin.load({
    plugin: "icgem",
    module: resolvePluginModule("icgem"),
    modality: "gravity",
    permissions: { net: ["icgem.gfz-potsdam.de", f.host] },
    allowInsecureHttp: [f.host],
  });
  const s = new IngestionService({
    providers: { gravity: plugin },
    resilience: { gravity: policy() },
  });
  const r = await s.fetch("gravity", BBOX, { params: { baseUrl: f.baseUrl, model: "EIGEN-6C4" } });
  assert.equal(r.data.units, "mGal");
  assert.equal(r.data.metadata.sourceUrl, `${f.baseUrl}`);
  if (r.data.kind === "grid") {
    assert.equal(r.data.grid.values[0], 0); // 150E 16N in the sample
    assert.equal(r.data.grid.values[r.data.grid.values.length - 1], 7);
  }
  const e = await s.fetch("gravity", BBOX, { params: { baseUrl: "http://example.org/calcgrid" } })
    .catch((e) => e);
  assert.match(e.message, /sources must use https/);
  await s.close();
  await f.server.shutdown();
});
