/**
 * `deno task bench:pipeline`: a two-branch preprocessing pipeline on 500,000 synthetic gravity
 * points, with per-stage times, and the same branches run alone for comparison:
 *
 *   outlier(mad) -> { fine: grid(idw, 0.01°) -> noise -> qc, coarse: grid(block-mean, 0.1°) -> noise -> qc }
 *
 * Prints each stage's wall time (from the run's stage records) and the ratio of the two-branch
 * run to the slower branch run alone (issue 7 target: below 1.3 on 2 cores).
 *
 * Options: `--points N` (default 500000), `--workers N` (default 2).
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { RawPoints } from "../src/contracts/mod.ts";
import { WorkerPool } from "../src/compute/mod.ts";
import { createLogger } from "../src/observability/logger.ts";
import {
  buildPipeline,
  defaultStageRegistry,
  type PipelineResult,
  runPipeline,
} from "../src/preprocessing/mod.ts";
import { mulberry32 } from "../src/plugins/in_process.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: { points: { type: "string" }, workers: { type: "string" } },
});
const n = Number(flags.points ?? 500_000);
const workers = Number(flags.workers ?? 2);
const bbox: [number, number, number, number] = [10, 45, 15, 49];

function survey(): RawPoints {
  const rand = mulberry32(20261125);
  const lon = new Float64Array(n), lat = new Float64Array(n), value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lon[i] = bbox[0] + rand() * (bbox[2] - bbox[0]);
    lat[i] = bbox[1] + rand() * (bbox[3] - bbox[1]);
    value[i] = 20 * Math.sin(lon[i] * 3) * Math.cos(lat[i] * 2) + rand() +
      (rand() < 0.001 ? 200 : 0);
  }
  return {
    source: { plugin: "synthetic", version: "1.0.0" },
    modality: "gravity",
    kind: "points",
    bbox,
    units: "mGal",
    crs: "EPSG:4326",
    metadata: { retrievedAt: new Date().toISOString(), licence: "CC0-1.0", citation: "synthetic" },
    points: { lon, lat, value },
  };
}

const FINE = "grid(method=idw, spacing=0.01, radius=0.05, k=8) -> noise(sigma=1.5) -> qc";
const COARSE = "grid(method=block-mean, spacing=0.1) -> noise(sigma=1) -> qc";
const OUTLIER = "outlier(method=mad, threshold=6)";

async function run(definition: string, pool: WorkerPool, input: RawPoints) {
  const plan = buildPipeline(definition, defaultStageRegistry(), "1.0.0");
  const t0 = performance.now();
  const result: PipelineResult = await runPipeline(plan, input, {
    pool,
    logger: createLogger({ level: "warn" }),
    request: { modality: "gravity", bbox },
  });
  const seconds = (performance.now() - t0) / 1000;
  if (result.failures.length) {
    throw new Error(`${definition}: ${result.failures.map((f) => f.error.message).join("; ")}`);
  }
  return { seconds, result };
}

const input = survey();
await using pool = new WorkerPool({ size: workers });
await pool.run({ kernel: "core_version", args: [] });
console.log(`bench:pipeline: ${n} points, ${workers} workers, bbox [${bbox.join(", ")}]`);
await run(`${OUTLIER} -> ${COARSE}`, pool, input); // warm-up (wasm tier-up, caches)

const both = await run(`${OUTLIER} -> { fine: ${FINE}, coarse: ${COARSE} }`, pool, input);
console.log("\nstage times of the two-branch run:");
for (const r of both.result.records) {
  console.log(`  ${r.branch.padEnd(7)} ${r.stage.padEnd(8)} ${r.durationSeconds.toFixed(3)} s`);
}
const fine = await run(`${OUTLIER} -> ${FINE}`, pool, input);
const coarse = await run(`${OUTLIER} -> ${COARSE}`, pool, input);
const slower = Math.max(fine.seconds, coarse.seconds);
console.log(
  `\ntwo branches: ${both.seconds.toFixed(3)} s; fine alone ${fine.seconds.toFixed(3)} s; ` +
    `coarse alone ${coarse.seconds.toFixed(3)} s; ratio to the slower branch ` +
    `${(both.seconds / slower).toFixed(2)} (target < 1.3)`,
);
