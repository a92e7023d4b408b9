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
 * Welford's running moments, fed in order (one range of an array after another): what
 * {@linkcode valueStatistics} computes in one pass, for a stage that sees its output a band
 * at a time (the same arithmetic in the same order, so the same bits).
 *
 * @example Usage
 * ```ts
 * import { StatisticsAccumulator, valueStatistics } from "./statistics.ts";
 * const v = new Float64Array([1, NaN, 3, 4]);
 * const acc = new StatisticsAccumulator();
 * acc.add(v, 0, 2);
 * acc.add(v, 2, 4);
 * acc.result(v.length).mean === valueStatistics(v).mean; // true
 * ```
 */
export class StatisticsAccumulator {
  #n = 0;
  #mean = 0;
  #m2 = 0;
  #min = Infinity;
  #max = -Infinity;
  /** Adds `values[from..to)` (NaN skipped). */
  add(values: ArrayLike<number>, from = 0, to = values.length): void {
    let n = this.#n, mean = this.#mean, m2 = this.#m2, min = this.#min, max = this.#max;
    for (let i = from; i < to; i++) {
      const v = values[i];
      if (v !== v) continue;
      n++;
      const d = v - mean;
      mean += d / n;
      m2 += d * (v - mean);
      if (v < min) min = v;
      if (v > max) max = v;
    }
    this.#n = n, this.#mean = mean, this.#m2 = m2, this.#min = min, this.#max = max;
  }
  /** The statistics of everything added, `count` values in all (NaN included). */
  result(count: number): DataStatistics {
    const n = this.#n;
    return {
      count,
      nanRatio: count === 0 ? 0 : (count - n) / count,
      min: n ? this.#min : null,
      max: n ? this.#max : null,
      mean: n ? this.#mean : null,
      std: n ? Math.sqrt(this.#m2 / n) : null,
    };
  }
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
  const acc = new StatisticsAccumulator();
  acc.add(values);
  return acc.result(values.length);
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
