/**
 * Reader of single-band GeoTIFF grids in EPSG:4326 with the npm `geotiff` package. Returns
 * cell-centre (or gridline) axes strictly increasing, values row-major `[lat][lon]` with row 0
 * the southernmost (GeoTIFF stores north first), and NaN for the `GDAL_NODATA` value.
 *
 * @module
 */
import { type FileHandle, open } from "node:fs/promises";
import { fromArrayBuffer, GeoTIFF } from "geotiff";
import { releaseBuffer } from "./release_buffer.ts";
import { damagedBlock, inflate, MAX_INFLATE_BYTES } from "./inflate.ts";
import { sharedFloat64Array } from "./shared_array.ts";
import type { WorkerPool } from "../compute/pool.ts";

/**
 * A GeoTIFF that cannot be read as a lat/lon grid.
 *
 * @example Usage
 * ```ts
 * import { GeoTiffReadError } from "./geotiff_read.ts";
 * new GeoTiffReadError("a.tif", "rotated rasters are not supported");
 * ```
 */
export class GeoTiffReadError extends RangeError {
  /** File name as given. */
  readonly file: string;
  /**
   * @param file File name.
   * @param problem What is wrong.
   */
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = "GeoTiffReadError";
    this.file = file;
  }
}

/** A grid read from a GeoTIFF. */
export interface GeoTiffReadGrid {
  /** Latitudes of rows, strictly increasing, degrees. */
  lat: Float64Array;
  /** Longitudes of columns, strictly increasing, degrees. */
  lon: Float64Array;
  /**
   * Values row-major `[lat][lon]`, NaN for nodata: float64, or float32 when asked for and the
   * band is float32 (see {@linkcode GeoTiffReadOptions}).
   */
  values: Float64Array | Float32Array;
  /** `"gridline"` (PixelIsPoint) or `"pixel"` (PixelIsArea). */
  registration: "gridline" | "pixel";
  /** The TIFF ImageDescription, if any. */
  description: string | undefined;
  /** Dataset items of the `GDAL_METADATA` tag (e.g. `units`, `registration`), if any. */
  metadata: Record<string, string>;
  /** Band 1's unit type from `GDAL_METADATA`, if any. */
  units: string | undefined;
  /** Band 2 when it is the data footprint (`data_distance`, km), else undefined. */
  dataDistanceKm: Float32Array | undefined;
}

/** Options of {@linkcode readGeoTiffGrid} and {@linkcode parseGeoTiffGrid}. */
export interface GeoTiffReadOptions {
  /**
   * Keep a float32 band's values as a `Float32Array` (half the memory, no widening) when it is
   * read by the built-in decoders (uncompressed or deflate); other bands come back as float64.
   * @default {false}
   */
  float32?: boolean;
  /**
   * Float64 values on a `SharedArrayBuffer` (see `ReadGridOptions.shared`).
   * @default {false}
   */
  shared?: boolean;
  /**
   * Workers to inflate compressed blocks on (deflate strips and tiles), while this thread
   * reads the next ones; the calling thread when absent.
   */
  pool?: WorkerPool;
}

function xmlUnescape(text: string): string {
  return text.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
    .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
}

