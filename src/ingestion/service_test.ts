import assert from "node:assert/strict";
import { ContractError } from "../contracts/mod.ts";
import { MetricsRegistry } from "../observability/metrics/mod.ts";
import { doubleProvider, pointData, RecordingMetrics } from "../../tests/ingestion/_helpers.ts";
import { useManualClock } from "../_testing/clock.ts";
import {
  ingestionCacheKey,
  IngestionService,
  isSourceDown,
  JitteredBackoff,
  ModalityFetchError,
  type PostFetchEvent,
  type ResilienceSettings,
  SourceHttpError,
  SourceNetworkError,
  TokenBucket,
  UnknownModalityError,
} from "./mod.ts";

const BBOX = [10, 45, 11, 46] as const;

function settings(over: Partial<ResilienceSettings> = {}): ResilienceSettings {
  return {
    timeoutMs: 2000,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, jitter: "full" },
    circuitBreaker: { threshold: 100, halfOpenAfterMs: 50 },
    bulkhead: { maxConcurrent: 4, queue: 4 },
    rateLimit: { requestsPerSecond: 1000, burst: 100 },
    ...over,
  };
}

Deno.test("fetch() retries a 5xx exactly maxAttempts - 1 times and then succeeds", async () => {
  const p = doubleProvider((req, call) =>
    call < 3
      ? Promise.reject(new SourceHttpError(503, "https://x"))
      : Promise.resolve(pointData(req))
  );
  const metrics = new RecordingMetrics();
  const s = new IngestionService({
    providers: { gravity: p },
    resilience: { gravity: settings() },
    metrics,
  });
  const r = await s.fetch("gravity", BBOX);
  assert.equal(p.calls, 3);
  assert.equal(r.attempts, 3);
  assert.match(r.data.metadata.checksum!, /^sha256:/);
  assert.equal(metrics.get("gam_ingestion_retries_total", { modality: "gravity" }), 2);
  assert.equal(
    metrics.get("gam_ingestion_fetch_total", {
      modality: "gravity",
      plugin: "double",
      outcome: "ok",
    }),
    1,
  );
});

Deno.test("fetch() does not retry a 404, and fails the modality with ModalityFetchError", async () => {
  const p = doubleProvider(() => Promise.reject(new SourceHttpError(404, "https://x")));
  const s = new IngestionService({
    providers: { gravity: p },
    resilience: { gravity: settings() },
  });
  const e = await s.fetch("gravity", BBOX).catch((e) => e);
  assert.ok(e instanceof ModalityFetchError);
  assert.equal(e.attempts, 1);
  assert.equal(p.calls, 1);
  assert.match(e.message, /gravity.*"double".*HTTP 404/);
});

Deno.test("fetch() gives up after maxAttempts network errors", async () => {
  const p = doubleProvider(() => Promise.reject(new SourceNetworkError("https://x", "reset")));
  const s = new IngestionService({
    providers: { gravity: p },
    resilience: { gravity: settings() },
  });
  const e = await s.fetch("gravity", BBOX).catch((e) => e);
  assert.ok(e instanceof ModalityFetchError);
  assert.equal(p.calls, 3);
  assert.equal(e.attempts, 3);
});

Deno.test("fetch() rejects invalid data with ContractError, counts it and never retries it", async () => {
  const p = doubleProvider((req) => {
    const d = pointData(req);
    if (d.kind === "points") d.points.lon[0] = 50; // outside the bbox
    return Promise.resolve(d);
  });
  const metrics = new RecordingMetrics();
  const s = new IngestionService({
    providers: { gravity: p },
    resilience: { gravity: settings() },
    metrics,
  });
  await assert.rejects(s.fetch("gravity", BBOX), ContractError);
  assert.equal(p.calls, 1);
  assert.equal(
    metrics.get("gam_ingestion_fetch_total", {
      modality: "gravity",
      plugin: "double",
      outcome: "invalid",
    }),
    1,
  );
});

