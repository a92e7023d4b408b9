/**
 * Reading one Zarr v3 array of a group folder into a typed array, and a group's attributes: the
 * one reader of the project's Zarr code (grids in `zarr_grid.ts`, cache entries and the cache
 * store in `src/cache/`).
 *
 * Arrays whose only codec is `bytes` (little endian), with the default chunk-key encoding and
 * a regular chunk grid (how GAM writes uncompressed arrays, the cache's default) are read
 * straight from their chunk files: one `node:fs` read per chunk and, for a single-chunk array,
 * no copy at all. A 1,000 x 1,000 float32 array reads in about the time of reading the same
 * bytes from a plain file, where zarrita's generic path (metadata resolution, codec pipeline,
 * chunk assembly into a new array) takes about three times as long (`deno task bench:cache`).
 * Every other array (compressed, sharded, big endian, other dtypes) goes through zarrita, so
 * anything zarrita can read stays readable.
 *
 * @module
 */
import * as zarr from "zarrita";
import FileSystemStore from "@zarrita/storage/fs";
import { readWholeFile } from "../fs/mod.ts";
import { registerZarrCodecs } from "./zarr_codecs.ts";
import { releaseBuffer } from "./release_buffer.ts";
import { damagedBlock, inflate, MAX_INFLATE_BYTES } from "./inflate.ts";
import { sharedFloat64Array } from "./shared_array.ts";
import type { WorkerPool } from "../compute/pool.ts";

/** Typed arrays the reader returns. */
export type ZarrTypedArray = Float64Array | Float32Array | Int32Array;

/**
 * One array read by {@linkcode readZarrArray}.
 *
 * @example Usage
 * ```ts
 * import type { ZarrArrayRead } from "./zarr_array_read.ts";
 * const cells = (a: ZarrArrayRead) => a.shape.reduce((p, n) => p * n, 1);
 * ```
 */
export interface ZarrArrayRead {
  /** Elements, C order. */
  data: ZarrTypedArray | ArrayLike<unknown>;
  /** Shape, elements per dimension. */
  shape: number[];
}

/**
 * An array does not exist in the group (`readZarrArray` with `optional: false`).
 *
 * @example Usage
 * ```ts
 * import { ZarrArrayNotFoundError } from "./zarr_array_read.ts";
 * new ZarrArrayNotFoundError("/tmp/g", "lat").message; // '/tmp/g: no array "lat"'
 * ```
 */
export class ZarrArrayNotFoundError extends Error {
  /**
   * @param dir Group folder.
   * @param name Array name.
   */
  constructor(readonly dir: string, readonly array: string) {
    super(`${dir}: no array "${array}"`);
    this.name = "ZarrArrayNotFoundError";
  }
}

const CTORS = {
  float64: Float64Array,
  float32: Float32Array,
  int32: Int32Array,
} as const;

interface ArrayMeta {
  node_type?: string;
  shape?: number[];
  data_type?: string;
  chunk_grid?: { name?: string; configuration?: { chunk_shape?: number[] } };
  chunk_key_encoding?: { name?: string; configuration?: { separator?: string } };
  codecs?: { name?: string; configuration?: { endian?: string } }[];
  fill_value?: unknown;
}

/**
 * Reads the array `name` of the Zarr v3 group folder `dir`.
 *
 * @param dir Group folder.
 * @param name Array name (a direct child of the group).
 * @param options `optional`: return `undefined` for a missing array. `float64`: return a
 * float32 array as a `Float64Array`, each chunk widened into it as it is decoded (no whole
 * float32 copy beside the result: a grid's values, which the pipeline holds in float64).
 * `pool`: workers to gunzip compressed chunks on (the calling thread when absent). `shared`:
 * a float64 result (float64 data, or widened) on a `SharedArrayBuffer`.
 * @returns The elements in C order and the shape; `undefined` when the array does not exist
 * and `optional` is set.
 * @throws {ZarrArrayNotFoundError} when the array does not exist and `optional` is not set.
 *
 * @example Usage
 * ```ts
 * import { readZarrArray } from "./zarr_array_read.ts";
 * import { writeZarrGrid } from "./zarr_grid.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const grid = { lon: new Float64Array([0, 1]), lat: new Float64Array([0]), values: new Float32Array([1, 2]) };
 *   await writeZarrGrid(`${dir}/grid.zarr`, grid);
 *   const values = await readZarrArray(`${dir}/grid.zarr`, "values");
 *   values?.shape; // [1, 2]: [nlat, nlon]
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function readZarrArray(
  dir: string,
  name: string,
  options: { optional?: boolean; float64?: boolean; shared?: boolean; pool?: WorkerPool } = {},
): Promise<ZarrArrayRead | undefined> {
  let text: string;
  try {
    // Metadata files are a few hundred bytes: a synchronous read (~5 µs) beats an async one,
    // whose hop to the I/O thread pool costs more than the read (`deno task bench:cache`).
    text = Deno.readTextFileSync(`${dir}/${name}/zarr.json`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      if (options.optional) return undefined;
      throw new ZarrArrayNotFoundError(dir, name);
    }
    throw e;
  }
  const meta = JSON.parse(text) as ArrayMeta;
  const widen = options.float64 === true && meta.data_type === "float32";
  const fast = plainLayout(meta);
  const shared = options.shared === true;
  if (fast !== undefined) {
    return await readPlain(`${dir}/${name}`, fast, widen, shared, options.pool);
  }
  return await readWithZarrita(dir, name, widen, shared);
}

/** `new ctor(n)`, or on a `SharedArrayBuffer` when `shared` and `ctor` is float64. */
function newArray(ctor: PlainLayout["ctor"], n: number, shared: boolean): ZarrTypedArray {
  return shared && ctor === Float64Array ? sharedFloat64Array(n) : new ctor(n);
}