/**
 * Parses a GeoTIFF held in memory (first image, first band).
 *
 * @param bytes The file's bytes.
 * @param file Name quoted in errors.
 * @throws {GeoTiffReadError}
 *
 * @example Usage
 * ```ts
 * import { parseGeoTiffGrid } from "./geotiff_read.ts";
 * import { writeGeoTiff } from "./geotiff.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const grid = {
 *     lon: new Float64Array([0, 1]), lat: new Float64Array([0]), values: new Float32Array([1, 2]),
 *     resolution: { lon: 1, lat: 1 }, registration: "gridline" as const,
 *   };
 *   await writeGeoTiff(`${dir}/grid.tif`, grid);
 *   const g = await parseGeoTiffGrid(await Deno.readFile(`${dir}/grid.tif`), "grid.tif");
 *   g.lon.length; // 2
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function parseGeoTiffGrid(
  bytes: Uint8Array,
  file: string,
  options: GeoTiffReadOptions = {},
): Promise<GeoTiffReadGrid> {
  let tiff;
  try {
    // The file's own buffer when the view covers it (Deno.readFile's does): no 64 MB copy.
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength &&
      bytes.buffer instanceof ArrayBuffer;
    const buf = whole
      ? bytes.buffer
      : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    tiff = await fromArrayBuffer(buf as ArrayBuffer);
  } catch (e) {
    throw new GeoTiffReadError(file, `not a readable GeoTIFF (${(e as Error).message})`);
  }
  const source: ByteSource = {
    size: bytes.byteLength,
    bytes: (offset, length) => Promise.resolve(bytes.subarray(offset, offset + length)),
  };
  return await decodeGrid(tiff, source, file, options);
}

/**
 * Reads a GeoTIFF file (first image, first band) as {@linkcode parseGeoTiffGrid} parses its
 * bytes, without holding the file in memory: geotiff.js reads the header and tags by ranges,
 * and an uncompressed float32 band (what `gam` and GDAL write by default) goes from the file
 * into the Float64 grid through one reused buffer of at most {@linkcode RUN_BYTES} (4 MiB), runs of
 * consecutive strips at a time. On a 4096 x 4096 band that is 64 MiB less at the peak than a
 * whole-file read, and no slower.
 *
 * @param path The file.
 * @throws {GeoTiffReadError} for a file that is not a readable GeoTIFF, or an unsupported CRS
 *   or layout.
 *
 * @example Usage
 * ```ts
 * import { readGeoTiffGrid } from "./geotiff_read.ts";
 * import { writeGeoTiff } from "./geotiff.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const grid = {
 *     lon: new Float64Array([0, 1]), lat: new Float64Array([0]), values: new Float32Array([1, 2]),
 *     resolution: { lon: 1, lat: 1 }, registration: "gridline" as const,
 *   };
 *   await writeGeoTiff(`${dir}/grid.tif`, grid);
 *   (await readGeoTiffGrid(`${dir}/grid.tif`)).values; // Float64Array [1, 2]
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function readGeoTiffGrid(
  path: string,
  options: GeoTiffReadOptions = {},
): Promise<GeoTiffReadGrid> {
  let file: FileHandle;
  try {
    file = await open(path);
  } catch (e) {
    throw new GeoTiffReadError(path, `cannot be opened (${(e as Error).message})`);
  }
  await using _ = { [Symbol.asyncDispose]: () => file.close() };
  const size = (await file.stat()).size;
  /**
   * Up to `length` bytes at `offset` into `into`: fewer past the end of the file, as in
   * memory. Positional reads: geotiff.js fetches several ranges at once.
   */
  const bytesAt = async (offset: number, length: number, into: Uint8Array): Promise<number> => {
    const n = Math.max(0, Math.min(length, size - offset));
    for (let got = 0; got < n;) {
      const { bytesRead } = await file.read(into, got, n - got, offset + got);
      if (bytesRead === 0) return got; // shorter than its stat said: truncated meanwhile
      got += bytesRead;
    }
    return n;
  };
  // geotiff.js reads the header, tags and other layouts through this source. Its own file
  // source hands back zeros past the end of a truncated file; this one hands back the bytes
  // there are, so a truncated file fails as its bytes in memory do.
  const tiffSource = {
    fileSize: size,
    fetch: (slices: { offset: number; length: number }[]) =>
      Promise.all(slices.map(async ({ offset, length }) => {
        const into = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
        const got = await bytesAt(offset, length, into);
        return got === into.byteLength ? into.buffer : into.buffer.slice(0, got);
      })),
    close: () => Promise.resolve(),
  };
  let tiff;
  try {
    tiff = await GeoTIFF.fromSource(
      tiffSource as unknown as Parameters<typeof GeoTIFF.fromSource>[0],
    );
  } catch (e) {
    throw new GeoTiffReadError(path, `not a readable GeoTIFF (${(e as Error).message})`);
  }
  // The band's bytes go through one buffer, grown to the largest run read.
  let buffer = new Uint8Array(0);
  const source: ByteSource = {
    size,
    bytes: async (offset, length) => {
      if (buffer.byteLength < length) buffer = new Uint8Array(length);
      return buffer.subarray(0, await bytesAt(offset, length, buffer));
    },
  };
  return await decodeGrid(tiff, source, path, options);
}

