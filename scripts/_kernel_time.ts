/**
 * The kernel alone of a `gam filter` operation or of `gam qc`, in-process: the grid is read
 * once, the workers are warmed up, and the compute call the command makes (`gaussianFilter`,
 * `medianFilter`, `fftFilter` with the stage's operation, `qualityControl`) is timed on a fresh
 * copy of the values each time (the copy is not timed; on shared memory where the command reads
 * its input so), as the command runs it (over its input, or giving the values up). No process start, no file reading or writing, no provenance
 * (checksums, statistics). `bench:e2e` runs it beside each whole command so that "whole command
 * / kernel" (issue 19: at most 1.25) is measured in the same run.
 *
 *   deno run -A --unstable-worker-options scripts/_kernel_time.ts GRID OP [--runs N]
 *
 * OP is one of the operations of `_e2e_ops.ts`, with its parameters there (the ones
 * `bench:e2e`'s command lines use): `gaussian`, `median`, `bandpass`, `upward`,
 * `vertical-derivative`, `tilt`, `rtp`, `qc`. Prints `{"seconds": S}`, the best of N (default 3).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { cellSizeKm, WorkerPool } from "../src/compute/mod.ts";
import { readGrid } from "../src/formats/mod.ts";
import { sharedFloat64Array } from "../src/formats/shared_array.ts";
import { e2eOps } from "./_e2e_ops.ts";

const { values: flags, positionals } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string", default: "3" } },
  allowPositionals: true,
});
const [path, op] = positionals;
const runs = Math.max(1, Math.floor(Number(flags.runs)) || 1);
const grid = await readGrid(path);
const { dxKm, dyKm } = cellSizeKm(grid);
const ops = e2eOps(Math.max(dxKm, dyKm));
if (!(op in ops)) {
  console.error(`_kernel_time: unknown operation "${op}"; expected ${Object.keys(ops)}`);
  Deno.exit(2);
}
const { warm, run, shared } = ops[op];
await using pool = new WorkerPool({});
await warm?.(pool);
let best = Infinity;
// One untimed call first: V8 optimises the workers' code paths on their first full-size call.
for (let r = -1; r < runs; r++) {
  const values = shared
    ? sharedFloat64Array(grid.values.length)
    : new Float64Array(grid.values.length);
  values.set(grid.values);
  const copy = { ...grid, values: values as Float64Array<ArrayBuffer> };
  const t = performance.now();
  await run(pool, copy);
  if (r >= 0) best = Math.min(best, (performance.now() - t) / 1000);
}
console.log(JSON.stringify({ seconds: best }));
