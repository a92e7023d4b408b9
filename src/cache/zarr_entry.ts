/**
 * Cache entries as Zarr v3 groups, on top of `src/formats/zarr_grid.ts` (the project's Zarr
 * layout for grids), extended with what the cache needs: point arrays, a chunk codec chosen in
 * config (`none`, `gzip`, `zstd`) and a chunk size.
 *
 * Layouts (same as `writeZarrGrid` for grids):
 * - grid: `lat` `[nlat]` and `lon` `[nlon]` float64 with dimension names and CF units, `values`
 *   `[nlat, nlon]` float32/float64, dimension names `["lat", "lon"]`, fill value NaN,
 *   chunks `chunkSize x chunkSize`.
 * - points: 1-D arrays `lon`, `lat` (float64), `value` (float32/float64), optional `height`
 *   (float64) and `line` (int32 or float64), all with dimension name `point`, chunks of
 *   `chunkSize^2` elements.
 * - group attributes: whatever the caller passes (the cache stores its manifest subset).
 *
 * zarrita 0.7.5 decodes gzip and zstd but only encodes zstd (through `numcodecs`);
 * {@linkcode registerZarrCodecs} puts a gzip codec backed by the runtime's `node:zlib` into
 * zarrita's codec registry so gzip chunks can be written too (and read faster). Every function
 * here calls it, so callers need not.
 *
 * @module
 */
import * as zarr from "zarrita";
import FileSystemStore from "@zarrita/storage/fs";
import {
  chunkCodecs,
  type Compression,
  COMPRESSIONS,
  readZarrArray,
  readZarrGridArrays,
  readZarrGroupAttributes,
  registerZarrCodecs,
  writeZarrGrid,
  type ZarrGrid,
  type ZarrWriteOptions,
} from "../formats/codecs.ts";

export { chunkCodecs, type Compression, COMPRESSIONS, registerZarrCodecs };
/** Options of the cache entry writers (the formats module's Zarr write options). */
export type ZarrEntryWriteOptions = ZarrWriteOptions;
import { CacheFormatError } from "./errors.ts";

/** Scattered points as stored in a cache entry. */
export interface ZarrPoints {
  /** Longitudes, degrees. */
  lon: Float64Array;
  /** Latitudes, degrees. */
  lat: Float64Array;
  /** Values; NaN for a missing reading. */
  value: Float64Array | Float32Array;
  /** Heights above the ellipsoid, metres. */
  height?: Float64Array;
  /** Flight-line ids. */
  line?: Float64Array | Int32Array;
}

type AnyArray = Float64Array | Float32Array | Int32Array;

function dtypeOf(a: AnyArray): "float64" | "float32" | "int32" {
  return a instanceof Float64Array ? "float64" : a instanceof Float32Array ? "float32" : "int32";
}

async function writeArray(
  group: zarr.Group<FileSystemStore>,
  name: string,
  data: AnyArray,
  shape: number[],
  chunkShape: number[],
  dimensionNames: string[],
  codecs: zarr.CodecMetadata[],
  attributes: Record<string, unknown> = {},
): Promise<void> {
  const dtype = dtypeOf(data);
  const arr = await zarr.create(group.resolve(name), {
    shape,
    chunkShape: chunkShape.map((c, i) => Math.max(1, Math.min(c, shape[i]))),
    dtype,
    fillValue: dtype === "int32" ? 0 : NaN,
    codecs,
    dimensionNames,
    attributes,
  });
  const stride = shape.length === 2 ? [shape[1], 1] : [1];
  // One code path for all dtypes: zarrita's types want the chunk's dtype to match the array's.
  await zarr.set(
    arr as unknown as zarr.Array<"float64", FileSystemStore>,
    null,
    { data, shape, stride } as unknown as zarr.Chunk<"float64">,
  );
}

function checkChunkSize(chunkSize: number): number {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new RangeError(`chunkSize must be an integer >= 1 (cells), got ${chunkSize}`);
  }
  return chunkSize;
}

