import { assert, assertEquals, assertNotEquals, assertRejects } from "./testdata/assert.ts";
import { IngestionCache } from "./ingestion_cache.ts";
import { FsCacheStore } from "./fs_cache_store.ts";
import { ManifestRecordSchema, readManifest } from "./manifest.ts";
import { rawDataChecksum } from "../contracts/checksum.ts";
import type { RawData } from "../contracts/mod.ts";
import { createLogger } from "../observability/mod.ts";
import { MetricsRegistry } from "../observability/metrics/mod.ts";
import { syntheticPoints } from "./testdata/fixtures.ts";
import { CacheKeyError } from "./errors.ts";
import { storageDigest } from "./digest.ts";
import { metricValue } from "./testdata/metrics.ts";
import { moduleTempDirSync } from "../_testing/temp_dir.ts";

const KEY = "ab".repeat(32);

function setup(
  opts: {
    ttl?: number;
    compression?: "none" | "gzip" | "zstd";
    verifyOnRead?: number;
    now?: () => Date;
  } = {},
) {
  const dir = moduleTempDirSync({ prefix: "gam-cache-" });
  const metrics = new MetricsRegistry();
  const lines: string[] = [];
  const cache = new IngestionCache({
    store: `${dir}/cache`,
    outputDir: `${dir}/out`,
    policy: {
      gravity: {
        ttl: opts.ttl ?? 3600,
        compression: opts.compression ?? "none",
        verifyOnRead: opts.verifyOnRead ?? 0.1,
      },
    },
    metrics,
    logger: createLogger({ level: "debug", sink: (l) => lines.push(l) }),
    now: opts.now,
  });
  return { dir, cache, metrics, lines };
}

function counting(data: RawData) {
  let calls = 0;
  const fetch = () => {
    calls++;
    return Promise.resolve(data);
  };
  return { fetch, calls: () => calls };
}

Deno.test("getOrFetch() fetches once, then serves the cached copy with the same checksum", async () => {
  const { dir, cache, metrics } = setup();
  const raw = syntheticPoints(5000);
  const src = counting(raw);
  const first = await cache.getOrFetch("gravity", KEY, src.fetch);
  const second = await cache.getOrFetch("gravity", KEY, src.fetch);
  assertEquals([first.outcome, second.outcome, src.calls()], ["miss", "hit", 1]);
  assertEquals(rawDataChecksum(second.data), rawDataChecksum(raw));
  assert(second.data.kind === "points" && second.data.points.line instanceof Int32Array);
  assertEquals(second.data.metadata, raw.metadata);
  assert(second.outcome === "hit");
  assertEquals(second.entry.path, `ingestion/gravity/${KEY}`);
  assertEquals(second.entry.dir, `${dir}/cache/ingestion/gravity/${KEY}`);
  const text = await metrics.render();
  assertEquals(
    metricValue(text, "gam_cache_requests_total", { layer: "ingestion", outcome: "hit" }),
    1,
  );
  assertEquals(
    metricValue(text, "gam_cache_requests_total", { layer: "ingestion", outcome: "miss" }),
    1,
  );
});

Deno.test("put() writes a manifest record that validates against the schema", async () => {
  const { dir, cache } = setup({ compression: "zstd" });
  const raw = syntheticPoints(100);
  const rec = await cache.put("gravity", KEY, raw);
  const onDisk = await readManifest(`${dir}/out`, `ingestion/gravity/${KEY}`);
  assertEquals(onDisk, rec);
  ManifestRecordSchema.parse(onDisk);
  assertEquals(rec.checksum, rawDataChecksum(raw));
  assertEquals(rec.plugin, "synthetic");
  assertEquals(rec.sourceUrl, "synthetic://seed/42");
  assertEquals(rec.licence, "CC0-1.0");
  assertEquals(rec.compression, "zstd");
  assertEquals(rec.pinned, false);
  assert(rec.sizeBytes > 100 * 8);
  assertEquals(Date.parse(rec.expiresAt) - Date.parse(rec.cachedAt), 3600 * 1000);
  assertEquals(rec.cachePath, `${dir}/cache/ingestion/gravity/${KEY}`);
});

Deno.test("an expired entry is refetched, and served as stale when the refetch fails", async () => {
  let t = Date.parse("2026-11-25T12:00:00Z");
  const { cache, metrics, lines } = setup({ ttl: 60, now: () => new Date(t) });
  const raw = syntheticPoints(200);
  await cache.put("gravity", KEY, raw);
  t += 61_000;
  const got = await cache.get("gravity", KEY);
  assertEquals(got?.stale, true);
  const failing = () => Promise.reject(new Error("source down"));
  const r = await cache.getOrFetch("gravity", KEY, failing);
  assertEquals(r.outcome, "stale");
  assertEquals((r.error as Error).message, "source down");
  assertEquals(rawDataChecksum(r.data), rawDataChecksum(raw));
  assert(lines.some((l) => l.includes("serving a stale cache entry")));
  const refreshed = syntheticPoints(200, 43);
  const ok = await cache.getOrFetch("gravity", KEY, () => Promise.resolve(refreshed));
  assertEquals(ok.outcome, "miss");
  assertEquals((await cache.get("gravity", KEY))?.stale, false);
  assertEquals(
    rawDataChecksum((await cache.get("gravity", KEY))!.data),
    rawDataChecksum(refreshed),
  );
  const text = await metrics.render();
  assertEquals(
    metricValue(text, "gam_cache_requests_total", { layer: "ingestion", outcome: "stale" }),
    2,
  );
});