Deno.test("fetch() rejects data for another bbox, modality or plugin than requested", async () => {
  const cases: [string, (d: ReturnType<typeof pointData>) => void, RegExp][] = [
    ["bbox", (d) => (d.bbox = [10, 45, 12, 46]), /bbox: expected the requested/],
    [
      "modality",
      (d) => Object.assign(d, { modality: "magnetic", units: "nT" }),
      /modality: expected "gravity"/,
    ],
    [
      "plugin",
      (d) => (d.source = { plugin: "other", version: "1.0.0" }),
      /source: expected double/,
    ],
    ["checksum", (d) => (d.metadata.checksum = `sha256:${"0".repeat(64)}`), /does not match/],
  ];
  for (const [, mutate, re] of cases) {
    const p = doubleProvider((req) => {
      const d = pointData(req);
      mutate(d);
      return Promise.resolve(d);
    });
    const s = new IngestionService({ providers: { gravity: p } });
    await assert.rejects(
      s.fetch("gravity", BBOX),
      (e: Error) => e instanceof ContractError && re.test(e.message),
    );
  }
});

Deno.test("the circuit goes closed, open, half-open and closed again", async () => {
  // cockatiel reads Date.now() for the half-open window: a manual clock replaces it.
  using clock = useManualClock();
  let fail = true;
  const p = doubleProvider((req) =>
    fail ? Promise.reject(new SourceHttpError(500, "https://x")) : Promise.resolve(pointData(req))
  );
  const metrics = new RecordingMetrics();
  const s = new IngestionService({
    providers: { gravity: p },
    resilience: {
      gravity: settings({
        retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
        // The default window: the test moves the clock instead of waiting.
        circuitBreaker: { threshold: 2, halfOpenAfterMs: 30_000 },
      }),
    },
    metrics,
  });
  await assert.rejects(s.fetch("gravity", BBOX), ModalityFetchError);
  assert.equal(s.circuitState("gravity"), "closed");
  await assert.rejects(s.fetch("gravity", BBOX), ModalityFetchError);
  assert.equal(s.circuitState("gravity"), "open");
  const open = await s.fetch("gravity", BBOX).catch((e) => e);
  assert.ok(open instanceof ModalityFetchError);
  assert.equal(open.attempts, 0);
  assert.match(open.message, /circuit breaker is open/);
  assert.equal(p.calls, 2);
  clock.advance(29_999);
  const stillOpen = await s.fetch("gravity", BBOX).catch((e) => e);
  assert.match(stillOpen.message, /circuit breaker is open/, "open until the window has passed");
  clock.advance(1);
  fail = false;
  const ok = await s.fetch("gravity", BBOX);
  assert.equal(ok.attempts, 1);
  assert.equal(s.circuitState("gravity"), "closed");
  const t = (from: string, to: string) =>
    metrics.get("gam_ingestion_circuit_transitions_total", { modality: "gravity", from, to });
  assert.deepEqual([t("closed", "open"), t("open", "half_open"), t("half_open", "closed")], [
    1,
    1,
    1,
  ]);
  assert.equal(metrics.get("gam_ingestion_circuit_state", { modality: "gravity" }), 0);
  assert.equal(
    metrics.get("gam_ingestion_fetch_total", {
      modality: "gravity",
      plugin: "double",
      outcome: "circuit_open",
    }),
    2,
  );
});

