/**
 * Summary statistics recorded before and after every stage.
 *
 * @module
 */
import type { StageData } from "./stage.ts";

// The one count of gaps, in the numeric core (light enough for `gam grid` to import).
export { nanCount } from "../compute/mod.ts";

/** Count, NaN ratio and moments of a data set's values (NaN ignored by the moments). */
export interface DataStatistics {
  /** Number of values (points or grid cells), NaN included. */
  count: number;
  /** Fraction of values that are NaN, in [0, 1]. */
  nanRatio: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Population standard deviation. */
  std: number | null;
}

/**
 * Statistics of the values of `data` (points' `value` or grid `values`). Moments use Welford's
 * algorithm so large grids do not lose precision; they are `null` when every value is NaN.
 *
 * @example Usage
 * ```ts
 * import { valueStatistics } from "./statistics.ts";
 * valueStatistics(new Float64Array([1, NaN, 3])); // { count: 3, nanRatio: 1/3, mean: 2, ... }
 * ```
 */
export function valueStatistics(values: Float64Array | Float32Array): DataStatistics {
  let n = 0, mean = 0, m2 = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    n++;
    const d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const count = values.length;
  return {
    count,
    nanRatio: count === 0 ? 0 : (count - n) / count,
    min: n ? min : null,
    max: n ? max : null,
    mean: n ? mean : null,
    std: n ? Math.sqrt(m2 / n) : null,
  };
}

/**
 * Statistics of a stage's input or output.
 *
 * @example Usage
 * ```ts
 * import { dataStatistics } from "./statistics.ts";
 * // dataStatistics(rawData).nanRatio
 * ```
 */
export function dataStatistics(data: StageData): DataStatistics {
  if ("kind" in data) {
    return valueStatistics(data.kind === "points" ? data.points.value : data.grid.values);
  }
  return valueStatistics(data.values);
}