/**
 * Writes a grid as a Zarr v3 group into the folder `dir` (which must be empty or absent), in
 * the layout of `writeZarrGrid`, with the chosen codec and chunk size. Not atomic by itself:
 * the cache writes into a private folder and publishes it by rename.
 *
 * @param dir Group folder.
 * @param grid Axes and row-major `[lat][lon]` values.
 * @param attributes Group attributes (JSON).
 * @param options Codec and chunk size.
 *
 * @example Usage
 * ```ts
 * import { writeGridGroup } from "./zarr_entry.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await writeGridGroup(dir, {
 *     lat: new Float64Array([0, 1]), lon: new Float64Array([0, 1, 2]),
 *     values: new Float32Array([1, 2, 3, 4, NaN, 6]),
 *   }, { units: "mGal" }, { compression: "gzip" });
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function writeGridGroup(
  dir: string,
  grid: ZarrGrid,
  attributes: Record<string, unknown>,
  options: ZarrEntryWriteOptions = {},
): Promise<void> {
  return writeZarrGrid(dir, grid, attributes, { chunkSize: 256, ...options });
}

/**
 * Reads a grid group (written by {@linkcode writeGridGroup} or `writeZarrGrid`) through the
 * project's grid reader, with every codec of {@linkcode Compression} available.
 *
 * @param dir Group folder.
 *
 * @example Usage
 * ```ts
 * import { readGridGroup } from "./zarr_entry.ts";
 * import { writeZarrGrid } from "../formats/codecs.ts";
 * // In the cache: <store>/preprocessing/<modality>/<bbox_hash>/v<semver>-<hash12>.<branch>
 * const dir = await Deno.makeTempDir();
 * try {
 *   const grid = { lon: new Float64Array([0, 1]), lat: new Float64Array([0]), values: new Float32Array([1, 2]) };
 *   await writeZarrGrid(`${dir}/v1.0.0`, grid);
 *   const { values } = await readGridGroup(`${dir}/v1.0.0`);
 *   [...values]; // [1, 2]
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function readGridGroup(dir: string): Promise<ZarrGrid> {
  return readZarrGridArrays(dir);
}

/**
 * Writes points as a Zarr v3 group of 1-D arrays into the folder `dir` (empty or absent).
 *
 * @param dir Group folder.
 * @param points Equal-length arrays.
 * @param attributes Group attributes (JSON).
 * @param options Codec and chunk size (1-D chunks hold `chunkSize^2` elements).
 * @throws {CacheFormatError} when the arrays' lengths differ.
 *
 * @example Usage
 * ```ts
 * import { writePointsGroup } from "./zarr_entry.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await writePointsGroup(dir, {
 *     lon: new Float64Array([0.5]), lat: new Float64Array([0.5]), value: new Float64Array([9.8]),
 *   }, {}, { compression: "zstd" });
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function writePointsGroup(
  dir: string,
  points: ZarrPoints,
  attributes: Record<string, unknown>,
  options: ZarrEntryWriteOptions = {},
): Promise<void> {
  registerZarrCodecs();
  const n = points.lon.length;
  const edge = checkChunkSize(options.chunkSize ?? 256);
  const codecs = chunkCodecs(options.compression ?? "none");
  const root = await zarr.create(zarr.root(new FileSystemStore(dir)), {
    attributes: JSON.parse(JSON.stringify(attributes)),
  });
  for (const name of POINT_ARRAYS) {
    const data = points[name];
    if (data === undefined) continue;
    if (data.length !== n) {
      throw new CacheFormatError(
        `${dir}: points.${name} has ${data.length} elements, lon has ${n}`,
      );
    }
    const attrs = name === "lon"
      ? { units: "degrees_east", standard_name: "longitude" }
      : name === "lat"
      ? { units: "degrees_north", standard_name: "latitude" }
      : name === "height"
      ? { units: "m" }
      : {};
    await writeArray(root, name, data, [n], [edge * edge], ["point"], codecs, attrs);
  }
}

const POINT_ARRAYS = ["lon", "lat", "value", "height", "line"] as const;

/**
 * Reads a points group written by {@linkcode writePointsGroup}.
 *
 * @param dir Group folder.
 * @throws {CacheFormatError} when a required array is missing, has the wrong type, or the
 * lengths differ.
 *
 * @example Usage
 * ```ts
 * import { readPointsGroup, writePointsGroup } from "./zarr_entry.ts";
 * // In the cache: <store>/ingestion/<modality>/<key>
 * const dir = await Deno.makeTempDir();
 * try {
 *   await writePointsGroup(dir, {
 *     lon: new Float64Array([0.5]), lat: new Float64Array([0.5]), value: new Float64Array([9.8]),
 *   }, {});
 *   const { points } = await readPointsGroup(dir);
 *   points.value[0]; // 9.8
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function readPointsGroup(
  dir: string,
): Promise<{ points: ZarrPoints; attributes: Record<string, unknown> }> {
  let attributes: Record<string, unknown> | undefined;
  try {
    attributes = readZarrGroupAttributes(dir);
  } catch (e) {
    throw new CacheFormatError(`${dir}: not a Zarr group (${String(e)})`, { cause: e });
  }
  if (attributes === undefined) {
    throw new CacheFormatError(`${dir}: not a Zarr group (zarr.json does not describe a group)`);
  }
  const read = async (name: string, optional: boolean) => {
    try {
      return (await readZarrArray(dir, name, { optional }))?.data;
    } catch (e) {
      throw new CacheFormatError(`${dir}: array "${name}" cannot be read (${String(e)})`, {
        cause: e,
      });
    }
  };
  const [lon, lat, value, height, line] = await Promise.all([
    read("lon", false),
    read("lat", false),
    read("value", false),
    read("height", true),
    read("line", true),
  ]);
  const f64 = (a: unknown, name: string): Float64Array => {
    if (a instanceof Float64Array) return a;
    throw new CacheFormatError(`${dir}: array "${name}" must be float64`);
  };
  const points: ZarrPoints = { lon: f64(lon, "lon"), lat: f64(lat, "lat"), value: f64(lon, "lon") };
  if (value instanceof Float64Array || value instanceof Float32Array) points.value = value;
  else throw new CacheFormatError(`${dir}: array "value" must be float32 or float64`);
  if (height !== undefined) points.height = f64(height, "height");
  if (line !== undefined) {
    if (line instanceof Float64Array || line instanceof Int32Array) points.line = line;
    else throw new CacheFormatError(`${dir}: array "line" must be int32 or float64`);
  }
  for (const name of POINT_ARRAYS) {
    const a = points[name];
    if (a !== undefined && a.length !== points.lon.length) {
      throw new CacheFormatError(
        `${dir}: array "${name}" has ${a.length} elements, "lon" has ${points.lon.length}`,
      );
    }
  }
  return { points, attributes };
}