Deno.test("getOrFetch() without any cached copy rethrows the fetch error", async () => {
  const { cache } = setup();
  await assertRejects(
    () => cache.getOrFetch("gravity", KEY, () => Promise.reject(new Error("boom"))),
    Error,
    "boom",
  );
  assertEquals(await cache.get("gravity", KEY), undefined);
});

for (const compression of ["none", "gzip"] as const) {
  Deno.test(`a flipped byte in a ${compression} chunk quarantines the entry and refetches`, async () => {
    const { dir, cache, metrics, lines } = setup({ compression });
    const raw = syntheticPoints(3000);
    await cache.put("gravity", KEY, raw);
    const chunk = `${dir}/cache/ingestion/gravity/${KEY}/value/c/0`;
    const bytes = await Deno.readFile(chunk);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    await Deno.writeFile(chunk, bytes);

    const src = counting(raw);
    const r = await cache.getOrFetch("gravity", KEY, src.fetch);
    assertEquals([r.outcome, src.calls()], ["miss", 1]);
    assertEquals(rawDataChecksum(r.data), rawDataChecksum(raw));
    const quarantined = [...Deno.readDirSync(`${dir}/cache/.quarantine`)];
    assertEquals(quarantined.length, 1);
    assert(quarantined[0].name.startsWith(encodeURIComponent(`ingestion/gravity/${KEY}`) + "@"));
    assert(lines.some((l) => l.includes("quarantined") && l.includes('"level":"error"')));
    const text = await metrics.render();
    assertEquals(
      metricValue(text, "gam_cache_requests_total", { layer: "ingestion", outcome: "corrupt" }),
      1,
    );
    // The refetched entry is intact.
    assertEquals((await cache.get("gravity", KEY))?.stale, false);
  });
}

Deno.test("verifyOnRead 0 still catches a flipped byte: every read checks the storage digest", async () => {
  const { dir, cache } = setup({ verifyOnRead: 0 });
  await cache.put("gravity", KEY, syntheticPoints(3000));
  const chunk = `${dir}/cache/ingestion/gravity/${KEY}/lat/c/0`;
  const bytes = await Deno.readFile(chunk);
  bytes[100] ^= 0x80;
  await Deno.writeFile(chunk, bytes);
  assertEquals(await cache.get("gravity", KEY), undefined);
  assertEquals([...Deno.readDirSync(`${dir}/cache/.quarantine`)].length, 1);
});

Deno.test("a change that also rewrites the digest passes sampled reads but not verify()", async () => {
  const { dir, cache } = setup({ verifyOnRead: 0 });
  const raw = syntheticPoints(3000);
  await cache.put("gravity", KEY, raw);
  // Change a latitude and recompute the fast digest in the group attributes, as a tool that
  // rewrote the entry without knowing the canonical checksum would.
  const entry = `${dir}/cache/ingestion/gravity/${KEY}`;
  const chunk = `${entry}/lat/c/0`;
  const bytes = await Deno.readFile(chunk);
  bytes[100] ^= 0x80;
  await Deno.writeFile(chunk, bytes);
  const lat = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  const meta = JSON.parse(await Deno.readTextFile(`${entry}/zarr.json`));
  assert(raw.kind === "points");
  meta.attributes.gam.digest = storageDigest({
    ...raw.points,
    lineNames: undefined,
    lineKinds: undefined,
    lat,
  });
  await Deno.writeTextFile(`${entry}/zarr.json`, JSON.stringify(meta));

  const sampled = await cache.get("gravity", KEY);
  assertNotEquals(sampled, undefined);
  assertNotEquals(rawDataChecksum(sampled!.data), rawDataChecksum(raw));
  assertEquals(await cache.verify("gravity", KEY), "corrupt");
  assertEquals(await cache.verify("gravity", KEY), "missing");
});

Deno.test("a policy with pin: true pins every entry it writes", async () => {
  const dir = moduleTempDirSync({ prefix: "gam-cache-" });
  const cache = new IngestionCache({
    store: dir,
    policy: { gravity: { pin: true } },
    metrics: new MetricsRegistry(),
  });
  const rec = await cache.put("gravity", KEY, syntheticPoints(10));
  assertEquals(rec.pinned, true);
  assertEquals((await new FsCacheStore(dir).list())[0].pinned, true);
});

Deno.test("the cache rejects keys that could escape the cache folder", async () => {
  const { cache } = setup();
  for (const key of ["../x", "a/b", "", ".."]) {
    await assertRejects(() => cache.put("gravity", key, syntheticPoints(1)), CacheKeyError);
  }
});