/** Bytes read at a time from a file: runs of consecutive strips up to this size. */
const RUN_BYTES = 4 << 20;

/** A GeoTIFF's bytes, in memory or in a file. */
interface ByteSource {
  /** The file's size, bytes. */
  size: number;
  /**
   * Up to `length` bytes at `offset` (fewer past the end of the file), valid until the next
   * call.
   */
  bytes(offset: number, length: number): Promise<Uint8Array>;
}

/**
 * The float32 samples of the bytes `offset .. offset + length` (a multiple of 4): a view when
 * they are 4-aligned, else an aligned copy; `undefined` when they lie past the end.
 */
async function samplesAt(
  source: ByteSource,
  offset: number,
  length: number,
): Promise<Float32Array | undefined> {
  if (offset + length > source.size) return undefined;
  const bytes = await source.bytes(offset, length);
  if (bytes.byteLength < length) return undefined;
  return bytes.byteOffset % 4 === 0
    ? new Float32Array(bytes.buffer, bytes.byteOffset, length / 4)
    : new Float32Array(bytes.slice().buffer);
}

type Tiff = Awaited<ReturnType<typeof fromArrayBuffer>>;

/** The grid of `tiff`'s first image (its band 1, and band 2 when it is the footprint). */
async function decodeGrid(
  tiff: Tiff,
  source: ByteSource,
  file: string,
  options: GeoTiffReadOptions,
): Promise<GeoTiffReadGrid> {
  let image;
  try {
    image = await tiff.getImage();
  } catch (e) {
    throw new GeoTiffReadError(file, `not a readable GeoTIFF (${(e as Error).message})`);
  }
  const width = image.getWidth(), height = image.getHeight();
  const geoKeys = image.getGeoKeys() ?? {};
  const epsg = geoKeys.GeographicTypeGeoKey ?? geoKeys.ProjectedCSTypeGeoKey;
  if (epsg !== undefined && epsg !== 4326) {
    throw new GeoTiffReadError(file, `CRS EPSG:${epsg} is not supported (expected EPSG:4326)`);
  }
  let origin: number[], res: number[];
  try {
    origin = image.getOrigin();
    res = image.getResolution();
  } catch (e) {
    throw new GeoTiffReadError(file, `no georeferencing (${(e as Error).message})`);
  }
  const point = geoKeys.GTRasterTypeGeoKey === 2;
  const dx = res[0], dy = -res[1]; // res[1] is negative for north-up images
  if (!(dx > 0) || !(dy > 0)) {
    throw new GeoTiffReadError(
      file,
      `expected a north-up raster, got resolution ${res.join(", ")}`,
    );
  }
  const half = point ? 0 : 0.5;
  const lon = new Float64Array(width), lat = new Float64Array(height);
  for (let c = 0; c < width; c++) lon[c] = origin[0] + (c + half) * dx;
  for (let r = 0; r < height; r++) lat[r] = origin[1] - (height - 1 - r + half) * dy;
  const nodataText = image.getGDALNoData();
  const nodata = nodataText === null || nodataText === undefined ? undefined : Number(nodataText);
  const float64 = (n: number) => options.shared ? sharedFloat64Array(n) : new Float64Array(n);
  const alloc = options.float32 ? (n: number) => new Float32Array(n) : float64;
  let values = await readPlainFloat32Strips(image, source, nodata, alloc) ??
    await readDeflateFloat32Blocks(image, source, nodata, file, alloc, options.pool);
  if (values === undefined) {
    let rasters;
    try {
      rasters = await image.readRasters({ samples: [0], interleave: true });
    } catch (e) {
      // A truncated file or a corrupt strip: what geotiff.js could not decode.
      throw new GeoTiffReadError(file, `band 1 is unreadable (${(e as Error).message})`);
    }
    values = float64(width * height);
    for (let r = 0; r < height; r++) {
      const src = (height - 1 - r) * width; // flip: TIFF row 0 is the north
      for (let c = 0; c < width; c++) {
        const v = Number((rasters as ArrayLike<number>)[src + c]);
        values[r * width + c] = nodata !== undefined && v === nodata ? NaN : v;
      }
    }
  }
  // geotiff 3 defers large tags (a long ImageDescription, GDAL_METADATA): they are read with
  // loadValue(); getValue() throws "Field ... is deferred" for them.
  const fd = image.fileDirectory as unknown as {
    hasTag(tag: string): boolean;
    loadValue(tag: string): Promise<unknown>;
  };
  const text = async (name: string) => {
    if (!fd.hasTag(name)) return undefined;
    const v = await fd.loadValue(name);
    return typeof v === "string" ? v.replace(/\0+$/, "") : undefined;
  };
  let description: string | undefined, metadata: Record<string, string> = {};
  let band: Record<string, string> = {}, band2: Record<string, string> = {};
  try {
    description = await text("ImageDescription");
    if (fd.hasTag("GDAL_METADATA")) {
      const items = async (sample: number | null) =>
        Object.fromEntries(
          Object.entries((await image.getGDALMetadata(sample)) ?? {}).map((
            [k, v],
          ) => [k, xmlUnescape(String(v))]),
        );
      // One at a time: while geotiff loads a deferred tag, hasTag() reports it absent.
      metadata = await items(null);
      band = await items(0);
      band2 = await items(1);
    }
  } catch (e) {
    throw new GeoTiffReadError(file, `unreadable metadata tag (${(e as Error).message})`);
  }
  let dataDistanceKm: Float32Array | undefined;
  if (image.getSamplesPerPixel() >= 2 && band2.DESCRIPTION === "data_distance") {
    const d = await image.readRasters({ samples: [1], interleave: true });
    dataDistanceKm = new Float32Array(width * height);
    for (let r = 0; r < height; r++) {
      const src = (height - 1 - r) * width;
      for (let c = 0; c < width; c++) {
        dataDistanceKm[r * width + c] = Number((d as ArrayLike<number>)[src + c]);
      }
    }
  }
  return {
    lat,
    lon,
    values,
    registration: point ? "gridline" : "pixel",
    description,
    metadata,
    units: band.UNITTYPE ?? metadata.units,
    dataDistanceKm,
  };
}

