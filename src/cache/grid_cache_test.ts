import { assertEquals, assertNotEquals, assertRejects } from "./testdata/assert.ts";
import { bboxHash, GridCache, originOf } from "./grid_cache.ts";
import { readManifest } from "./manifest.ts";
import { gridChecksum } from "../contracts/mod.ts";
import { MetricsRegistry } from "../observability/mod.ts";
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
  const sweeper = startSweeper(new FsCacheStore(dir), 0.05, {
    policy: { maxBytes: 1 },
    metrics: new MetricsRegistry(),
  });
  // Poll until the entry is gone; the deadline only ends the wait on a sweeper that never runs
  // (two seconds of polling were too short for a loaded machine).
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (await cache.get("gravity", BBOX, "1.0.0")) !== undefined) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await sweeper.stop();
  assertEquals(await cache.get("gravity", BBOX, "1.0.0"), undefined);
});
