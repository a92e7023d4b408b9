/**
 * Outlier detection on the worker pool: typed wrappers of the gam-core outlier kernels
 * (`outliers_zscore`, `outliers_iqr`, `outliers_mad`, `hampel`; crate module `outliers`).
 * Each call is one job over the whole array.
 *
 * @module
 */
import { FilterOptionError, type FilterRunOptions } from "./arrays.ts";
import { checkNumber } from "./_checks.ts";
import type { WorkerPool } from "./pool.ts";

/** Global outlier rules. */
export const OUTLIER_METHODS = ["zscore", "iqr", "mad"] as const;
/** A global outlier rule: z-score, Tukey fences on the IQR, or robust MAD z-score. */
export type OutlierMethod = typeof OUTLIER_METHODS[number];

/**
 * The outlier mask of `values` by a global rule: `1` where the value is an outlier, `0`
 * elsewhere (NaN values are ignored by the statistics and always get `0` at their own index).
 *
 * - `zscore`: `|x - mean| / std > threshold` (population std).
 * - `iqr`: outside the Tukey fences `q1 - threshold * IQR`, `q3 + threshold * IQR` (1.5 classic).
 * - `mad`: `|x - median| / (1.4826 * MAD) > threshold`.
 *
 * @example Usage
 * ```ts
 * import { outlierMask } from "./outliers.ts";
 * import { WorkerPool } from "./pool.ts";
 * await using pool = new WorkerPool({ size: 1 });
 * const values = new Float64Array([1, 2, NaN, 1.5, 100]);
 * const mask = await outlierMask(pool, values, { method: "mad", threshold: 3.5 });
 * [...mask]; // [0, 0, 0, 0, 1]
 * ```
 */
export async function outlierMask(
  pool: WorkerPool,
  values: Float64Array,
  options: { method: OutlierMethod; threshold: number } & FilterRunOptions,
): Promise<Uint8Array> {
  const { method, threshold } = options;
  if (!OUTLIER_METHODS.includes(method)) {
    throw new FilterOptionError(
      "method",
      `method must be one of ${OUTLIER_METHODS.join(", ")}, got "${method}"`,
    );
  }
  checkNumber("threshold", threshold, threshold >= 0, "a number >= 0");
  return await pool.run(
    { kernel: `outliers_${method}`, args: { values, threshold } },
    { signal: options.signal },
  );
}

/** The result of {@linkcode hampelFilter}. */
export interface HampelResult {
  /** `1` where the sample is an outlier, aligned with the input. */
  mask: Uint8Array;
  /** Median of each sample's window along its line (NaN when the window has no value). */
  medians: Float64Array<ArrayBuffer>;
}

/**
 * Rolling Hampel filter along flight lines: a sample is an outlier when it differs from the
 * median of the `halfWindow` samples either side on its own line by more than
 * `threshold * 1.4826 * MAD` of that window. Samples are grouped by `lineIds` and taken in
 * input order within each line. Above `chunkReadings` readings (default
 * {@linkcode HAMPEL_CHUNK_READINGS}) the kernel is called on a few whole lines at a time, one
 * call after the other: the same result, with a worker's memory bounded by the chunk.
 *
 * @example Usage
 * ```ts
 * import { hampelFilter } from "./outliers.ts";
 * import { WorkerPool } from "./pool.ts";
 * await using pool = new WorkerPool({ size: 1 });
 * const values = new Float64Array([1, 1.1, 0.9, 9, 1, 1.2, 0.8]);
 * const lines = new Float64Array(7).fill(3); // one flight line
 * const { mask, medians } = await hampelFilter(pool, values, lines, { halfWindow: 2, threshold: 3 });
 * [mask[3], medians[3]]; // [1, 1.1]
 * ```
 */
