import { assertEquals, assertNotEquals, assertRejects } from "./testdata/assert.ts";
import { bboxHash, GridCache, originOf } from "./grid_cache.ts";
import { readManifest } from "./manifest.ts";
import { gridChecksum } from "../contracts/checksum.ts";
import { createLogger } from "../observability/mod.ts";
import { MetricsRegistry } from "../observability/metrics/mod.ts";
import { syntheticGrid, syntheticPoints } from "./testdata/fixtures.ts";
import { CacheKeyError } from "./errors.ts";
import { FsCacheStore } from "./fs_cache_store.ts";
import { startSweeper } from "./sweeper.ts";
import { moduleTempDir } from "../_testing/temp_dir.ts";

const BBOX = [16, -35, 33, -22] as const;

Deno.test("GridCache keeps one entry per modality, bbox and pipeline version", async () => {
  const dir = await moduleTempDir({ prefix: "gam-grid-" });
  const cache = new GridCache({
    store: dir,
    outputDir: `${dir}/out`,
    metrics: new MetricsRegistry(),
  });
  const origin = originOf(syntheticPoints(1));
  let computed = 0;
  const compute = (seed: number) => () => {
    computed++;
    return Promise.resolve(syntheticGrid(30, 40, seed));
  };
  const a = await cache.getOrCompute("gravity", BBOX, "1.0.0", compute(1), origin);
  const b = await cache.getOrCompute("gravity", BBOX, "1.0.0", compute(1), origin);
  const c = await cache.getOrCompute("gravity", BBOX, "1.1.0", compute(2), origin);
  assertEquals([a.outcome, b.outcome, c.outcome, computed], ["miss", "hit", "miss", 2]);
  assertEquals(a.entry.path, `preprocessing/gravity/${bboxHash(BBOX)}/v1.0.0`);
  assertNotEquals(a.entry.path, c.entry.path);
  assertEquals(gridChecksum(b.data), gridChecksum(syntheticGrid(30, 40, 1)));
  assertEquals(b.data.provenance, syntheticGrid(30, 40, 1).provenance);
  assertEquals(b.data.resolution, syntheticGrid(30, 40, 1).resolution);
  const rec = await readManifest(`${dir}/out`, a.entry.path);
  assertEquals([rec?.layer, rec?.kind, rec?.pipelineVersion, rec?.plugin], [
    "preprocessing",
    "grid",
    "1.0.0",
    "synthetic",
  ]);
  assertEquals(rec?.licence, "CC0-1.0");
});

Deno.test("bboxHash() ignores differences below 1e-9 degrees", () => {
  assertEquals(bboxHash([16, -35, 33, -22]), bboxHash([16 + 1e-12, -35, 33, -22]));
  assertNotEquals(bboxHash([16, -35, 33, -22]), bboxHash([16.001, -35, 33, -22]));
});

Deno.test("GridCache refuses a pipeline version that is not a semantic version", async () => {
  const cache = new GridCache({ store: await moduleTempDir(), metrics: new MetricsRegistry() });
  for (const v of ["1.0", "latest", "../1.0.0", "1.0.0+build"]) {
    await assertRejects(() => cache.get("gravity", BBOX, v), CacheKeyError, "semantic version");
  }
});

Deno.test("startSweeper() sweeps on its interval and stops cleanly", async () => {
  const dir = await moduleTempDir({ prefix: "gam-grid-" });
  const cache = new GridCache({ store: dir, metrics: new MetricsRegistry() });
  await cache.put("gravity", BBOX, "1.0.0", syntheticGrid(30, 40), { licence: "x", citation: "y" });
  // The sweep's own log line says when an interval sweep evicted the entry (no polling).
  let evicted!: () => void;
  const swept = new Promise<void>((r) => (evicted = r));
  const logger = createLogger({
    level: "info",
    sink: (line) => {
      const o = JSON.parse(line);
      if (o.msg === "cache swept" && o.evicted > 0) evicted();
    },
  });
  const sweeper = startSweeper(new FsCacheStore(dir), 0.05, {
    policy: { maxBytes: 1 },
    metrics: new MetricsRegistry(),
    logger,
  });
  // The timer only turns a sweeper that never evicts into a failure instead of a hang.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const never = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no interval sweep evicted the entry")), 60_000);
  });
  try {
    await Promise.race([swept, never]);
  } finally {
    clearTimeout(timer);
    await sweeper.stop();
  }
  assertEquals(await cache.get("gravity", BBOX, "1.0.0"), undefined);
});

Deno.test("GridCache keeps a grid's data footprint (dataDistanceKm) across a hit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gam-grid-" });
  try {
    const cache = new GridCache({
      store: dir,
      outputDir: `${dir}/out`,
      metrics: new MetricsRegistry(),
    });
    const grid = syntheticGrid(30, 40, 3);
    grid.dataDistanceKm = Float32Array.from({ length: 30 * 40 }, (_, i) => (i % 37) * 0.25);
    const origin = originOf(syntheticPoints(1));
    await cache.getOrCompute("gravity", BBOX, "1.0.0", () => Promise.resolve(grid), origin);
    const hit = await cache.getOrCompute(
      "gravity",
      BBOX,
      "1.0.0",
      () => Promise.reject(new Error("must be a hit")),
      origin,
    );
    assertEquals(hit.outcome, "hit");
    assertEquals(Array.from(hit.data.dataDistanceKm ?? []), Array.from(grid.dataDistanceKm));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("getOrComputeAll() computes a set of branches once, caches it only when complete and cacheable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gam-grid-all-" });
  try {
    const cache = new GridCache({ store: dir, metrics: new MetricsRegistry() });
    const origin = originOf(syntheticPoints(1));
    const versions = ["1.0.0-abc.fine", "1.0.0-abc.coarse"];
    let computed = 0;
    // One grid per version, in the caller's order of versions.
    const gridOf = (v: string) =>
      v.endsWith(".fine") ? syntheticGrid(30, 40, 1) : syntheticGrid(20, 20, 2);
    const both = (vs: readonly string[]) => () => {
      computed++;
      return Promise.resolve({ grids: vs.map(gridOf), cacheable: true });
    };
    // A run with a failed branch is returned but not cached.
    const partial = await cache.getOrComputeAll("gravity", BBOX, versions, () => {
      computed++;
      return Promise.resolve({ grids: [syntheticGrid(30, 40, 1), undefined], cacheable: false });
    }, origin);
    assertEquals([partial.outcome, partial.values[1], computed], ["miss", undefined, 1]);
    assertEquals(await cache.get("gravity", BBOX, versions[0]), undefined);
    // Two concurrent callers: one computes, the other waits on the locks and reads the set.
    // Which of the two gets the locks first is up to the scheduler.
    const reversed = [...versions].reverse();
    const [a, b] = await Promise.all([
      cache.getOrComputeAll("gravity", BBOX, versions, both(versions), origin),
      cache.getOrComputeAll("gravity", BBOX, reversed, both(reversed), origin),
    ]);
    assertEquals([[a.outcome, b.outcome].sort(), computed], [["hit", "miss"], 2]);
    for (const [r, vs] of [[a, versions], [b, reversed]] as const) {
      assertEquals(r.values.map((g) => gridChecksum(g!)), vs.map((v) => gridChecksum(gridOf(v))));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
