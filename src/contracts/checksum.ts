/**
 * Canonical checksums of array data. The same arrays give the same `sha256:<hex>` whatever
 * the storage (chunking, compression, file format), so caches, manifests and provenance can
 * compare data by content.
 *
 * Canonical encoding (version 1): the line `gam-canonical-v1\n`, then for every entry of
 * `fields` sorted by key the line `key=<JSON value>\n`, then for every array sorted by name the
 * line `<name>\t<dtype>\t<length>\n` followed by the elements as little-endian bytes, with
 * every NaN written as the single quiet-NaN pattern (so NaN payloads do not change the hash).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { RawData } from "./raw_data.ts";
import type { ProcessedGrid } from "./processed_grid.ts";

/** Typed arrays the canonical encoding accepts. */
export type CanonicalArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Values per chunk of {@linkcode hashFloats}: 128 KiB of float64, within a core's L2 cache. */
const CHUNK = 1 << 14;

/**
 * The canonical checksum `sha256:<hex>` of named arrays plus scalar fields.
 *
 * @param arrays Named arrays; order of keys does not matter.
 * @param fields Scalar fields hashed with the arrays (units, kind, shape ...).
 *
 * @example Usage
 * ```ts
 * import { canonicalChecksum } from "./checksum.ts";
 * const sum = canonicalChecksum({ value: new Float64Array([1, NaN]) }, { units: "mGal" });
 * ```
 */
export function canonicalChecksum(
  arrays: Record<string, CanonicalArray | undefined>,
  fields: Record<string, unknown> = {},
): string {
  return `sha256:${canonicalHash(arrays, fields).digest("hex")}`;
}

type Hash = ReturnType<typeof createHash>;