/** `data` copied into {@linkcode newArray}`(ctor, ...)` (widened when `ctor` is wider). */
function copied(data: ZarrTypedArray, ctor: PlainLayout["ctor"], shared: boolean): ZarrTypedArray {
  const out = newArray(ctor, data.length, shared);
  out.set(data);
  return out;
}

/** Chunks read and decoded at once: enough to keep the disk busy, few enough to bound memory. */
const CHUNKS_IN_FLIGHT = 8;

/** Every chunk index of a 1-D or 2-D array, row-major. */
function chunkIndices(shape: number[], chunks: number[]): number[][] {
  const grid = shape.map((n, i) => Math.ceil(n / chunks[i]));
  return shape.length === 1
    ? Array.from({ length: grid[0] }, (_, i) => [i])
    : Array.from({ length: grid[0] * grid[1] }, (_, k) => [Math.floor(k / grid[1]), k % grid[1]]);
}

/** Runs `task` on every item, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * The attributes of the Zarr v3 group whose `zarr.json` is in `dir`, or `undefined` when that
 * file describes something else (an array, a Zarr v2 node). Read synchronously: the file is a few
 * hundred bytes (see {@linkcode readZarrArray}).
 *
 * @param dir Group folder.
 * @throws {Deno.errors.NotFound} when `dir/zarr.json` does not exist.
 * @throws {SyntaxError} when it is not JSON.
 *
 * @example Usage
 * ```ts
 * import { readZarrGroupAttributes } from "./zarr_array_read.ts";
 * import { writeZarrGrid } from "./zarr_grid.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const grid = { lon: new Float64Array([0, 1]), lat: new Float64Array([0]), values: new Float32Array([1, 2]) };
 *   await writeZarrGrid(`${dir}/grid.zarr`, grid, { units: "mGal" });
 *   readZarrGroupAttributes(`${dir}/grid.zarr`); // { units: "mGal", ... }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function readZarrGroupAttributes(dir: string): Record<string, unknown> | undefined {
  const meta = JSON.parse(Deno.readTextFileSync(`${dir}/zarr.json`));
  if (meta?.zarr_format !== 3 || meta?.node_type !== "group") return undefined;
  return typeof meta.attributes === "object" && meta.attributes !== null ? meta.attributes : {};
}

interface PlainLayout {
  shape: number[];
  chunks: number[];
  ctor: (typeof CTORS)[keyof typeof CTORS];
  separator: string;
  fill: number;
  /** Chunks gzip-compressed after the `bytes` codec (what `gam` writes with `gzip`). */
  gzip: boolean;
}

/**
 * The layout if the array is little-endian bytes in regular chunks, plain or gzip-compressed,
 * else undefined (read through zarrita).
 */
function plainLayout(meta: ArrayMeta): PlainLayout | undefined {
  const ctor = CTORS[meta.data_type as keyof typeof CTORS];
  const shape = meta.shape;
  const chunks = meta.chunk_grid?.configuration?.chunk_shape;
  const codecs = meta.codecs ?? [];
  const keys = meta.chunk_key_encoding;
  if (
    meta.node_type !== "array" || ctor === undefined || !Array.isArray(shape) ||
    shape.length < 1 || shape.length > 2 || meta.chunk_grid?.name !== "regular" ||
    !Array.isArray(chunks) || chunks.length !== shape.length || chunks.some((c) => !(c >= 1)) ||
    !(codecs.length === 1 || (codecs.length === 2 && codecs[1].name === "gzip")) ||
    codecs[0].name !== "bytes" ||
    (codecs[0].configuration?.endian ?? "little") !== "little" ||
    keys?.name !== "default"
  ) {
    return undefined;
  }
  const fill = meta.fill_value === "NaN"
    ? NaN
    : typeof meta.fill_value === "number"
    ? meta.fill_value
    : undefined;
  if (fill === undefined) return undefined;
  return {
    shape,
    chunks,
    ctor,
    separator: keys.configuration?.separator ?? "/",
    fill,
    gzip: codecs.length === 2,
  };
}

