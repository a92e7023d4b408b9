/**
 * Writing a `ProcessedGrid` to `.tif` (Float32 GeoTIFF, metadata as JSON in the
 * `ImageDescription`) or `.zarr` (Zarr v3 group, metadata as group attributes), by extension.
 * The metadata written is `{ units, modality, registration, resolution, provenance }`, which
 * `readGrid` reads back.
 *
 * @module
 */
import type { ProcessedGrid } from "../contracts/mod.ts";
import { writeGeoTiff } from "./geotiff.ts";
import { GridFileError, gridFormatOf } from "./grid_read.ts";
import { writeZarrGrid } from "./zarr_grid.ts";

/**
 * Writes `grid` to `path` (`.tif`/`.tiff` or `.zarr`), atomically (temporary name, then
 * rename), with its provenance.
 *
 * @throws {GridFileError} for another extension.
 *
 * @example Usage
 * ```ts ignore
 * import { writeGrid } from "./grid_write.ts";
 * await writeGrid("out/smooth.tif", grid);
 * ```
 */
export async function writeGrid(path: string, grid: ProcessedGrid): Promise<void> {
  const format = gridFormatOf(path);
  const meta = {
    units: grid.units,
    ...(grid.modality ? { modality: grid.modality } : {}),
    registration: grid.registration,
    resolution: grid.resolution,
    provenance: grid.provenance,
  };
  if (format === "geotiff") {
    // The ImageDescription is ASCII: escape anything else in the JSON.
    const description = JSON.stringify(meta).replace(
      /[^\x20-\x7e]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
    await writeGeoTiff(path, grid, { description });
  } else if (format === "zarr") {
    await writeZarrGrid(path, grid, meta);
  } else {
    throw new GridFileError(path, "output must end in .tif or .zarr");
  }
}