type TiffImage = Awaited<ReturnType<Awaited<ReturnType<typeof fromArrayBuffer>>["getImage"]>>;

/** The image's tags, as geotiff.js 3 reads them (large ones deferred to `loadValue`). */
type Tags = {
  hasTag(tag: string): boolean;
  getValue(tag: string): unknown;
  loadValue(tag: string): Promise<unknown>;
};

/**
 * The tags of band 1 when it is little-endian float32 with band 1's samples alone in its
 * blocks (one sample per pixel, or planar); `undefined` for anything else.
 */
function float32Band(image: TiffImage): Tags | undefined {
  const fd = image.fileDirectory as unknown as Tags;
  const first = (v: unknown) =>
    (Array.isArray(v) || ArrayBuffer.isView(v))
      ? Number((v as ArrayLike<number>)[0])
      : Number(v ?? 1);
  const ok = image.littleEndian && first(fd.getValue("SampleFormat")) === 3 &&
    first(fd.getValue("BitsPerSample")) === 32 &&
    (image.getSamplesPerPixel() === 1 || image.planarConfiguration === 2);
  return ok ? fd : undefined;
}

/**
 * Writes one TIFF row's float32 samples into the grid at `dst` (the caller flips the rows),
 * `nodata` to NaN.
 */
function widenRow(
  values: Float64Array | Float32Array,
  dst: number,
  row: Float32Array,
  nodata?: number,
): void {
  if (nodata === undefined || Number.isNaN(nodata)) {
    values.set(row, dst);
    return;
  }
  for (let c = 0; c < row.length; c++) {
    const v = row[c];
    values[dst + c] = v === nodata ? NaN : v;
  }
}

/**
 * Band 1 of an uncompressed, stripped, little-endian float32 TIFF (what `gam` and GDAL write by
 * default) decoded straight from the file's bytes into the Float64 grid, rows flipped south
 * first, nodata to NaN: one pass, no intermediate raster (geotiff.js's `readRasters` builds a
 * Float32Array of the whole band through a DataView per sample). `undefined` for any other
 * layout, which the caller reads with `readRasters`. The values equal `readRasters`' exactly.
 */