/** Chunks up to this size are read synchronously (see {@linkcode readChunk}). */
const SMALL_CHUNK_BYTES = 64 * 1024;

/** A chunk file's bytes, in a buffer of their own; `undefined` when it was never written. */
async function readChunk(path: string, expectedBytes: number): Promise<Uint8Array | undefined> {
  try {
    // A small chunk (an axis, a short point array) reads in microseconds, less than an async
    // read's hop to the I/O thread pool; big chunks stay async so the event loop keeps running.
    if (expectedBytes <= SMALL_CHUNK_BYTES) return Deno.readFileSync(path);
    return await readWholeFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || (e as { code?: string }).code === "ENOENT") {
      return undefined; // never written: the fill value
    }
    throw e;
  }
}

/** A typed view of `bytes` when aligned (no copy), else an aligned copy. */
function view(bytes: Uint8Array, ctor: PlainLayout["ctor"]): ZarrTypedArray {
  const n = bytes.byteLength / ctor.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % ctor.BYTES_PER_ELEMENT === 0) {
    return new ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, n);
  }
  return new ctor(bytes.slice().buffer as ArrayBuffer, 0, n);
}

async function readPlain(
  arrayDir: string,
  l: PlainLayout,
  widen: boolean,
  shared: boolean,
  pool: WorkerPool | undefined,
): Promise<ZarrArrayRead> {
  const { shape, chunks, ctor, separator, fill, gzip } = l;
  const grid = shape.map((n, i) => Math.ceil(n / chunks[i]));
  const chunkLen = chunks.reduce((p, n) => p * n, 1);
  const chunkBytes = chunkLen * ctor.BYTES_PER_ELEMENT;
  const total = shape.reduce((p, n) => p * n, 1);
  const key = (idx: number[]) => `${arrayDir}/c${separator}${idx.join(separator)}`;
  const corrupt = (idx: number[], got: number) =>
    new RangeError(
      `${key(idx)}: chunk has ${got} bytes, expected ${chunkBytes} ` +
        `(chunk shape [${chunks}] of ${ctor.name.replace("Array", "").toLowerCase()})`,
    );
  const outCtor = widen ? Float64Array : ctor;
  /**
   * A chunk's decoded bytes, or undefined if absent: gunzipped by the Rust core (the CRC-32 and
   * size verified, never past the chunk's size), on `pool`'s workers when there is one.
   */
  const decoded = async (idx: number[]): Promise<Uint8Array | undefined> => {
    if (gzip && chunkBytes > MAX_INFLATE_BYTES) {
      throw new RangeError(
        `${key(idx)}: chunk shape [${chunks}] of ${ctor.name.replace("Array", "").toLowerCase()} ` +
          `is ${chunkBytes} bytes, more than the ${MAX_INFLATE_BYTES} a gzip chunk may inflate to`,
      );
    }
    // A buffer of its own (readChunk's always is), so it can be handed to the worker.
    const run = await readChunk(key(idx), chunkBytes);
    if (run === undefined || !gzip) return run;
    const lengths = new Uint32Array([run.byteLength]), sizes = new Uint32Array([chunkBytes]);
    try {
      return await inflate("inflate_blocks", { run, lengths, sizes, gzip: true }, pool);
    } catch (e) {
      const why = damagedBlock(e)?.reason ?? (e as Error).message;
      throw new RangeError(`${key(idx)}: chunk does not gunzip to ${chunkBytes} bytes (${why})`, {
        cause: e,
      });
    } finally {
      releaseBuffer(run); // the compressed bytes, done with
    }
  };
  if (grid.every((g) => g === 1)) {
    const bytes = await decoded(shape.map(() => 0));
    if (bytes === undefined) return { data: newArray(outCtor, total, shared).fill(fill), shape };
    if (bytes.byteLength !== chunkBytes) {
      throw corrupt(shape.map(() => 0), bytes.byteLength);
    }
    const all = view(bytes, ctor);
    // A chunk larger than the array (edge padding) is cut to the array's extent.
    if (chunkLen === total) {
      // A view of the decoded bytes unless it must be widened or go onto shared memory.
      const copy = widen || (shared && outCtor === Float64Array);
      return { data: copy ? copied(all, outCtor, shared) : all, shape };
    }
    return { data: copyRegion(all, chunks, shape, outCtor, shared), shape };
  }
  const out = newArray(outCtor, total, shared);
  await eachLimited(chunkIndices(shape, chunks), CHUNKS_IN_FLIGHT, async (idx) => {
    const bytes = await decoded(idx);
    if (bytes !== undefined && bytes.byteLength !== chunkBytes) {
      throw corrupt(idx, bytes.byteLength);
    }
    placeChunk(out, bytes === undefined ? undefined : view(bytes, ctor), idx, chunks, shape, fill);
    // Placed: its memory goes back now, not at a later collection.
    if (bytes !== undefined && bytes.byteLength > SMALL_CHUNK_BYTES) releaseBuffer(bytes);
  });
  return { data: out, shape };
}

