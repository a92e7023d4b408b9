/**
 * Writing grids as Float32 GeoTIFF files (classic little-endian TIFF, uncompressed strips),
 * north-up, georeferenced in EPSG:4326 with NaN nodata (`GDAL_NODATA` = `"nan"`).
 *
 * The bytes are written here rather than with the npm `geotiff` package: its writer is marked
 * experimental, has no `GDAL_NODATA` tag and does not set the raster type (point or area) we
 * need; the format below is small, fixed, and checked with `gdalinfo` in the tests.
 *
 * Georeferencing: gridline registration is written as `RasterPixelIsPoint` with the tiepoint on
 * the north-west node, pixel registration as `RasterPixelIsArea` with the tiepoint on the
 * north-west cell corner; in both cases every pixel centre sits on a grid node, and GDAL reports
 * the origin half a cell outside the first node.
 *
 * Metadata GDAL reads (`gdalinfo` prints it): a `GDAL_METADATA` tag (42112) with dataset items
 * (`units`, `registration`, `modality`, ...) and per band a description and a unit type (band 1
 * `values` in the grid's units; band 2, when the grid carries its data footprint,
 * `data_distance` in km, the distance from each node to the nearest input point). Band 2 is
 * written as a second plane (PlanarConfiguration 2, ExtraSamples unspecified).
 *
 * @module
 */
import { writeFileAtomic } from "../fs/mod.ts";

/**
 * The part of a `ProcessedGrid` a GeoTIFF needs.
 *
 * @example Usage
 * ```ts
 * import type { GeoTiffGrid } from "./geotiff.ts";
 * const g: GeoTiffGrid = {
 *   lon: new Float64Array([0, 1]), lat: new Float64Array([0]), values: new Float32Array([1, 2]),
 *   resolution: { lon: 1, lat: 1 }, registration: "gridline",
 * };
 * ```
 */
export interface GeoTiffGrid {
  /** Node longitudes, degrees, strictly increasing. */
  lon: Float64Array;
  /** Node latitudes, degrees, strictly increasing (row 0 = south). */
  lat: Float64Array;
  /** Values row-major `[lat][lon]`, NaN nodata. */
  values: Float32Array | Float64Array;
  /** Node spacing, degrees. */
  resolution: { lon: number; lat: number };
  /** `"gridline"`: nodes on the bbox edges; `"pixel"`: nodes at cell centres. */
  registration: "gridline" | "pixel";
  /** Optional data footprint, written as band 2: distance to the nearest input point, km. */
  dataDistanceKm?: Float32Array;
}

/**
 * Options of {@linkcode encodeGeoTiff} and {@linkcode writeGeoTiff}.
 *
 * @example Usage
 * ```ts
 * import type { GeoTiffOptions } from "./geotiff.ts";
 * const o: GeoTiffOptions = { description: "{\"step\":\"grid\"}" };
 * ```
 */
export interface GeoTiffOptions {
  /**
   * Text stored in the TIFF `ImageDescription` tag (e.g. provenance as JSON); ASCII only.
   * @default {undefined}
   */
  description?: string;
  /**
   * Units of the values, written as band 1's unit type and the dataset item `units` of the
   * `GDAL_METADATA` tag.
   * @default {undefined}
   */
  units?: string;
  /**
   * Further dataset items of the `GDAL_METADATA` tag (`registration` is always written).
   * @default {{}}
   */
  metadata?: Record<string, string>;
}