export async function hampelFilter(
  pool: WorkerPool,
  values: Float64Array,
  lineIds: Float64Array | Int32Array,
  options: { halfWindow: number; threshold: number; chunkReadings?: number } & FilterRunOptions,
): Promise<HampelResult> {
  const { halfWindow, threshold } = options;
  checkNumber(
    "halfWindow",
    halfWindow,
    Number.isInteger(halfWindow) && halfWindow >= 1,
    "an integer >= 1",
  );
  checkNumber("threshold", threshold, threshold >= 0, "a number >= 0");
  if (lineIds.length !== values.length) {
    throw new FilterOptionError(
      "lineIds",
      `lineIds must have one id per value (${values.length}), got ${lineIds.length}`,
    );
  }
  const chunk = options.chunkReadings ?? HAMPEL_CHUNK_READINGS;
  if (values.length <= chunk || lineIds.some((id) => id !== id)) {
    // One call (a NaN line id is the kernel's error to report).
    const ids = lineIds instanceof Float64Array ? lineIds : Float64Array.from(lineIds);
    const out = await pool.run(
      { kernel: "hampel", args: { values, lineIds: ids, halfWindow, threshold } },
      { signal: options.signal },
    );
    return unpackHampel(out, values.length);
  }
  // Whole lines at a time, at most about `chunk` readings per kernel call: each line's samples
  // go together and in input order, so the result is the same as one call's, while a worker's
  // WebAssembly memory (which never shrinks) grows to one chunk, not the whole survey.
  const n = values.length;
  const slotOf = new Map<number, number>();
  const slots = new Int32Array(n);
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    let s = slotOf.get(lineIds[i]);
    if (s === undefined) {
      s = counts.length;
      slotOf.set(lineIds[i], s);
      counts.push(0);
    }
    slots[i] = s;
    counts[s]++;
  }
  const starts = new Int32Array(counts.length + 1);
  for (let s = 0; s < counts.length; s++) starts[s + 1] = starts[s] + counts[s];
  const order = new Int32Array(n); // indices grouped by line, in input order within each
  const next = starts.slice(0, counts.length);
  for (let i = 0; i < n; i++) order[next[slots[i]]++] = i;
  const mask = new Uint8Array(n);
  const medians = new Float64Array(n);
  for (let first = 0; first < counts.length;) {
    let last = first + 1;
    while (last < counts.length && starts[last + 1] - starts[first] <= chunk) last++;
    const from = starts[first], to = starts[last];
    const v = new Float64Array(to - from), ids = new Float64Array(to - from);
    for (let k = from; k < to; k++) {
      v[k - from] = values[order[k]];
      ids[k - from] = lineIds[order[k]];
    }
    const out = unpackHampel(
      await pool.run(
        { kernel: "hampel", args: { values: v, lineIds: ids, halfWindow, threshold } },
        { signal: options.signal, transfer: [v.buffer, ids.buffer] },
      ),
      to - from,
    );
    for (let k = from; k < to; k++) {
      mask[order[k]] = out.mask[k - from];
      medians[order[k]] = out.medians[k - from];
    }
    first = last;
  }
  return { mask, medians };
}

/**
 * Readings per Hampel kernel call beyond which {@linkcode hampelFilter} filters a survey a few
 * whole lines at a time (count of readings; `chunkReadings` overrides it per call).
 *
 * @example Usage
 * ```ts
 * import { HAMPEL_CHUNK_READINGS } from "./outliers.ts";
 * HAMPEL_CHUNK_READINGS; // 1048576
 * ```
 */
export const HAMPEL_CHUNK_READINGS = 1 << 20;

function unpackHampel(flat: Float64Array<ArrayBuffer>, n: number): HampelResult {
  // Boundary layout: `[mask as 0/1 | medians]`, 2n float64 values.
  if (flat.length !== 2 * n) {
    throw new RangeError(`hampel returned ${flat.length} values, expected ${2 * n}`);
  }
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = flat[i] === 1 ? 1 : 0;
  return { mask, medians: flat.slice(n) };
}