/**
 * Copies a decoded chunk (C order, full chunk shape; `undefined`: never written) at chunk
 * index `idx` into `out`, cut to the array's extent; `out` may be wider (float64 from float32).
 */
function placeChunk(
  out: ZarrTypedArray,
  chunk: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> } | undefined,
  idx: number[],
  chunks: number[],
  shape: number[],
  fill: number,
): void {
  if (shape.length === 1) {
    const start = idx[0] * chunks[0];
    const n = Math.min(chunks[0], shape[0] - start);
    if (chunk) out.set(chunk.subarray(0, n), start);
    else out.fill(fill, start, start + n);
    return;
  }
  const r0 = idx[0] * chunks[0], c0 = idx[1] * chunks[1];
  const rows = Math.min(chunks[0], shape[0] - r0), cols = Math.min(chunks[1], shape[1] - c0);
  for (let r = 0; r < rows; r++) {
    const at = (r0 + r) * shape[1] + c0;
    if (chunk) out.set(chunk.subarray(r * chunks[1], r * chunks[1] + cols), at);
    else out.fill(fill, at, at + cols);
  }
}

/** The array's extent `shape` from the top-left of a chunk of shape `chunks`. */
function copyRegion(
  chunk: ZarrTypedArray,
  chunks: number[],
  shape: number[],
  ctor: PlainLayout["ctor"],
  shared: boolean,
): ZarrTypedArray {
  if (shape.length === 1) {
    const one = newArray(ctor, shape[0], shared);
    one.set(chunk.subarray(0, shape[0]));
    return one;
  }
  const out = newArray(ctor, shape[0] * shape[1], shared);
  for (let r = 0; r < shape[0]; r++) {
    out.set(chunk.subarray(r * chunks[1], r * chunks[1] + shape[1]), r * shape[1]);
  }
  return out;
}

async function readWithZarrita(
  dir: string,
  name: string,
  widen: boolean,
  shared: boolean,
): Promise<ZarrArrayRead> {
  registerZarrCodecs();
  const arr = await zarr.open(zarr.root(new FileSystemStore(dir)).resolve(name), {
    kind: "array",
  });
  const { shape, chunks } = arr;
  if (widen && arr.is("float32") && (shape.length === 1 || shape.length === 2)) {
    // Chunk by chunk into the float64 result, a few at a time: no whole float32 array and
    // no pile of decoded chunks waiting for the garbage collector.
    const out = newArray(Float64Array, shape.reduce((p, n) => p * n, 1), shared);
    const fill = typeof arr.fillValue === "number" ? arr.fillValue : NaN;
    await eachLimited(chunkIndices(shape, chunks), CHUNKS_IN_FLIGHT, async (idx) => {
      const chunk = await arr.getChunk(idx);
      let data = chunk.data as Float32Array;
      const c = chunk.stride;
      if (shape.length === 2 && (c[0] !== chunks[1] || c[1] !== 1)) {
        // Not C order (a transpose codec): gather it in C order first.
        const gathered = new Float32Array(chunks[0] * chunks[1]);
        for (let r = 0, k = 0; r < chunks[0]; r++) {
          for (let q = 0; q < chunks[1]; q++, k++) gathered[k] = data[r * c[0] + q * c[1]];
        }
        data = gathered;
      }
      placeChunk(out, data, idx, chunks, shape, fill);
    });
    return { data: out, shape };
  }
  const chunk = await zarr.get(arr);
  const data = chunk.data as ZarrArrayRead["data"];
  const float64 = widen || (shared && data instanceof Float64Array);
  const out = float64 ? copied(data as ZarrTypedArray, Float64Array, shared) : data;
  return { data: out, shape: chunk.shape };
}
