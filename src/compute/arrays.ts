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
export interface BandOptions extends FilterRunOptions {
  /**
   * Number of row bands (jobs); does not change the result.
   * @default {at least pool.size, bands of at most 2 Mi cells}
   */
  bands?: number;
  /**
   * Write the result over `grid.values` (returned) instead of a new array: no second grid in
   * memory. On a failure the values are left partly filtered.
   * @default {false}
   */
  inPlace?: boolean;
  /**
   * Called with the result array each time cells `from..to` of it (a band's rows) are final,
   * in order from the first cell to the last (for statistics in the same pass as the stitch).
   * @default {undefined}
   */
  onRows?: (values: Float64Array, from: number, to: number) => void;
  /**
   * Called once, synchronously, after the first bands are posted and before any result is
   * stored: work for the main thread (e.g. hashing the input) while the workers compute.
   * @default {undefined}
   */
  onPosted?: () => void;
}
