/**
 * File formats: reading and writing grids (GeoTIFF, Zarr v3, NetCDF, ICGEM GDF) and point
 * tables (CSV, TSV, whitespace), with the metadata every written grid carries.
 *
 * - {@linkcode writeGrid} / {@linkcode readGrid}: a processed grid to or from a `.tif` or
 *   `.zarr` path (the format chosen by the extension), with units, registration, provenance.
 * - {@linkcode readTable} / {@linkcode parseTable}: a point table.
 * - The single formats: {@linkcode writeGeoTiff}, {@linkcode writeZarrGrid},
 *   {@linkcode readZarrGrid}, {@linkcode parseGeoTiffGrid}, {@linkcode parseNetcdfGrid},
 *   {@linkcode parseGdf}; and the Zarr building blocks the cache stores its entries with.
 *
 * @example Write a grid and read it back
 * ```ts
 * import { readGrid, writeGrid } from "./mod.ts";
 * import type { ProcessedGrid } from "../contracts/mod.ts";
 * const grid: ProcessedGrid = {
 *   lat: new Float64Array([0, 1]), lon: new Float64Array([0, 1]),
 *   values: new Float64Array([1, 2, 3, 4]), resolution: { lon: 1, lat: 1 }, units: "mGal",
 *   crs: "EPSG:4326",
 *   registration: "gridline", bbox: [0, 0, 1, 1], provenance: [],
 * };
 * const dir = await Deno.makeTempDir();
 * await writeGrid(`${dir}/g.zarr`, grid);
 * const back = await readGrid(`${dir}/g.zarr`);
 * console.assert(back.values.length === 4);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export * from "./aseg_gdf.ts";
export * from "./crs.ts";
export * from "./gdf.ts";
export * from "./geosoft_xyz.ts";
export * from "./geotiff.ts";
export * from "./geotiff_read.ts";
export * from "./grid_metadata.ts";
export * from "./grid_read.ts";
export * from "./grid_write.ts";
export * from "./line_dictionary.ts";
export * from "./netcdf.ts";
export * from "./table.ts";
export * from "./zarr_array_read.ts";
export * from "./zarr_codecs.ts";
export * from "./zarr_grid.ts";