async function readPlainFloat32Strips(
  image: TiffImage,
  source: ByteSource,
  nodata: number | undefined,
  alloc: (n: number) => Float64Array | Float32Array,
): Promise<Float64Array | Float32Array | undefined> {
  const fd = float32Band(image);
  if (
    fd === undefined || image.isTiled || !fd.hasTag("StripOffsets") ||
    Number(fd.getValue("Compression") ?? 1) !== 1
  ) return undefined;
  const width = image.getWidth(), height = image.getHeight();
  const rowsPerStrip = image.getTileHeight();
  const strips = Math.ceil(height / rowsPerStrip);
  const offsets = (await fd.loadValue("StripOffsets")) as ArrayLike<number | bigint>;
  const counts = (await fd.loadValue("StripByteCounts")) as ArrayLike<number | bigint>;
  if (offsets.length < strips || counts.length < strips) return undefined;
  // Every strip within the file before the grid is allocated: a header cannot make this
  // path allocate more than the file holds (anything else goes to geotiff.js, which fails).
  const stripBytes = (s: number) => Math.min(rowsPerStrip, height - s * rowsPerStrip) * width * 4;
  for (let s = 0; s < strips; s++) {
    const n = stripBytes(s);
    if (!(Number(counts[s]) >= n && Number(offsets[s]) + n <= source.size)) return undefined;
  }
  const values = alloc(width * height);
  for (let s = 0; s < strips;) {
    // A run of strips stored one after another (at least one, at most RUN_BYTES).
    const start = Number(offsets[s]);
    let bytes = 0, e = s;
    for (; e < strips; e++) {
      const n = stripBytes(e);
      if (e > s && (Number(offsets[e]) !== start + bytes || bytes + n > RUN_BYTES)) break;
      bytes += n;
    }
    const src = await samplesAt(source, start, bytes);
    if (src === undefined) return undefined;
    for (let at = 0, r = s * rowsPerStrip; r < Math.min(height, e * rowsPerStrip); r++) {
      // Flipped: TIFF row 0 is the north.
      widenRow(values, (height - 1 - r) * width, src.subarray(at, at + width), nodata);
      at += width;
    }
    s = e;
  }
  return values;
}

/** TIFF compression codes of deflate (8: Adobe, 32946: the old PKZIP code), zlib-wrapped. */
const DEFLATE = new Set([8, 32946]);

/**
 * Compressed bytes inflated in one kernel call: runs of consecutive blocks up to this size
 * (about 50 calls for a 52 MB band, enough for the workers to share it and few enough that
 * a call's overhead, well under a millisecond, does not count).
 */
const INFLATE_RUN_BYTES = 1 << 20;

/**
 * Band 1 of a deflate-compressed, little-endian float32 TIFF (GDAL `COMPRESS=DEFLATE`, with
 * `PREDICTOR=1`, `2` or `3`), in strips or tiles (cloud-optimised GeoTIFFs are tiled), decoded
 * into the grid: runs of consecutive blocks read from the file and inflated by the Rust core
 * (`inflate_float32_blocks`: zlib-rs with the checksums verified, the predictor undone, each
 * block's output bounded by its size before it is allocated), on `pool`'s workers while the
 * next runs are read, and their samples placed, rows flipped south first, nodata to NaN. No
 * whole-file buffer and no float32 raster of the band: on 4096 x 4096 this replaces
 * geotiff.js's pako and `readRasters` (2.8 s, 570 MiB for `gam filter`). `undefined` for any
 * other layout. The values equal `readRasters`' exactly.
 *
 * @throws {GeoTiffReadError} for a block that does not inflate to its size, naming it.
 */