Deno.test("fetch() marks a failure sourceDown only when the source is unreachable", async () => {
  const down = new IngestionService({
    providers: {
      gravity: doubleProvider(() => Promise.reject(new SourceHttpError(502, "https://x"))),
    },
    resilience: { gravity: settings({ retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } }) },
  });
  const e = await down.fetch("gravity", BBOX, { params: { a: 1 } }).catch((e) => e);
  assert.ok(e instanceof ModalityFetchError);
  assert.equal(e.attempts, 2);
  assert.equal(e.sourceDown, true);
  assert.equal(isSourceDown(e), true);
  // A refused request (HTTP 404) is the request's fault: no cached copy may stand in.
  const refused = new IngestionService({
    providers: {
      gravity: doubleProvider(() => Promise.reject(new SourceHttpError(404, "https://x"))),
    },
    resilience: { gravity: settings() },
  });
  const r = await refused.fetch("gravity", BBOX).catch((e) => e);
  assert.ok(r instanceof ModalityFetchError);
  assert.equal(r.sourceDown, false);
  assert.equal(isSourceDown(r), false);
  // Invalid data is never degradable either.
  const invalid = new IngestionService({
    providers: { gravity: doubleProvider(() => Promise.resolve({ nonsense: true } as never)) },
    resilience: { gravity: settings() },
  });
  const i = await invalid.fetch("gravity", BBOX).catch((e) => e);
  assert.ok(i instanceof ContractError);
  assert.equal(isSourceDown(i), false);
});

Deno.test("the bulkhead rejects fetches beyond maxConcurrent + queue", async () => {
  const p = doubleProvider(
    (req) => new Promise((r) => setTimeout(() => r(pointData(req)), 50)),
  );
  const metrics = new RecordingMetrics();
  const s = new IngestionService({
    providers: { gravity: p },
    resilience: { gravity: settings({ bulkhead: { maxConcurrent: 1, queue: 1 } }) },
    metrics,
  });
  const results = await Promise.allSettled([1, 2, 3, 4].map(() => s.fetch("gravity", BBOX)));
  const rejected = results.filter((r) => r.status === "rejected");
  assert.equal(rejected.length, 2);
  assert.match((rejected[0] as PromiseRejectedResult).reason.message, /bulkhead/);
  assert.equal(metrics.get("gam_ingestion_bulkhead_rejections_total", { modality: "gravity" }), 2);
  assert.equal(p.calls, 2);
});

Deno.test("the token bucket delays attempts beyond the burst and counts them", async () => {
  const p = doubleProvider((req) => Promise.resolve(pointData(req)));
  const metrics = new RecordingMetrics();
  const s = new IngestionService({
    providers: { gravity: p },
    // 200 ms per token: no token comes back while the four start, however loaded the machine
    resilience: { gravity: settings({ rateLimit: { requestsPerSecond: 5, burst: 2 } }) },
    metrics,
  });
  await Promise.all([1, 2, 3, 4].map(() => s.fetch("gravity", BBOX)));
  assert.equal(metrics.get("gam_ingestion_rate_limited_total", { modality: "gravity" }), 2);
});

Deno.test("TokenBucket refills at its rate and rejects bad settings", async () => {
  let now = 0;
  const b = new TokenBucket({ requestsPerSecond: 2, burst: 1, now: () => now });
  assert.equal(await b.take(), false);
  assert.ok(b.tokens < 1);
  now = 500;
  assert.equal(b.tokens, 1);
  assert.throws(() => new TokenBucket({ requestsPerSecond: 0, burst: 1 }), /requestsPerSecond/);
  assert.throws(() => new TokenBucket({ requestsPerSecond: 1, burst: 0.5 }), /burst/);
  const ac = new AbortController();
  ac.abort(new Error("stop"));
  await assert.rejects(b.take(ac.signal), /stop/);
});

Deno.test("JitteredBackoff: full jitter below the cap, Retry-After honoured up to maxDelayMs", () => {
  const b = new JitteredBackoff({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 });
  assert.equal(b.delayFor(1, new Error()), 50);
  assert.equal(b.delayFor(3, new Error()), 200);
  assert.equal(b.delayFor(10, new Error()), 500);
  assert.equal(b.delayFor(1, new SourceHttpError(429, "https://x", 700)), 700);
  assert.equal(b.delayFor(1, new SourceHttpError(429, "https://x", 5000)), 1000);
  const none = new JitteredBackoff({ baseDelayMs: 100, maxDelayMs: 1000, jitter: "none" });
  assert.equal(none.delayFor(2, new Error()), 200);
  const ignore = new JitteredBackoff({
    baseDelayMs: 100,
    maxDelayMs: 1000,
    jitter: "none",
    honorRetryAfter: false,
  });
  assert.equal(ignore.delayFor(1, new SourceHttpError(429, "https://x", 700)), 100);
});

