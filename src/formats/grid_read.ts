/**
 * Reading a grid file of any supported format into a `ProcessedGrid`, by extension:
 * `.tif`/`.tiff` (GeoTIFF, `geotiff_read.ts`), `.zarr` (Zarr v3 group as written by `gam grid`,
 * `zarr_grid.ts`), `.nc` (netCDF classic, `netcdf.ts`).
 *
 * Metadata: units, modality, registration and provenance come from the Zarr group attributes,
 * from a JSON GeoTIFF `ImageDescription` (an object with those fields, or a provenance array)
 * and its `GDAL_METADATA` (band unit type, `units`, `registration`), or from the netCDF `units`
 * attribute; units default to `"unknown"` and provenance starts with a `file:<name>` entry when
 * the file carries none. Resolution is the mean axis step. The data footprint
 * (`dataDistanceKm`) comes from the Zarr array `data_distance` or GeoTIFF band 2.
 *
 * @module
 */
import type { ProcessedGrid } from "../contracts/mod.ts";
// The schemas and the format codecs are loaded when a grid is read (see readGrid).
type Schemas = typeof import("../contracts/schemas.ts");
import { normalizeUnit } from "../units/mod.ts";
import { readWholeFile } from "../fs/mod.ts";
import type { WorkerPool } from "../compute/pool.ts";

export { GridFileError, type GridFormat, gridFormatOf } from "./grid_format.ts";
import { GridFileError, gridFormatOf } from "./grid_format.ts";

type F64 = Float64Array<ArrayBuffer>;

function meanStep(a: Float64Array): number {
  return a.length > 1 ? (a[a.length - 1] - a[0]) / (a.length - 1) : 1;
}

interface Meta {
  units?: string;
  modality?: string;
  registration?: "gridline" | "pixel";
  provenance?: unknown;
  crs?: string;
  bbox?: [number, number, number, number];
}

function metaOf(value: unknown): Meta {
  if (Array.isArray(value)) return { provenance: value };
  if (value === null || typeof value !== "object") return {};
  const o = value as Record<string, unknown>;
  return {
    units: typeof o.units === "string" && o.units !== "" ? o.units : undefined,
    modality: typeof o.modality === "string" ? o.modality : undefined,
    registration: o.registration === "pixel" || o.registration === "gridline"
      ? o.registration
      : undefined,
    provenance: o.provenance,
    crs: typeof o.crs === "string" && /^EPSG:\d+$/.test(o.crs) ? o.crs : undefined,
    bbox: Array.isArray(o.bbox) && o.bbox.length === 4 && o.bbox.every(Number.isFinite)
      ? o.bbox as [number, number, number, number]
      : undefined,
  };
}

function provenanceOf(
  value: unknown,
  file: string,
  { ProvenanceEntrySchema }: Schemas,
): ProcessedGrid["provenance"] {
  if (Array.isArray(value)) {
    const entries = value.map((e) => ProvenanceEntrySchema.safeParse(e));
    if (entries.every((e) => e.success)) return entries.map((e) => e.data!);
  }
  const name = file.replace(/\/+$/, "").split("/").pop();
  return [{ step: `file:${name}`, version: "0", params: {} }];
}

/** Options of {@linkcode readGrid}. */
export interface ReadGridOptions {
  /** Keep float32 values as they are (see {@linkcode readGrid}). @default {false} */
  float32?: boolean;
  /**
   * Float64 values on a `SharedArrayBuffer`, which workers read without a copy while the
   * calling thread reads them too: a GeoTIFF's band or a Zarr array read as float64 (netCDF
   * files ignore it). `gam filter` asks for it before an FFT transform, whose input is
   * then hashed while the worker transforms it (see `fftFilter`'s `onPosted`).
   * @default {false}
   */
  shared?: boolean;
  /**
   * Workers to inflate compressed blocks and chunks on (deflate GeoTIFF strips and tiles,
   * gzip Zarr chunks) while the calling thread reads the next ones: a command that has a pool
   * for its kernels passes it. The calling thread when absent.
   */
  pool?: WorkerPool;
}

/**
 * Reads the grid at `path` (format by extension) as a validated `ProcessedGrid` with Float64
 * values, or with the file's float32 values as they are when `options.float32` (a GeoTIFF
 * band read by the built-in decoders, a Zarr array of float32; other files still float64):
 * half the memory and no widening pass, for a reader that works in float32 anyway (`gam qc`).
 *
 * @param path The file or Zarr folder.
 * @param options See {@linkcode ReadGridOptions}. @default {}
 * @throws {GridFileError} for an unknown extension, a missing file or an invalid grid (the
 * format readers' own errors are its `cause`).
 *
 * @example Usage
 * ```ts
 * import { readGrid } from "./grid_read.ts";
 * import { fetchDataset } from "../datasets/mod.ts";
 * const grid = await readGrid(await fetchDataset("gravity-earth-0.5deg.nc"));
 * ```
 */
