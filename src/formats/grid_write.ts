/**
 * Writing a `ProcessedGrid` to `.tif` (Float32 GeoTIFF, metadata as JSON in the
 * `ImageDescription`) or `.zarr` (Zarr v3 group, metadata as group attributes), by extension.
 * The metadata written is `gridMetadata(grid)` (`grid_metadata.ts`: units, modality,
 * registration, resolution, crs, bbox, provenance) plus the data footprint when the grid has one
 * (Zarr array `data_distance`, GeoTIFF band 2), which `readGrid` reads back.
 *
 * @module
 */
import type { ProcessedGrid } from "../contracts/mod.ts";
import { GridFileError, gridFormatOf } from "./grid_format.ts";
import { geoTiffDescription, gridMetadata } from "./grid_metadata.ts";

/**
 * Writes `grid` to `path` (`.tif`/`.tiff` or `.zarr`), atomically (temporary name, then
 * rename), with its provenance. The writer of the format is loaded when first used: a GeoTIFF
 * does not load zarrita.
 *
 * @throws {GridFileError} for another extension.
 *
 * @example Usage
 * ```ts
 * import { writeGrid } from "./grid_write.ts";
 * import { gridPoints } from "../compute/gridding.ts";
 * const points = {
 *   lon: new Float64Array([0.2, 0.8, 0.5]),
 *   lat: new Float64Array([0.2, 0.3, 0.9]),
 *   value: new Float64Array([1, 2, 3]),
 * };
 * const options = { bbox: [0, 0, 1, 1] as const, spacing: 0.5, method: "nearest" as const };
 * const { grid } = await gridPoints(null, points, { ...options, units: "mGal" });
 * const dir = await Deno.makeTempDir();
 * try {
 *   await writeGrid(`${dir}/smooth.tif`, grid);
 *   await writeGrid(`${dir}/smooth.zarr`, grid);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function writeGrid(path: string, grid: ProcessedGrid): Promise<void> {
  const format = gridFormatOf(path);
  const meta = gridMetadata(grid);
  if (format === "geotiff") {
    const { writeGeoTiff } = await import("./geotiff.ts");
    await writeGeoTiff(path, grid, {
      description: geoTiffDescription(meta),
      units: grid.units,
      metadata: grid.modality ? { modality: grid.modality } : {},
    });
  } else if (format === "zarr") {
    const { writeZarrGrid } = await import("./zarr_grid.ts");
    await writeZarrGrid(path, grid, meta);
  } else {
    throw new GridFileError(path, "output must end in .tif or .zarr");
  }
}
