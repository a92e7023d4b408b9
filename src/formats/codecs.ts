/**
 * The format codecs built on format libraries: GeoTIFF reading (geotiff.js), netCDF classic
 * (netcdfjs) and Zarr v3 (zarrita), with the Zarr building blocks the cache stores its entries
 * with. Loading them costs start-up time and memory: import this sub-surface where a codec is
 * used directly, `./mod.ts` (whose `readGrid` and `writeGrid` load a codec on demand)
 * otherwise.
 *
 * @example Read a Zarr group's attributes
 * ```ts
 * import { readZarrGroupAttributes, writeZarrGrid } from "./codecs.ts";
 * const dir = await Deno.makeTempDir();
 * await writeZarrGrid(`${dir}/g.zarr`, {
 *   lon: new Float64Array([0, 1]), lat: new Float64Array([0]), values: new Float32Array([1, 2]),
 * }, { units: "mGal" });
 * console.assert(readZarrGroupAttributes(`${dir}/g.zarr`)?.units === "mGal");
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export * from "./geotiff_read.ts";
export * from "./netcdf.ts";
export * from "./zarr_array_read.ts";
export * from "./zarr_codecs.ts";
export * from "./zarr_grid.ts";