Deno.test("the extra lock is taken around the fetch and released after it", async () => {
  const dir = moduleTempDirSync({ prefix: "gam-cache-" });
  const events: string[] = [];
  const cache = new IngestionCache({
    store: dir,
    metrics: new MetricsRegistry(),
    extraLock: (key) => {
      events.push(`lock ${key}`);
      return Promise.resolve({ [Symbol.dispose]: () => void events.push(`unlock ${key}`) });
    },
  });
  await cache.getOrFetch("gravity", KEY, () => {
    events.push("fetch");
    return Promise.resolve(syntheticPoints(10));
  });
  const p = `ingestion/gravity/${KEY}`;
  assertEquals(events, [`lock ${p}`, "fetch", `unlock ${p}`]);
});

Deno.test("an entry replaced while it is being read is not quarantined", async () => {
  const dir = moduleTempDirSync({ prefix: "gam-cache-" });
  const fs = new FsCacheStore(dir);
  const opts = { policy: { compression: "none" as const }, metrics: new MetricsRegistry() };
  const writer = new IngestionCache({ store: fs, ...opts });
  await writer.put("gravity", KEY, syntheticPoints(500, 1));
  let replaced = false;
  // A store whose first get() is followed by another process's rewrite of the entry.
  const racing = Object.create(fs, {
    get: {
      value: async (path: string) => {
        const e = await fs.get(path);
        if (!replaced) {
          replaced = true;
          await writer.put("gravity", KEY, syntheticPoints(500, 2));
        }
        return e;
      },
    },
  });
  const reader = new IngestionCache({
    store: racing,
    ...opts,
    logger: createLogger({ level: "silent" }),
  });
  assertEquals(await reader.get("gravity", KEY), undefined);
  assertEquals([...Deno.readDirSync(dir)].some((e) => e.name === ".quarantine"), false);
  const now = await writer.get("gravity", KEY);
  assertEquals(rawDataChecksum(now!.data), rawDataChecksum(syntheticPoints(500, 2)));
});

Deno.test("getOrFetch() honours the data's caching hint: store false is not cached, a TTL only shortens", async () => {
  const { cache } = setup();
  const raw = syntheticPoints(100);
  const noStore = counting({ ...raw, metadata: { ...raw.metadata, cache: { store: false } } });
  const a = await cache.getOrFetch("gravity", KEY, noStore.fetch);
  const b = await cache.getOrFetch("gravity", KEY, noStore.fetch);
  assertEquals([a.outcome, b.outcome, noStore.calls()], ["no-store", "no-store", 2]);
  assertEquals(await cache.get("gravity", KEY), undefined);

  const shortTtl = counting({ ...raw, metadata: { ...raw.metadata, cache: { ttlSeconds: 60 } } });
  const before = Date.now();
  const c = await cache.getOrFetch("gravity", KEY, shortTtl.fetch);
  assert(c.outcome === "miss");
  const ttlMs = Date.parse(c.entry.expiresAt) - before;
  assert(ttlMs <= 61_000 && ttlMs >= 59_000, `expires in ${ttlMs} ms, expected about 60 s`);

  const longTtl = counting({
    ...raw,
    metadata: { ...raw.metadata, cache: { ttlSeconds: 1e9 } },
  });
  const d = await cache.getOrFetch("gravity", "1".repeat(64), longTtl.fetch);
  assert(d.outcome === "miss");
  const configured = cache.policy("gravity").ttl * 1000;
  assert(Date.parse(d.entry.expiresAt) - Date.now() <= configured, "never longer than the policy");
});

Deno.test("getOrFetch() keeps a survey's line dictionary (names and kinds) through the cache", async () => {
  const { cache } = setup();
  const base = syntheticPoints(300);
  assert(base.kind === "points");
  const codes = Int32Array.from({ length: 300 }, (_, i) => Math.floor(i / 100));
  const raw: RawData = {
    ...base,
    points: {
      ...base.points,
      line: codes,
      lineNames: ["FL1-1", "FL1-2", "T100"],
      lineKinds: ["line", "line", "tie"],
    },
  };
  const src = counting(raw);
  await cache.getOrFetch("gravity", KEY, src.fetch);
  const hit = await cache.getOrFetch("gravity", KEY, src.fetch);
  assertEquals([hit.outcome, src.calls()], ["hit", 1]);
  assert(hit.data.kind === "points");
  assertEquals(hit.data.points.lineNames, ["FL1-1", "FL1-2", "T100"]);
  assertEquals(hit.data.points.lineKinds, ["line", "line", "tie"]);
  assertEquals([...hit.data.points.line!], [...codes]);
  assertEquals(rawDataChecksum(hit.data), rawDataChecksum(raw));
  assertNotEquals(
    rawDataChecksum(raw),
    rawDataChecksum({ ...raw, points: { ...raw.points, lineNames: ["a", "b", "c"] } }),
  );
});
