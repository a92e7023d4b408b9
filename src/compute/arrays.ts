/**
 * The grid array contract of the compute layer (the TypeScript side of the crate's `arrays.rs`):
 * a row-major `[lat][lon]` grid of `ny` rows by `nx` columns with NaN as nodata, the error the
 * typed wrappers throw for an invalid option, and their shared run options.
 *
 * @module
 */

/** Kilometres per degree of latitude on the mean Earth sphere (R = 6371.0088 km). */
export const KM_PER_DEGREE = (Math.PI * 6371.0088) / 180;

/** A row-major `[lat][lon]` grid of `ny` rows by `nx` columns, NaN nodata. */
export interface GridArray {
  /** Values, `nx * ny`, row 0 = southernmost. */
  values: Float64Array;
  /** Columns (longitudes). */
  nx: number;
  /** Rows (latitudes). */
  ny: number;
}

/**
 * A filter option is invalid; `option` names it (e.g. `"sigma"`).
 *
 * @example Usage
 * ```ts
 * import { FilterOptionError } from "./arrays.ts";
 * const e = new FilterOptionError("sigma", "sigma must be >= 0 cells, got -1");
 * e.option; // "sigma"
 * ```
 */
export class FilterOptionError extends RangeError {
  /** The option at fault. */
  readonly option: string;
  /**
   * @param option The option at fault.
   * @param message What was received and what was expected.
   */
  constructor(option: string, message: string) {
    super(message);
    this.name = "FilterOptionError";
    this.option = option;
  }
}

/** Options shared by every wrapper. */
export interface FilterRunOptions {
  /** Cancels the jobs (running ones have their workers terminated). */
  signal?: AbortSignal;
}

/** Options of the banded filters. */
/**
 * A band's statistics blocks (see {@linkcode BandOptions.measure}), for cells `from..to` of
 * the grid: the partial blocks at the band's two ends as values, the whole ones as summaries
 * (6 numbers each; `blockRange(from, to)` in `block_statistics.ts` says where they begin and
 * end).
 */
export interface BandSummaries {
  /** The input's values `from..headEnd` (a copy taken before the band was filtered). */
  inputHead: Float64Array;
  /** Summaries of the input's whole blocks. */
  input: Float64Array;
  /** The input's values `tailStart..to`. */
  inputTail: Float64Array;
  /** Summaries of the result's whole blocks (its partial ones are in the result array). */
  output: Float64Array;
}

export interface BandOptions extends FilterRunOptions {
  /**
   * Number of row bands (jobs); does not change the result.
   * @default {at least pool.size, bands of at most 2 Mi cells}
   */
  bands?: number;
  /**
   * Write the result over `grid.values` (returned) instead of a new array: no second grid in
   * memory. Bands are written in order, each once it is reported to `onRows`, so on a failure
   * the values are left partly filtered: the cells after the last reported band hold the input.
   * @default {false}
   */
  inPlace?: boolean;
  /**
   * Called with the result array each time cells `from..to` of it (a band's rows) are final,
   * in order from the first cell to the last (for statistics in the same pass as the stitch).
   * @default {undefined}
   */
  onRows?: (values: Float64Array, from: number, to: number, summaries?: BandSummaries) => void;
  /**
   * Have the workers summarise each band's input and result in statistics blocks (gam-core
   * `block_statistics`), handed to `onRows` with the band: the statistics before and after
   * without a pass of the main thread over either grid.
   * @default {false}
   */
  measure?: boolean;
  /**
   * Called once, synchronously, after the first bands are posted and before any result is
   * stored: work for the main thread (e.g. hashing the input) while the workers compute.
   * @default {undefined}
   */
  onPosted?: () => void;
}