/** The hash of {@linkcode canonicalChecksum}'s encoding, open for more arrays to follow. */
function canonicalHash(
  arrays: Record<string, CanonicalArray | undefined>,
  fields: Record<string, unknown>,
): Hash {
  if (!LITTLE_ENDIAN) throw new Error("Canonical checksums need a little-endian platform");
  const hash = createHash("sha256");
  hash.update("gam-canonical-v1\n");
  for (const key of Object.keys(fields).sort()) {
    if (fields[key] === undefined) continue;
    hash.update(`${key}=${JSON.stringify(fields[key])}\n`);
  }
  for (const name of Object.keys(arrays).sort()) {
    const arr = arrays[name];
    if (arr === undefined) continue;
    hash.update(`${name}\t${dtypeOf(arr)}\t${arr.length}\n`);
    if (arr instanceof Float64Array || arr instanceof Float32Array) {
      hashFloats(hash, arr);
    } else {
      hash.update(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    }
  }
  return hash;
}

function hashFloats(hash: Hash, arr: Float64Array | Float32Array): void {
  // Chunk by chunk, each scanned for NaN payloads and hashed while it is in the cache: a scan
  // of the whole array before hashing it was a second pass over memory (on 128 MB, 140 ms
  // instead of the hash's 100). A chunk holding a NaN with another payload is normalised in
  // a copy, so the caller's bits are never touched.
  let copy: Float64Array | Float32Array | undefined;
  for (let start = 0; start < arr.length; start += CHUNK) {
    let chunk = arr.subarray(start, Math.min(arr.length, start + CHUNK));
    if (hasOtherNaN(chunk)) {
      copy ??= arr instanceof Float64Array ? new Float64Array(CHUNK) : new Float32Array(CHUNK);
      const normalised = copy.subarray(0, chunk.length);
      normalised.set(chunk);
      for (let i = 0; i < normalised.length; i++) {
        if (normalised[i] !== normalised[i]) normalised[i] = NaN;
      }
      chunk = normalised;
    }
    hash.update(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
}

const CANONICAL_NAN_F32 = new Uint32Array(new Float32Array([NaN]).buffer)[0];
const CANONICAL_NAN_F64 = new Uint32Array(new Float64Array([NaN]).buffer);

/** Whether `arr` holds a NaN whose bits differ from the canonical quiet NaN. */
function hasOtherNaN(arr: Float64Array | Float32Array): boolean {
  if (arr instanceof Float32Array) {
    const bits = new Uint32Array(arr.buffer, arr.byteOffset, arr.length);
    for (let i = 0; i < arr.length; i++) {
      if (arr[i] !== arr[i] && bits[i] !== CANONICAL_NAN_F32) return true;
    }
    return false;
  }
  const bits = new Uint32Array(arr.buffer, arr.byteOffset, arr.length * 2);
  for (let i = 0; i < arr.length; i++) {
    if (
      arr[i] !== arr[i] &&
      (bits[2 * i] !== CANONICAL_NAN_F64[0] || bits[2 * i + 1] !== CANONICAL_NAN_F64[1])
    ) return true;
  }
  return false;
}

/**
 * The dtype name of a typed array as the canonical encodings write it (`"float64"`, `"int32"`,
 * ...): the header of every array in {@linkcode canonicalChecksum} and the cache's storage digest.
 *
 * @example Usage
 * ```ts
 * import { dtypeOf } from "./checksum.ts";
 * dtypeOf(new Float32Array(2)); // "float32"
 * ```
 */
export function dtypeOf(arr: CanonicalArray): string {
  return arr.constructor.name.replace("Array", "").toLowerCase();
}

/**
 * The canonical checksum of a `RawData` (its arrays, line dictionary, kind, modality, units and
 * CRS).
 * Metadata such as retrieval time is not hashed: the same data fetched twice has the same
 * checksum.
 *
 * @example Usage
 * ```ts
 * import { rawDataChecksum } from "./checksum.ts";
 * // const sum = rawDataChecksum(raw);
 * ```
 */
export function rawDataChecksum(data: RawData): string {
  const fields = {
    kind: data.kind,
    modality: data.modality,
    units: data.units,
    crs: data.crs,
    sourceCrs: data.sourceCrs, // hashed only when present, as the line dictionary
  };
  if (data.kind === "points") {
    const { lon, lat, value, height, line, lineNames, lineKinds } = data.points;
    // The line dictionary is hashed only when present: older data keeps its checksum.
    return canonicalChecksum({ lon, lat, value, height, line }, {
      ...fields,
      lineNames,
      lineKinds,
    });
  }
  const { lat, lon, values } = data.grid;
  return canonicalChecksum({ lat, lon, values }, fields);
}

/**
 * The canonical checksum of a `ProcessedGrid` (axes, values, units, CRS, registration).
 *
 * @example Usage
 * ```ts
 * import { gridChecksum } from "./checksum.ts";
 * // const sum = gridChecksum(grid);
 * ```
 */
export function gridChecksum(grid: ProcessedGrid): string {
  return canonicalChecksum({ lat: grid.lat, lon: grid.lon, values: grid.values }, gridFields(grid));
}

/** What {@linkcode gridChecksum} hashes besides the values. */
type GridHead = Pick<ProcessedGrid, "lat" | "lon" | "units" | "crs" | "registration">;

function gridFields(grid: GridHead): Record<string, unknown> {
  return { units: grid.units, crs: grid.crs, registration: grid.registration };
}

/**
 * {@linkcode gridChecksum} of a grid taken while its values are produced: ranges of the value
 * array hashed in order as they become final (a filter's bands), so no pass of its own follows
 * the computation. The digest equals `gridChecksum` of the finished grid with these axes,
 * units, CRS and registration (the encoding hashes the values last, after `lat` and `lon`).
 *
 * @example Usage
 * ```ts
 * import { gridChecksum, GridChecksumStream } from "./checksum.ts";
 * const grid = {
 *   lat: new Float64Array([0, 1]), lon: new Float64Array([0, 1]),
 *   values: new Float64Array([1, 2, NaN, 4]), units: "nT", crs: "EPSG:4326",
 *   resolution: { lon: 1, lat: 1 }, registration: "gridline" as const, provenance: [],
 * };
 * const stream = new GridChecksumStream(grid, grid.values);
 * stream.update(0, 2);
 * stream.update(2, 4);
 * stream.digest() === gridChecksum(grid); // true
 * ```
 */
export class GridChecksumStream {
  readonly #hash: Hash;
  readonly #head: GridHead;
  #next = 0;
  #digest?: string;
  /**
   * @param head The grid's axes, units, CRS and registration (its values are not read).
   * @param values The array whose ranges {@linkcode GridChecksumStream.update} hashes.
   */
  constructor(head: GridHead, readonly values: Float64Array | Float32Array) {
    this.#head = { ...head };
    this.#hash = canonicalHash({ lat: head.lat, lon: head.lon }, gridFields(head));
    this.#hash.update(`values\t${dtypeOf(values)}\t${values.length}\n`);
  }

  /** The number of values hashed so far: where the next range starts. */
  get hashed(): number {
    return this.#next;
  }

  /**
   * Hashes `values[from..to)`; ranges must follow one another from 0.
   * @throws {RangeError} when `from` is not where the previous range ended.
   */
  update(from: number, to: number): void {
    if (from !== this.#next || to < from || to > this.values.length) {
      throw new RangeError(
        `checksum stream: range ${from}..${to} received, expected one from ${this.#next} up to ${this.values.length}`,
      );
    }
    hashFloats(this.#hash, this.values.subarray(from, to));
    this.#next = to;
  }

  /**
   * `sha256:<hex>` once every value was hashed.
   * @throws {RangeError} when values are missing.
   */
  digest(): string {
    if (this.#next !== this.values.length) {
      throw new RangeError(
        `checksum stream: ${this.#next} of ${this.values.length} values hashed, expected all`,
      );
    }
    return this.#digest ??= `sha256:${this.#hash.digest("hex")}`;
  }

  /** Whether `grid` is the grid this stream hashed: its values, axes and fields. */
  matches(grid: ProcessedGrid): boolean {
    const h = this.#head;
    return grid.values === this.values && grid.lat === h.lat && grid.lon === h.lon &&
      grid.units === h.units && grid.crs === h.crs && grid.registration === h.registration;
  }
}
