/**
 * `deno task bench:cache`: how fast the cache reads, against plain files and against fetching.
 *
 * 1. A cached 1,000 x 1,000 float32 grid read through `GridCache.get` (Zarr v3): the shipped
 *    defaults, then every codec with the SHA-256 recomputed on no read or on every read (the
 *    fast storage digest is checked on every read in all rows), against reading the same
 *    4,000,000 bytes from one plain file into a `Float32Array`. Target: ratio < 3.
 * 2. Fetch-through of a synthetic survey (the `synthetic` plugin, 200,000 stations) with the
 *    default policy: cold (empty cache: compute, write, verify) against warm (read, verify).
 *
 * Times are the best and the median of repeated runs after one warm-up, each compared with
 * the same statistic of the plain read (the OS page cache is warm for both sides). Flags: `--reps N` (default 15), `--stations N` (default 200000).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readFile } from "node:fs/promises";
import {
  type Compression,
  DEFAULT_CACHE_POLICY,
  GridCache,
  IngestionCache,
} from "../src/cache/mod.ts";
import { syntheticGrid } from "../src/cache/testdata/fixtures.ts";
import { ingestionCacheKey } from "../src/ingestion/mod.ts";
import { synthetic } from "../src/plugins/in_process.ts";
import { MetricsRegistry } from "../src/observability/metrics/mod.ts";
import type { Bbox } from "../src/contracts/mod.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "15" },
    stations: { type: "string", default: "200000" },
  },
});
const REPS = Number(flags.reps);
const STATIONS = Number(flags.stations);
const BBOX: Bbox = [16, -35, 33, -22];

/** Best (minimum) time of `reps` runs after a warm-up: the least disturbed by other load. */
async function best(reps: number, fn: () => Promise<unknown>): Promise<number> {
  return (await timings(reps, fn)).best;
}

/** Best, median and mean times (ms) of `reps` runs after a warm-up. */
async function timings(
  reps: number,
  fn: () => Promise<unknown>,
): Promise<{ best: number; median: number; mean: number }> {
  await fn(); // warm-up
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((x, y) => x - y);
  const mean = t.reduce((a, b) => a + b, 0) / t.length;
  return { best: t[0], median: t[Math.floor(t.length / 2)], mean };
}

const ms = (t: number) => `${t.toFixed(2).padStart(8)} ms`;
const root = await Deno.makeTempDir({ prefix: "gam-bench-cache-" });
console.log(`deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, ${REPS} reps\n`);

// 1. Cached grid vs plain file.
const grid = syntheticGrid(1000, 1000);
const plain = `${root}/values.f32`;
await Deno.writeFile(plain, new Uint8Array(grid.values.buffer));
const asFloats = (bytes: Uint8Array) => {
  const v = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  if (v.length !== 1e6) throw new Error("short read");
};
const READ_REPS = REPS * 4; // reads are short: more of them for a stable median
const denoRead = await timings(READ_REPS, async () => asFloats(await Deno.readFile(plain)));
const nodeRead = await timings(READ_REPS, async () => asFloats(await readFile(plain)));
// The baseline is the faster of the two plain reads, for each statistic.
const base = {
  best: Math.min(denoRead.best, nodeRead.best),
  median: Math.min(denoRead.median, nodeRead.median),
  mean: Math.min(denoRead.mean, nodeRead.mean),
};
const row = (label: string, t: { best: number; median: number; mean: number }) =>
  console.log(
    `  ${label.padEnd(60)}${ms(t.best)} ${(t.best / base.best).toFixed(2).padStart(6)}x ` +
      `${ms(t.median)} ${(t.median / base.median).toFixed(2).padStart(6)}x ` +
      `${ms(t.mean)} ${(t.mean / base.mean).toFixed(2).padStart(6)}x`,
  );
console.log(`1,000 x 1,000 float32 grid (4,000,000 bytes), ${READ_REPS} reads each`);
const head = ["best", "ratio", "median", "ratio", "mean", "ratio"];
console.log(`  ${"".padEnd(60)}${head.map((h, i) => h.padStart(i % 2 ? 7 : 11)).join(" ")}`);
row("plain file, Deno.readFile", denoRead);
row("plain file, node:fs readFile", nodeRead);
const shipped = DEFAULT_CACHE_POLICY;
const settings: { compression: Compression; chunkSize: number; verifyOnRead: number }[] = [
  {
    compression: shipped.compression,
    chunkSize: shipped.chunkSize,
    verifyOnRead: shipped.verifyOnRead,
  },
];
for (const compression of ["none", "zstd", "gzip"] as const) {
  for (const chunkSize of [256, 1000]) {
    for (const verifyOnRead of [0, 1]) settings.push({ compression, chunkSize, verifyOnRead });
  }
}
for (const [i, setting] of settings.entries()) {
  const cache = new GridCache({
    store: `${root}/grid-${i}`,
    policy: setting,
    metrics: new MetricsRegistry(),
  });
  await cache.put("gravity", BBOX, "1.0.0", grid, { licence: "CC0-1.0", citation: "bench" });
  const t = await timings(READ_REPS, async () => {
    const hit = await cache.get("gravity", BBOX, "1.0.0");
    if (hit === undefined || hit.data.values.length !== 1e6) throw new Error("miss");
  });
  const { compression, chunkSize, verifyOnRead } = setting;
  const label = i === 0
    ? `shipped defaults (${compression}, chunks ${chunkSize}, sha256 ${verifyOnRead})`
    : `${compression}, chunks ${chunkSize}, sha256 on ${verifyOnRead ? "every" : "no"} read`;
  row(`GridCache.get ${label}`, t);
}

// 2. Fetch-through: cold vs warm, default policy.
const params = { seed: 42, stations: STATIONS };
const key = ingestionCacheKey({
  plugin: "synthetic",
  version: "1.0.0",
  modality: "gravity",
  bbox: BBOX,
  params,
});
const fetch = () => Promise.resolve(synthetic.syntheticSurvey("gravity", BBOX, params).data);
let n = 0;
const coldReps = Math.max(3, Math.floor(REPS / 3));
const cold = await best(coldReps, async () => {
  const cache = new IngestionCache({
    store: `${root}/cold-${n++}`,
    metrics: new MetricsRegistry(),
  });
  const r = await cache.getOrFetch("gravity", key, fetch);
  if (r.outcome !== "miss") throw new Error(`expected a miss, got ${r.outcome}`);
});
const warmCache = new IngestionCache({ store: `${root}/warm`, metrics: new MetricsRegistry() });
await warmCache.getOrFetch("gravity", key, fetch);
const warm = await best(REPS, async () => {
  const r = await warmCache.getOrFetch("gravity", key, fetch);
  if (r.outcome !== "hit") throw new Error(`expected a hit, got ${r.outcome}`);
});
const fetchOnly = await best(coldReps, fetch);
console.log(`\nFetch-through, synthetic gravity survey, ${STATIONS} stations, default policy`);
console.log(
  `  (${shipped.compression === "none" ? "no compression" : shipped.compression}, storage digest ` +
    `on every read, SHA-256 on ${shipped.verifyOnRead} of reads, TTL ${shipped.ttl / 86400} d)`,
);
console.log(`  source only (synthetic plugin)           ${ms(fetchOnly)}`);
console.log(`  cold (fetch + write + verify)            ${ms(cold)}`);
console.log(`  warm (read + verify)                     ${ms(warm)}`);
console.log(`  cold / warm                              ${(cold / warm).toFixed(1).padStart(8)}x`);

await Deno.remove(root, { recursive: true });
