/**
 * File formats: reading and writing grids (GeoTIFF, Zarr v3, NetCDF, ICGEM GDF) and point
 * tables (CSV, TSV, whitespace), with the metadata every written grid carries.
 *
 * - {@linkcode writeGrid} / {@linkcode readGrid}: a processed grid to or from a `.tif` or
 *   `.zarr` path (the format chosen by the extension), with units, registration, provenance.
 * - {@linkcode readTable} / {@linkcode parseTable}: a point table.
 * - {@linkcode writeGeoTiff}, {@linkcode parseGdf}: the formats that need no library.
 *
 * Light: it loads no format library (`readGrid` and `writeGrid` load the one a path needs when
 * called), so entry points import it at no start-up cost. The format codecs built on zarrita,
 * geotiff.js and netcdfjs (`readZarrGrid`, `writeZarrGrid`, `parseGeoTiffGrid`,
 * `parseNetcdfGrid`, the Zarr building blocks the cache stores its entries with) are the
 * heavier sub-surface `./codecs.ts`.
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
export * from "./grid_format.ts";
export * from "./grid_metadata.ts";
export { readGrid, type ReadGridOptions } from "./grid_read.ts";
export * from "./grid_write.ts";
export * from "./line_dictionary.ts";
export * from "./table.ts";
