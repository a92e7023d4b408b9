/**
 * Grid files by extension, and the error naming a grid file that cannot be read or written.
 * Light on purpose (no format library): the grid writer starts here and loads only the format
 * it writes.
 *
 * @module
 */

/**
 * A grid file cannot be read: unknown extension, missing file, or contents that are not a
 * valid grid. Names the file.
 *
 * @example Usage
 * ```ts
 * import { GridFileError } from "./grid_format.ts";
 * new GridFileError("a.csv", 'unsupported extension ".csv"; expected .tif, .zarr or .nc');
 * ```
 */
export class GridFileError extends Error {
  /** The file as given. */
  readonly file: string;
  /**
   * @param file The file as given.
   * @param problem What is wrong.
   */
  constructor(file: string, problem: string, options?: ErrorOptions) {
    super(`${file}: ${problem}`, options);
    this.name = "GridFileError";
    this.file = file;
  }
}

/** The grid formats by extension. */
export type GridFormat = "geotiff" | "zarr" | "netcdf";

/**
 * The format of `path` by its extension, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { gridFormatOf } from "./grid_format.ts";
 * gridFormatOf("out/g.zarr/"); // "zarr"
 * ```
 */
export function gridFormatOf(path: string): GridFormat | undefined {
  const p = path.replace(/\/+$/, "").toLowerCase();
  if (p.endsWith(".tif") || p.endsWith(".tiff")) return "geotiff";
  if (p.endsWith(".zarr")) return "zarr";
  if (p.endsWith(".nc")) return "netcdf";
  return undefined;
}