export async function readGrid(
  path: string,
  options: ReadGridOptions = {},
): Promise<ProcessedGrid> {
  const format = gridFormatOf(path);
  if (format === undefined) {
    const ext = /\.[^./]*$/.exec(path)?.[0] ?? "(none)";
    throw new GridFileError(path, `unsupported extension "${ext}"; expected .tif, .zarr or .nc`);
  }
  let lat: F64, lon: F64, values: F64 | Float32Array<ArrayBuffer>;
  let meta: Meta = {};
  let dataDistanceKm: Float32Array<ArrayBuffer> | undefined;
  try {
    await Deno.stat(path);
  } catch (e) {
    throw new GridFileError(path, "no such file or folder", { cause: e });
  }
  const schemas = await import("../contracts/schemas.ts");
  try {
    if (format === "zarr") {
      const { readZarrGrid } = await import("./zarr_grid.ts");
      // Float32 values widened chunk by chunk as they are read: no whole float32 copy.
      const g = await readZarrGrid(path, {
        float64: options.float32 !== true,
        shared: options.shared,
        pool: options.pool,
      });
      lat = g.lat as F64;
      lon = g.lon as F64;
      values = g.values as F64 | Float32Array<ArrayBuffer>;
      meta = metaOf(g.attributes);
      dataDistanceKm = g.dataDistanceKm as Float32Array<ArrayBuffer> | undefined;
    } else if (format === "geotiff") {
      // Read by ranges: the float32 band goes from the file into the float64 grid through a
      // 4 MiB buffer, never the whole file in memory (64 MiB for a 4096² band).
      const { readGeoTiffGrid } = await import("./geotiff_read.ts");
      const g = await readGeoTiffGrid(path, options);
      ({ lat, lon, values } = g as { lat: F64; lon: F64; values: F64 });
      let description: unknown;
      try {
        // TIFF ASCII values end with a NUL byte.
        description = g.description ? JSON.parse(g.description.replace(/\0+$/, "")) : undefined;
      } catch {
        description = undefined;
      }
      const fromDescription = metaOf(description);
      meta = {
        ...fromDescription,
        units: fromDescription.units ?? g.units,
        registration: g.registration,
      };
      dataDistanceKm = g.dataDistanceKm as Float32Array<ArrayBuffer> | undefined;
    } else {
      const { parseNetcdfGrid } = await import("./netcdf.ts");
      const g = parseNetcdfGrid(await readWholeFile(path), path);
      ({ lat, lon, values } = g as { lat: F64; lon: F64; values: F64 });
      meta = { units: g.units };
    }
    if (meta.units !== undefined) {
      // Canonical spelling when the unit is known ("mgal" -> "mGal"); kept as is otherwise.
      try {
        meta.units = normalizeUnit(meta.units);
      } catch {
        // an unknown unit stays as written
      }
    }
  } catch (e) {
    if (e instanceof GridFileError) throw e;
    throw new GridFileError(path, (e as Error).message.replace(`${path}: `, ""), { cause: e });
  }
  const grid: ProcessedGrid = {
    ...(meta.modality ? { modality: meta.modality } : {}),
    lat,
    lon,
    values,
    units: meta.units ?? "unknown",
    // A Zarr group records its CRS (a projected grid's axes are metres); GeoTIFF and NetCDF
    // grids are read in EPSG:4326 only.
    crs: meta.crs ?? "EPSG:4326",
    resolution: { lon: meanStep(lon), lat: meanStep(lat) },
    registration: meta.registration ?? "gridline",
    // A projected grid's lon/lat bbox cannot be recovered from its metre axes: kept from the file.
    ...(meta.crs !== undefined && meta.crs !== "EPSG:4326" && meta.bbox ? { bbox: meta.bbox } : {}),
    ...(dataDistanceKm ? { dataDistanceKm } : {}),
    provenance: provenanceOf(meta.provenance, path, schemas),
  };
  try {
    return schemas.validateProcessedGrid(grid, path);
  } catch (e) {
    throw new GridFileError(path, `not a valid grid: ${(e as Error).message}`, { cause: e });
  }
}
