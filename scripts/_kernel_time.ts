/**
 * The kernel alone of a `gam filter` operation, in-process: the grid is read once, the workers
 * are warmed up, and the compute call the operation's stage makes (`gaussianFilter`,
 * `medianFilter`, `fftFilter` with the stage's operation) is timed on a fresh copy of the values
 * each time (the copy is not timed), as `gam filter` runs it (over its input). No process
 * start, no file reading or writing, no provenance (checksums, statistics). `bench:e2e` runs it
 * beside each whole command so that "whole command / kernel" (issue 19: at most 1.25) is
 * measured in the same run.
 *
 *   deno run -A --unstable-worker-options scripts/_kernel_time.ts GRID OP [--runs N]
 *
 * OP is one of the operations `bench:e2e` runs, with its parameters there: `gaussian` (sigma
 * 4), `median` (size 5), `bandpass` (Gaussian, 10 to 100 cells), `upward` (500 m),
 * `vertical-derivative`, `tilt`, `rtp` (inclination 60, declination 10). Prints
 * `{"seconds": S}`, the best of N (default 3).
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  cellSizeKm,
  fftFilter,
  type FftOperation,
  gaussianFilter,
  medianFilter,
  type WarmFilter,
  warmUpFilter,
  WorkerPool,
} from "../src/compute/mod.ts";
import { readGrid } from "../src/formats/mod.ts";

const { values: flags, positionals } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string", default: "3" } },
  allowPositionals: true,
});
const [path, op] = positionals;
const runs = Math.max(1, Math.floor(Number(flags.runs)) || 1);
const grid = await readGrid(path);
const nx = grid.lon.length, ny = grid.lat.length;
const { dxKm, dyKm } = cellSizeKm(grid);
const cellKm = Math.max(dxKm, dyKm);

const FFT: Record<string, FftOperation> = {
  bandpass: { op: "bandpass", lowKm: 10 * cellKm, highKm: 100 * cellKm, shape: "gaussian" },
  upward: { op: "upward", heightM: 500 },
  "vertical-derivative": { op: "derivative", direction: "vertical" },
  tilt: { op: "tilt" },
  rtp: { op: "rtp", inclination: 60, declination: 10 },
};
const kernels: Record<string, [WarmFilter, (values: Float64Array) => Promise<unknown>]> = {
  gaussian: [
    "gaussian",
    (values) => gaussianFilter(pool, { values, nx, ny }, { sigmaX: 4, sigmaY: 4, inPlace: true }),
  ],
  median: [
    "median",
    (values) => medianFilter(pool, { values, nx, ny }, { size: 5, inPlace: true }),
  ],
};
for (const [name, operation] of Object.entries(FFT)) {
  kernels[name] = [
    "fft",
    (values) => fftFilter(pool, { values, nx, ny }, { dxKm, dyKm, operation, inPlace: true }),
  ];
}
if (!(op in kernels)) {
  console.error(`_kernel_time: unknown operation "${op}"; expected ${Object.keys(kernels)}`);
  Deno.exit(2);
}
const [warm, run] = kernels[op];
await using pool = new WorkerPool({});
await warmUpFilter(pool, warm);
let best = Infinity;
// One untimed call first: V8 optimises the workers' code paths on their first full-size call.
for (let r = -1; r < runs; r++) {
  const values = Float64Array.from(grid.values);
  const t = performance.now();
  await run(values);
  if (r >= 0) best = Math.min(best, (performance.now() - t) / 1000);
}
console.log(JSON.stringify({ seconds: best }));
