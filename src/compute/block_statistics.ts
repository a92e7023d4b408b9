/**
 * The blocks the pipeline's statistics are summed in (gam-core `block_statistics`, merged by
 * `StatisticsAccumulator` in `src/preprocessing/statistics.ts`): values cut into blocks of
 * {@linkcode STATISTICS_BLOCK} by their position in the whole sequence, so that a worker
 * holding a band summarises the whole blocks inside it and the main thread only merges.
 *
 * @module
 */

/**
 * Values per statistics block; the gam-core kernel `block_statistics` cuts the same blocks.
 *
 * @example Usage
 * ```ts
 * import { STATISTICS_BLOCK } from "./block_statistics.ts";
 * STATISTICS_BLOCK; // 4096
 * ```
 */
export const STATISTICS_BLOCK = 4096;

/**
 * Numbers per block summary of `block_statistics`: `[valid count, shift K, Σ(v-K), Σ(v-K)²,
 * min, max]`.
 *
 * @example Usage
 * ```ts
 * import { SUMMARY_FIELDS } from "./block_statistics.ts";
 * SUMMARY_FIELDS; // 6
 * ```
 */
export const SUMMARY_FIELDS = 6;

/**
 * Where the whole blocks of the values `from..to` (positions in the whole sequence) begin and
 * end: `[headEnd, tailStart]`, so that `from..headEnd` and `tailStart..to` are the partial
 * blocks summed value by value and `headEnd..tailStart` the whole ones `block_statistics`
 * summarises (given `position = from`).
 *
 * @example Usage
 * ```ts
 * import { blockRange } from "./block_statistics.ts";
 * blockRange(100, 10_000); // [4096, 8192]
 * blockRange(100, 200); // [200, 200]: no whole block
 * ```
 */
export function blockRange(from: number, to: number): [number, number] {
  const headEnd = Math.min(to, Math.ceil(from / STATISTICS_BLOCK) * STATISTICS_BLOCK);
  const tailStart = Math.max(headEnd, Math.floor(to / STATISTICS_BLOCK) * STATISTICS_BLOCK);
  return [headEnd, tailStart];
}