async function readDeflateFloat32Blocks(
  image: TiffImage,
  source: ByteSource,
  nodata: number | undefined,
  file: string,
  alloc: (n: number) => Float64Array | Float32Array,
  pool: WorkerPool | undefined,
): Promise<Float64Array | Float32Array | undefined> {
  const fd = float32Band(image);
  const predictor = Number(fd?.getValue("Predictor") ?? 1);
  if (
    fd === undefined || !DEFLATE.has(Number(fd.getValue("Compression"))) ||
    ![1, 2, 3].includes(predictor)
  ) return undefined;
  const width = image.getWidth(), height = image.getHeight();
  const tiled = image.isTiled;
  const bw = tiled ? image.getTileWidth() : width, bh = image.getTileHeight();
  const across = Math.ceil(width / bw), down = Math.ceil(height / bh);
  const [offsetTag, countTag] = tiled
    ? ["TileOffsets", "TileByteCounts"]
    : ["StripOffsets", "StripByteCounts"];
  if (!fd.hasTag(offsetTag) || !fd.hasTag(countTag)) return undefined;
  const offsets = (await fd.loadValue(offsetTag)) as ArrayLike<number | bigint>;
  const counts = (await fd.loadValue(countTag)) as ArrayLike<number | bigint>;
  const blocks = across * down;
  if (offsets.length < blocks || counts.length < blocks) return undefined;
  for (let b = 0; b < blocks; b++) {
    if (!(Number(offsets[b]) + Number(counts[b]) <= source.size)) return undefined;
  }
  if (bw * bh * 4 > MAX_INFLATE_BYTES) {
    throw new GeoTiffReadError(
      file,
      `band 1 is unreadable: its ${tiled ? "tiles" : "strips"} of ${bw} x ${bh} float32 ` +
        `samples exceed ${MAX_INFLATE_BYTES} bytes each`,
    );
  }
  // A strip holds its own rows only; a tile is whole, padded past the image's edges.
  const rowsOf = (b: number) => tiled ? bh : Math.min(bh, height - Math.floor(b / across) * bh);
  const values = alloc(width * height);
  const place = (b: number, samples: Float32Array) => {
    const r0 = Math.floor(b / across) * bh, c0 = (b % across) * bw;
    const cols = Math.min(bw, width - c0), rows = rowsOf(b);
    for (let r = 0; r < rows && r0 + r < height; r++) {
      const dst = (height - 1 - (r0 + r)) * width + c0; // flipped: TIFF row 0 is the north
      widenRow(values, dst, samples.subarray(r * bw, r * bw + cols), nodata);
    }
  };
  const inFlight = new Set<Promise<void>>();
  const errors: unknown[] = [];
  const limit = pool === undefined ? 1 : 2 * pool.size; // a job queued behind each running one
  for (let b = 0; b < blocks && errors.length === 0;) {
    // Blocks stored one after another are read and inflated together: a read and a call per
    // 16 KB strip (GDAL's deflate default is one row a strip) cost more than the inflate.
    const first = b, offset = Number(offsets[b]);
    let end = offset + Number(counts[b]);
    for (b++; b < blocks && Number(offsets[b]) === end; b++) {
      if (end + Number(counts[b]) - offset > INFLATE_RUN_BYTES) break;
      end += Number(counts[b]);
    }
    const lengths = new Uint32Array(b - first), rows = new Uint32Array(b - first);
    for (let k = 0; k < lengths.length; k++) {
      lengths[k] = Number(counts[first + k]);
      rows[k] = rowsOf(first + k);
    }
    // For a worker, a buffer of its own (the source's is reused by the next read, and this
    // one is transferred); this thread's call copies it into the instance before the next read.
    const bytes = await source.bytes(offset, end - offset);
    const run = pool === undefined ? bytes : bytes.slice();
    const args = { run, lengths, rows, width: bw, predictor, gzip: false };
    const job = inflate("inflate_float32_blocks", args, pool)
      .then((samples) => {
        for (let k = 0, at = 0; k < lengths.length; at += rows[k] * bw, k++) {
          place(first + k, samples.subarray(at, at + rows[k] * bw));
        }
        releaseBuffer(samples); // placed: its memory goes back now
      }, (e) => {
        const damaged = damagedBlock(e);
        const what = damaged === undefined
          ? `${tiled ? "tiles" : "strips"} ${first}-${first + lengths.length - 1} ` +
            `(${(e as Error).message})`
          : `${tiled ? "tile" : "strip"} ${first + damaged.index} ${damaged.reason}`;
        errors.push(new GeoTiffReadError(file, `band 1 is unreadable: ${what}`));
      })
      .finally(() => inFlight.delete(job));
    inFlight.add(job);
    if (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (errors.length > 0) throw errors[0];
  return values;
}