function xmlEscape(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The `GDAL_METADATA` XML of a grid (see the module docs). */
function gdalMetadata(grid: GeoTiffGrid, options: GeoTiffOptions): string {
  const items: string[] = [];
  const item = (name: string, value: string, band?: number, role?: string) =>
    items.push(
      `<Item name="${name}"${band === undefined ? "" : ` sample="${band}"`}${
        role ? ` role="${role}"` : ""
      }>${xmlEscape(value)}</Item>`,
    );
  const dataset: Record<string, string> = {
    ...(options.units !== undefined ? { units: options.units } : {}),
    registration: grid.registration,
    ...options.metadata,
  };
  for (const [k, v] of Object.entries(dataset)) item(k, v);
  item("DESCRIPTION", "values", 0, "description");
  if (options.units !== undefined) item("UNITTYPE", options.units, 0, "unittype");
  if (grid.dataDistanceKm !== undefined) {
    item("DESCRIPTION", "data_distance", 1, "description");
    item("UNITTYPE", "km", 1, "unittype");
  }
  return `<GDALMetadata>${items.join("")}</GDALMetadata>`;
}

/**
 * A grid cannot be written as a GeoTIFF (inconsistent sizes, too large).
 *
 * @example Usage
 * ```ts
 * import { GeoTiffError } from "./geotiff.ts";
 * const e = new GeoTiffError("grid is empty (0 x 0)"); // e instanceof RangeError
 * ```
 */
export class GeoTiffError extends RangeError {
  /** @param message What is wrong. */
  constructor(message: string) {
    super(message);
    this.name = "GeoTiffError";
  }
}

const T_SHORT = 3, T_LONG = 4, T_ASCII = 2, T_DOUBLE = 12;

interface Tag {
  code: number;
  type: number;
  values: number[] | string;
}

/**
 * Encodes `grid` as the bytes of a Float32 GeoTIFF, north-up (the southern row last).
 *
 * @param grid Axes, values, resolution and registration.
 * @param options Optional description text.
 * @returns The TIFF file bytes.
 * @throws {GeoTiffError} when `values.length !== lat.length * lon.length` or the file would
 * exceed 4 GiB (classic TIFF).
 *
 * @example Usage
 * ```ts
 * import { encodeGeoTiff } from "./geotiff.ts";
 * const bytes = encodeGeoTiff({
 *   lon: new Float64Array([10, 11]), lat: new Float64Array([0, 1]),
 *   values: new Float32Array([1, 2, 3, NaN]),
 *   resolution: { lon: 1, lat: 1 }, registration: "gridline",
 * });
 * ```
 */
export function encodeGeoTiff(grid: GeoTiffGrid, options: GeoTiffOptions = {}): Uint8Array {
  const l = layoutGeoTiff(grid, options);
  const planeBytes = l.width * l.height * 4;
  const out = new Uint8Array(l.header.length + l.planes.length * planeBytes);
  out.set(l.header);
  l.planes.forEach((plane, b) => {
    const at = l.header.length + b * planeBytes;
    northUpRows(plane, l.width, l.height, 0, l.height, new Float32Array(out.buffer, at));
  });
  return out;
}

/** A GeoTIFF's bytes before its pixels (header, IFD, tag values), and the planes to follow. */
interface GeoTiffLayout {
  /** Bytes from the start of the file up to the first pixel (a multiple of 8). */
  header: Uint8Array;
  /** Band 1 (values), then band 2 when present, each written north-up after the header. */
  planes: (Float32Array | Float64Array)[];
  width: number;
  height: number;
}

/**
 * TIFF rows `[r0, r1)` of `plane` (north-up: TIFF row r is grid row height-1-r) as float32,
 * into `dest` from index 0.
 */
function northUpRows(
  plane: Float32Array | Float64Array,
  width: number,
  height: number,
  r0: number,
  r1: number,
  dest: Float32Array,
): void {
  for (let r = r0; r < r1; r++) {
    const src = (height - 1 - r) * width;
    dest.set(plane.subarray(src, src + width), (r - r0) * width);
  }
}

/** The layout of {@linkcode encodeGeoTiff}'s file (see there for the checks). */
function layoutGeoTiff(grid: GeoTiffGrid, options: GeoTiffOptions): GeoTiffLayout {
  const width = grid.lon.length, height = grid.lat.length;
  if (width < 1 || height < 1) throw new GeoTiffError(`grid is empty (${height} x ${width})`);
  if (grid.values.length !== width * height) {
    throw new GeoTiffError(
      `values has ${grid.values.length} elements, expected lat x lon = ${height} x ${width}`,
    );
  }
  const bands = grid.dataDistanceKm === undefined ? 1 : 2;
  if (grid.dataDistanceKm !== undefined && grid.dataDistanceKm.length !== width * height) {
    throw new GeoTiffError(
      `dataDistanceKm has ${grid.dataDistanceKm.length} elements, expected ${height} x ${width}`,
    );
  }
  const planeBytes = width * height * 4;
  const dataBytes = planeBytes * bands;
  if (dataBytes > 0xffff_0000) {
    throw new GeoTiffError(`grid of ${height} x ${width} cells exceeds the 4 GiB of a TIFF`);
  }
  const dx = grid.resolution.lon, dy = grid.resolution.lat;
  const point = grid.registration === "gridline";
  const west = point ? grid.lon[0] : grid.lon[0] - dx / 2;
  const north = point ? grid.lat[height - 1] : grid.lat[height - 1] + dy / 2;

  const rowBytes = width * 4;
  const rowsPerStrip = Math.max(1, Math.min(height, Math.floor((256 * 1024) / rowBytes)));
  const strips = Math.ceil(height / rowsPerStrip);
  const stripOffsets: number[] = [], stripCounts: number[] = [];

  const tags: Tag[] = [
    { code: 256, type: T_LONG, values: [width] },
    { code: 257, type: T_LONG, values: [height] },
    { code: 258, type: T_SHORT, values: bands === 1 ? [32] : [32, 32] },
    { code: 259, type: T_SHORT, values: [1] }, // no compression
    { code: 262, type: T_SHORT, values: [1] }, // BlackIsZero
    ...(options.description !== undefined
      ? [{ code: 270, type: T_ASCII, values: options.description }]
      : []),
    { code: 273, type: T_LONG, values: stripOffsets },
    { code: 277, type: T_SHORT, values: [bands] },
    { code: 278, type: T_LONG, values: [rowsPerStrip] },
    { code: 279, type: T_LONG, values: stripCounts },
    { code: 284, type: T_SHORT, values: [bands === 1 ? 1 : 2] }, // chunky | planar
    ...(bands === 2 ? [{ code: 338, type: T_SHORT, values: [0] }] : []), // ExtraSamples
    { code: 339, type: T_SHORT, values: bands === 1 ? [3] : [3, 3] }, // IEEE float
    { code: 33550, type: T_DOUBLE, values: [dx, dy, 0] }, // ModelPixelScale
    { code: 33922, type: T_DOUBLE, values: [0, 0, 0, west, north, 0] }, // ModelTiepoint
    {
      code: 34735, // GeoKeyDirectory: version 1.1.0, 4 keys
      type: T_SHORT,
      values: [
        1,
        1,
        0,
        4,
        1024,
        0,
        1,
        2, // GTModelTypeGeoKey = ModelTypeGeographic
        1025,
        0,
        1,
        point ? 2 : 1, // GTRasterTypeGeoKey = PixelIsPoint | PixelIsArea
        2048,
        0,
        1,
        4326, // GeographicTypeGeoKey = WGS 84
        2054,
        0,
        1,
        9102, // GeogAngularUnitsGeoKey = degree
      ],
    },
    { code: 42112, type: T_ASCII, values: gdalMetadata(grid, options) }, // GDAL_METADATA
    { code: 42113, type: T_ASCII, values: "nan" }, // GDAL_NODATA
  ];
  for (let b = 0; b < bands; b++) {
    for (let s = 0; s < strips; s++) {
      stripOffsets.push(0);
      stripCounts.push(Math.min(rowsPerStrip, height - s * rowsPerStrip) * rowBytes);
    }
  }

  // Layout: header (8) | IFD | out-of-line tag values | pixel data (4-byte aligned).
  const size = (t: Tag) =>
    typeof t.values === "string"
      ? t.values.length + 1
      : t.values.length * (t.type === T_DOUBLE ? 8 : t.type === T_LONG ? 4 : 2);
  const ifdBytes = 2 + tags.length * 12 + 4;
  let extra = 0;
  for (const t of tags) if (size(t) > 4) extra += (size(t) + 1) & ~1;
  const dataStart = (8 + ifdBytes + extra + 7) & ~7;
  for (let b = 0; b < bands; b++) {
    for (let s = 0; s < strips; s++) {
      stripOffsets[b * strips + s] = dataStart + b * planeBytes + s * rowsPerStrip * rowBytes;
    }
  }

  const out = new Uint8Array(dataStart);
  const view = new DataView(out.buffer);
  out[0] = 0x49, out[1] = 0x49; // "II"
  view.setUint16(2, 42, true);
  view.setUint32(4, 8, true);
  view.setUint16(8, tags.length, true);
  let extraAt = 8 + ifdBytes;
  tags.forEach((t, i) => {
    const entry = 10 + i * 12;
    const count = typeof t.values === "string" ? t.values.length + 1 : t.values.length;
    view.setUint16(entry, t.code, true);
    view.setUint16(entry + 2, t.type, true);
    view.setUint32(entry + 4, count, true);
    let at = entry + 8;
    if (size(t) > 4) {
      view.setUint32(entry + 8, extraAt, true);
      at = extraAt;
      extraAt += (size(t) + 1) & ~1;
    }
    if (typeof t.values === "string") {
      for (let k = 0; k < t.values.length; k++) {
        const c = t.values.charCodeAt(k);
        out[at + k] = c < 128 ? c : 63; // '?' for non-ASCII
      }
    } else {
      for (const v of t.values) {
        if (t.type === T_DOUBLE) view.setFloat64(at, v, true), at += 8;
        else if (t.type === T_LONG) view.setUint32(at, v, true), at += 4;
        else view.setUint16(at, v, true), at += 2;
      }
    }
  });
  view.setUint32(10 + tags.length * 12, 0, true); // no next IFD

  // Pixels follow, north-up; band 2 in its own plane.
  const planes = [grid.values, grid.dataDistanceKm!].slice(0, bands);
  return { header: out, planes, width, height };
}

/**
 * Writes `grid` to `path` as a Float32 GeoTIFF (see {@linkcode encodeGeoTiff}), creating the
 * folder if needed. The file is written to a temporary name in the same folder and renamed, so
 * a failed write never leaves a half-written file at `path`.
 *
 * @param path Output path (`.tif`).
 * @param grid Axes, values, resolution and registration.
 * @param options Optional description text.
 *
 * @example Usage
 * ```ts
 * import { writeGeoTiff } from "./geotiff.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const grid = {
 *     lon: new Float64Array([0, 1]), lat: new Float64Array([0]), values: new Float32Array([1, 2]),
 *     resolution: { lon: 1, lat: 1 }, registration: "gridline" as const,
 *   };
 *   await writeGeoTiff(`${dir}/out.tif`, grid, { description: JSON.stringify({ step: "grid" }) });
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function writeGeoTiff(
  path: string,
  grid: GeoTiffGrid,
  options: GeoTiffOptions = {},
): Promise<void> {
  const l = layoutGeoTiff(grid, options);
  // Streamed in blocks of rows through one 1 MiB buffer: the file's bytes (two planes with the
  // footprint) are never held whole, which keeps `gam grid`'s peak memory down.
  await writeFileAtomic(path, async (tmp) => {
    using file = await Deno.open(tmp, { write: true, createNew: true });
    await writeAll(file, l.header);
    const rows = Math.max(1, Math.floor((1 << 20) / (l.width * 4)));
    const block = new Float32Array(rows * l.width);
    for (const plane of l.planes) {
      for (let r0 = 0; r0 < l.height; r0 += rows) {
        const r1 = Math.min(l.height, r0 + rows);
        northUpRows(plane, l.width, l.height, r0, r1, block);
        await writeAll(file, new Uint8Array(block.buffer, 0, (r1 - r0) * l.width * 4));
      }
    }
  });
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}
