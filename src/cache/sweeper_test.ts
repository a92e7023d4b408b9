import { assertEquals } from "./testdata/assert.ts";
import { FsCacheStore } from "./fs_cache_store.ts";
import { sweepCache } from "./sweeper.ts";
import { MetricsRegistry } from "../observability/metrics/mod.ts";
import { metricValue } from "./testdata/metrics.ts";
import { moduleTempDir } from "../_testing/temp_dir.ts";

const NOW = new Date("2026-11-25T12:00:00Z");
const HOUR = 3600_000;

/** An entry of exactly `bytes` bytes (zarr.json padded), expiring at `expires`, last used at `used`. */
async function entry(store: FsCacheStore, path: string, bytes: number, expires: Date, used: Date) {
  await store.put(path, async (dir) => {
    const meta = {
      zarr_format: 3,
      node_type: "group",
      attributes: { gam: { expiresAt: expires.toISOString() } },
    };
    const text = JSON.stringify(meta);
    await Deno.writeTextFile(`${dir}/zarr.json`, text + " ".repeat(bytes - text.length));
  });
  await Deno.utime(`${store.root}/${path}`, used, used);
}

Deno.test("sweepCache() evicts expired entries first, then least recently used; never pinned", async () => {
  const store = new FsCacheStore(await moduleTempDir());
  const fresh = new Date(NOW.getTime() + 24 * HOUR);
  const expired = new Date(NOW.getTime() - HOUR);
  const ago = (h: number) => new Date(NOW.getTime() - h * HOUR);
  await entry(store, "ingestion/gravity/old-fresh", 1000, fresh, ago(10));
  await entry(store, "ingestion/gravity/pinned", 1000, expired, ago(20));
  await entry(store, "ingestion/gravity/new-expired", 1000, expired, ago(1));
  await entry(store, "preprocessing/gravity/h/v1.0.0", 1000, fresh, ago(2));
  await entry(store, "ingestion/gravity/newest", 1000, fresh, ago(0));
  await entry(store, "ingestion/magnetic/m1", 1000, expired, ago(30));
  await store.setPinned("ingestion/gravity/pinned", true);
  const metrics = new MetricsRegistry();
  const report = await sweepCache(store, {
    policy: { gravity: { maxBytes: 2500 }, magnetic: { maxBytes: 10_000 } },
    now: NOW,
    metrics,
  });
  assertEquals(report.evicted.map((e) => [e.path, e.reason]), [
    ["ingestion/gravity/new-expired", "expired-over-limit"],
    ["ingestion/gravity/old-fresh", "lru"],
    ["preprocessing/gravity/h/v1.0.0", "lru"],
  ]);
  assertEquals((await store.list()).map((e) => e.path), [
    "ingestion/gravity/newest",
    "ingestion/gravity/pinned",
    "ingestion/magnetic/m1", // expired, but within its limit: kept as stale fallback
  ]);
  assertEquals(report.modalities.gravity, { bytes: 2000, maxBytes: 2500, entries: 2 });
  assertEquals(report.bytesByLayer, { ingestion: 3000, preprocessing: 0 });
  const text = await metrics.render();
  assertEquals(metricValue(text, "gam_cache_evictions_total"), 3);
  assertEquals(metricValue(text, "gam_cache_bytes", { layer: "ingestion" }), 3000);
});

Deno.test("sweepCache() removes entries stale for longer than maxStaleSeconds, unless pinned", async () => {
  const store = new FsCacheStore(await moduleTempDir());
  const longAgo = new Date(NOW.getTime() - 40 * 24 * HOUR);
  await entry(store, "ingestion/gravity/a", 100, longAgo, NOW);
  await entry(store, "ingestion/gravity/b", 100, longAgo, NOW);
  await store.setPinned("ingestion/gravity/b", true);
  const report = await sweepCache(store, { now: NOW, metrics: new MetricsRegistry() });
  assertEquals(report.evicted.map((e) => [e.path, e.reason]), [["ingestion/gravity/a", "expired"]]);
});

Deno.test("sweepCache() skips an entry whose lock is held", async () => {
  const store = new FsCacheStore(await moduleTempDir());
  await entry(store, "ingestion/gravity/a", 1000, NOW, NOW);
  const lock = await store.lock("ingestion/gravity/a");
  const report = await sweepCache(store, {
    policy: { maxBytes: 10 },
    now: NOW,
    metrics: new MetricsRegistry(),
  });
  await lock[Symbol.asyncDispose]();
  assertEquals([report.evicted.length, report.skippedLocked], [0, 1]);
});