Deno.test("preFetch and postFetch carry correlation id, modality, cache key and outcome", async () => {
  const p = doubleProvider((req) => Promise.resolve(pointData(req)));
  const s = new IngestionService({ providers: { gravity: p } });
  const seen: string[] = [];
  let post: PostFetchEvent | undefined;
  s.on("preFetch", (e) => seen.push(`pre ${e.correlationId} ${e.modality} ${e.cacheKey}`));
  const off = s.on("postFetch", (e) => (post = e));
  s.on("postFetch", () => {
    throw new Error("listener bug is ignored");
  });
  const r = await s.fetch("gravity", BBOX, { correlationId: "fetch-1", params: { k: 1 } });
  assert.deepEqual(seen, [`pre fetch-1 gravity ${r.cacheKey}`]);
  assert.equal(post?.outcome, "ok");
  assert.equal(post?.checksum, r.data.metadata.checksum);
  off();
  assert.equal(
    r.cacheKey,
    ingestionCacheKey({
      plugin: "double",
      version: "1.0.0",
      modality: "gravity",
      bbox: BBOX,
      params: { k: 1 },
    }),
  );
});

Deno.test("the same request twice gives the same cache key and the same checksum", async () => {
  const p = doubleProvider((req) =>
    Promise.resolve(pointData({ modality: req.modality, bbox: BBOX }))
  );
  const s = new IngestionService({ providers: { gravity: p } });
  const a = await s.fetch("gravity", BBOX, { params: { b: 2, a: [1, { c: 0 }] } });
  const b = await s.fetch("gravity", [10.0000000000001, 45, 11, 46], {
    params: { a: [1, { c: -0 }], b: 2.0 },
  });
  assert.equal(a.cacheKey, b.cacheKey);
  assert.equal(a.data.metadata.checksum, b.data.metadata.checksum);
  assert.notEqual(a.cacheKey, s.cacheKey("gravity", BBOX, { b: 3 }));
});

Deno.test("fetch() of an unconfigured modality names the configured ones", async () => {
  const s = new IngestionService({
    providers: { gravity: doubleProvider((r) => Promise.resolve(pointData(r))) },
  });
  await assert.rejects(
    s.fetch("seismic", BBOX),
    (e: Error) => e instanceof UnknownModalityError && /"seismic".*gravity/.test(e.message),
  );
  assert.deepEqual(s.modalities, ["gravity"]);
});

Deno.test("ingestion metrics render as Prometheus text with the issue's names", async () => {
  const registry = new MetricsRegistry();
  const p = doubleProvider((req, call) =>
    call === 1
      ? Promise.reject(new SourceHttpError(500, "https://x"))
      : Promise.resolve(pointData(req))
  );
  const s = new IngestionService({
    providers: new Map([["gravity", p]]),
    resilience: { gravity: settings() },
    metrics: registry,
  });
  await s.fetch("gravity", BBOX);
  const text = await registry.render();
  assert.match(
    text,
    /gam_ingestion_fetch_total\{modality="gravity",plugin="double",outcome="ok"\} 1/,
  );
  assert.match(text, /gam_ingestion_retries_total\{modality="gravity"\} 1/);
  assert.match(
    text,
    /gam_ingestion_fetch_duration_seconds_count\{modality="gravity",plugin="double"\} 1/,
  );
  assert.match(text, /gam_ingestion_circuit_state\{modality="gravity"\} 0/);
  await s.close();
});
