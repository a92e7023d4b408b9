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
 * input order within each line.
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
  lineIds: Float64Array,
  options: { halfWindow: number; threshold: number } & FilterRunOptions,
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
  const out = await pool.run(
    { kernel: "hampel", args: { values, lineIds, halfWindow, threshold } },
    { signal: options.signal },
  );
  return unpackHampel(out, values.length);
}

function unpackHampel(flat: Float64Array<ArrayBuffer>, n: number): HampelResult {
  // Boundary layout: `[mask as 0/1 | medians]`, 2n float64 values.
  if (flat.length !== 2 * n) {
    throw new RangeError(`hampel returned ${flat.length} values, expected ${2 * n}`);
  }
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = flat[i] === 1 ? 1 : 0;
  return { mask, medians: flat.slice(n) };
}
