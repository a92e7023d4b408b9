/**
 * Summary statistics recorded before and after every stage.
 *
 * @module
 */
import type { StageData } from "./stage.ts";

// The one count of gaps, in the numeric core (light enough for `gam grid` to import).
export { nanCount } from "../compute/mod.ts";
import { blockRange, STATISTICS_BLOCK as BLOCK, SUMMARY_FIELDS } from "../compute/mod.ts";

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
 * Running count, min, max, mean and variance of values fed in order (one range of an array
 * after another): what {@linkcode valueStatistics} computes in one pass, for a stage that sees
 * its output a band at a time.
 *
 * Method: the values are cut into blocks of 4096 by their position in the whole sequence;
 * within a block, sums of `v - K` and `(v - K)²` about the block's first valid value `K`
 * (shifted data: Chan, Golub and LeVeque 1983, "Algorithms for computing the sample variance:
 * analysis and recommendations", The American Statistician 37(3)), and the blocks are merged
 * one after another by their pairwise update. A block spans 4096 neighbouring values, so the
 * shift keeps the sums small and the cancellation in `Σ(v-K)² - (Σ(v-K))²/n` harmless, and the
 * merge keeps the precision on grids of any size. No division per value: Welford's running
 * mean, used before, took one (about 10 ns a value, 0.3 s on each side of a stage on 4096²).
 * Block boundaries depend on positions only, so any cut of the same sequence into ranges
 * gives the same bits.
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
  // The blocks merged so far.
  #n = 0;
  #mean = 0;
  #m2 = 0;
  #min = Infinity;
  #max = -Infinity;
  // The current block: positions used (NaN included), valid values, shift, shifted sums.
  #used = 0;
  #bn = 0;
  #k = 0;
  #s1 = 0;
  #s2 = 0;

  /** Adds `values[from..to)` (NaN skipped). */
  add(values: ArrayLike<number>, from = 0, to = values.length): void {
    let min = this.#min, max = this.#max;
    for (let i = from; i < to;) {
      const end = Math.min(to, i + BLOCK - this.#used);
      let bn = this.#bn, k = this.#k, s1 = this.#s1, s2 = this.#s2;
      this.#used += end - i;
      for (; i < end; i++) {
        const v = values[i];
        if (v !== v) continue;
        // The shift is the block's first finite value (an infinity would make every d NaN).
        if (bn === 0) k = v - v === 0 ? v : 0;
        const d = v - k;
        bn++;
        s1 += d;
        s2 += d * d;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      this.#bn = bn, this.#k = k, this.#s1 = s1, this.#s2 = s2;
      if (this.#used === BLOCK) this.#mergeBlock();
    }
    this.#min = min, this.#max = max;
  }

  /**
   * Adds whole blocks summarised elsewhere: `summaries` holds 6 numbers per block, `[valid
   * count, shift, Σ(v-K), Σ(v-K)², min, max]`, as the gam-core kernel `block_statistics`
   * returns them for the values that come next ({@linkcode StatisticsAccumulator.addSummarised}
   * adds a range with its partial end blocks). The result has the same bits as adding the
   * values themselves.
   *
   * @throws {RangeError} when `summaries` holds blocks but the values added so far do not end
   *   at a block boundary, or it is not a whole number of blocks.
   */
  addBlocks(summaries: Float64Array): void {
    if (summaries.length === 0) return;
    if (this.#used !== 0 || summaries.length % SUMMARY_FIELDS !== 0) {
      throw new RangeError(
        `statistics: ${summaries.length} summary numbers received after ${this.#used} values of a block, expected a multiple of ${SUMMARY_FIELDS} at a block boundary`,
      );
    }
    let min = this.#min, max = this.#max;
    for (let at = 0; at < summaries.length; at += SUMMARY_FIELDS) {
      this.#bn = summaries[at];
      this.#k = summaries[at + 1];
      this.#s1 = summaries[at + 2];
      this.#s2 = summaries[at + 3];
      if (summaries[at + 4] < min) min = summaries[at + 4];
      if (summaries[at + 5] > max) max = summaries[at + 5];
      this.#mergeBlock();
    }
    this.#min = min, this.#max = max;
  }

  /**
   * Adds `values[from..to)`, whose whole blocks `summaries` holds (`block_statistics` of that
   * range with `position = from`, e.g. from a kernel's pass): the partial blocks at both ends
   * are read from `values`. `from` must be where the values added so far end.
   */
  addSummarised(
    values: ArrayLike<number>,
    from: number,
    to: number,
    summaries: Float64Array,
  ): void {
    const [headEnd, tailStart] = blockRange(from, to);
    this.add(values, from, headEnd);
    this.addBlocks(summaries);
    this.add(values, tailStart, to);
  }

  /** Merges the current block into the running moments and starts a new one. */
  #mergeBlock(): void {
    [this.#n, this.#mean, this.#m2] = this.#merged();
    this.#used = 0, this.#bn = 0, this.#k = 0, this.#s1 = 0, this.#s2 = 0;
  }

  /** `[n, mean, m2]` of the merged blocks and the current one (Chan et al.'s update). */
  #merged(): [number, number, number] {
    const n = this.#n, bn = this.#bn;
    if (bn === 0) return [n, this.#mean, this.#m2];
    const s1 = this.#s1;
    const bMean = this.#k + s1 / bn;
    const bM2 = Math.max(0, this.#s2 - (s1 * s1) / bn);
    if (n === 0) return [bn, bMean, bM2];
    const total = n + bn;
    const delta = bMean - this.#mean;
    return [
      total,
      this.#mean + (delta * bn) / total,
      this.#m2 + bM2 + ((delta * delta) * n * bn) / total,
    ];
  }

  /** The statistics of everything added, `count` values in all (NaN included). */
  result(count: number): DataStatistics {
    const [n, mean, m2] = this.#merged();
    return {
      count,
      nanRatio: count === 0 ? 0 : (count - n) / count,
      min: n ? this.#min : null,
      max: n ? this.#max : null,
      mean: n ? mean : null,
      std: n ? Math.sqrt(m2 / n) : null,
    };
  }
}

/**
 * Statistics of the values of `data` (points' `value` or grid `values`), by
 * {@linkcode StatisticsAccumulator} (blocked shifted sums, merged pairwise: large grids do not
 * lose precision); the moments are `null` when every value is NaN.
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
