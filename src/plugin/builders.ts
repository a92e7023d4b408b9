/**
 * Builders of the `RawData` a plugin returns: they fill in what the host checks (the source's
 * id and version from the manifest, the modality and bbox of the request, the CRS, the time of
 * retrieval, licence and citation) and turn plain number arrays into the typed arrays the
 * contract asks for, so a plugin writes only its data.
 *
 * The builders check lengths (cheap); the host validates the whole contract (bbox, axes,
 * units) when the data arrives, and refuses invalid data before anything caches it.
 *
 * @module
 */
import type { LineKind, RawGrid, RawPoints } from "../contracts/raw_data.ts";
import { LineDictionary } from "../formats/line_dictionary.ts";
import type { FetchRequest, PluginManifest } from "../ingestion/plugin_api.ts";

/** Numbers as a plain array or a typed array. */
export type NumberArray = ArrayLike<number>;

/** Source metadata a builder takes; `retrievedAt`, `licence`, `citation` have defaults. */
export interface MetadataInput {
  /** URL the data was read from, if any (never put a secret in it). */
  sourceUrl?: string;
  /** ISO 8601 time of retrieval. @default the time of the call */
  retrievedAt?: string;
  /** Licence of the data. @default the manifest's `licence` */
  licence?: string;
  /** How to cite the data. @default the manifest's `citation` */
  citation?: string;
  /** Free-form extra fields (survey name, epoch, ...): JSON values. */
  extra?: Record<string, unknown>;
  /**
   * Caching hint: `ttlSeconds` (shortens the configured `cache.ttl`, never lengthens it) or
   * `store: false` (never cache this data). Since API 1.1.0.
   */
  cache?: CacheHint;
}

/** A plugin's caching hint (see {@linkcode MetadataInput.cache}). */
export interface CacheHint {
  /** Seconds the data stays fresh; the configured `cache.ttl` is the upper bound. */
  ttlSeconds?: number;
  /** `false`: do not cache this data. @default true */
  store?: boolean;
}

/** Fields of {@linkcode pointsData}. */
export interface PointsInput {
  /** The plugin's manifest (id, version, licence, citation). */
  manifest: Pick<PluginManifest, "id" | "version" | "licence" | "citation">;
  /** Units of `value`, known for the modality (`"mGal"`, `"nT"`, ...). */
  units: string;
  /** Longitudes, degrees. */
  lon: NumberArray;
  /** Latitudes, degrees. */
  lat: NumberArray;
  /** Values in `units`; NaN for a missing reading. */
  value: NumberArray;
  /** Station or sensor heights above the ellipsoid, metres. */
  height?: NumberArray;
  /**
   * Flight line per reading, in along-line order: numeric ids, or names (`"L1010"`, `"FL1-1"`),
   * which become the data's line dictionary (`lineNames`, with codes in `line`).
   */
  line?: NumberArray | readonly string[];
  /** With named lines: the kind of each line, by name (`{ T100: "tie" }`); others are `"line"`. */
  lineKinds?: Readonly<Record<string, LineKind>>;
  /** Source metadata. @default {} */
  metadata?: MetadataInput;
}

/** Fields of {@linkcode gridData}. */
export interface GridInput {
  /** The plugin's manifest (id, version, licence, citation). */
  manifest: Pick<PluginManifest, "id" | "version" | "licence" | "citation">;
  /** Units of `values`, known for the modality. */
  units: string;
  /** Latitudes of the rows, degrees, strictly increasing (row 0 southernmost). */
  lat: NumberArray;
  /** Longitudes of the columns, degrees, strictly increasing. */
  lon: NumberArray;
  /** Values row-major `[lat][lon]` (`lat.length * lon.length`), NaN where there is no data. */
  values: NumberArray;
  /** Source metadata. @default {} */
  metadata?: MetadataInput;
}

/** The request fields a builder reads. */
export type RequestInput = Pick<FetchRequest, "modality" | "bbox">;

/**
 * Scattered points for the request: one entry per station or reading.
 *
 * @param request The fetch request (its modality and bbox are copied).
 * @param input The manifest, units, coordinates and values.
 * @returns A points `RawData`.
 * @throws {RangeError} when `lat`, `value`, `height` or `line` do not have `lon`'s length.
 *
 * @example Two gravity stations
 * ```ts
 * import { pointsData } from "./builders.ts";
 * const manifest = { id: "mine", version: "1.0.0", licence: "CC0-1.0", citation: "none" };
 * const data = pointsData({ modality: "gravity", bbox: [10, 45, 11, 46] }, {
 *   manifest, units: "mGal", lon: [10.2, 10.7], lat: [45.1, 45.9], value: [12.5, -3],
 * });
 * data.points.lon instanceof Float64Array; // true
 * ```
 */
export function pointsData(request: RequestInput, input: PointsInput): RawPoints {
  const n = input.lon.length;
  const same = (name: string, a: ArrayLike<unknown> | undefined) => {
    if (a !== undefined && a.length !== n) {
      throw new RangeError(
        `pointsData: ${name} has ${a.length} entries, expected ${n} (the length of lon)`,
      );
    }
  };
  same("lat", input.lat);
  same("value", input.value);
  same("height", input.height);
  same("line", input.line);
  return {
    ...common(request, input.manifest, input.units, input.metadata),
    kind: "points",
    points: {
      lon: f64(input.lon),
      lat: f64(input.lat),
      value: values(input.value),
      ...(input.height ? { height: f64(input.height) } : {}),
      ...(input.line ? lineFields(input.line, input.lineKinds) : {}),
    },
  };
}

/**
 * A regular grid for the request: strictly increasing axes, row-major `[lat][lon]` values.
 *
 * @param request The fetch request (its modality and bbox are copied).
 * @param input The manifest, units, axes and values.
 * @returns A grid `RawData`.
 * @throws {RangeError} when `values` does not have `lat.length * lon.length` entries.
 *
 * @example A 2 x 3 grid
 * ```ts
 * import { gridData } from "./builders.ts";
 * const manifest = { id: "mine", version: "1.0.0", licence: "CC0-1.0", citation: "none" };
 * const data = gridData({ modality: "magnetic", bbox: [10, 45, 12, 46] }, {
 *   manifest, units: "nT", lat: [45, 46], lon: [10, 11, 12], values: [1, 2, 3, 4, 5, 6],
 * });
 * data.grid.values.length; // 6
 * ```
 */
export function gridData(request: RequestInput, input: GridInput): RawGrid {
  const expected = input.lat.length * input.lon.length;
  if (input.values.length !== expected) {
    throw new RangeError(
      `gridData: values has ${input.values.length} entries, expected ${expected} ` +
        `(${input.lat.length} rows x ${input.lon.length} columns, row-major [lat][lon])`,
    );
  }
  return {
    ...common(request, input.manifest, input.units, input.metadata),
    kind: "grid",
    grid: {
      lat: f64(input.lat),
      lon: f64(input.lon),
      values: values(input.values),
    },
  };
}

function common(
  request: RequestInput,
  manifest: PointsInput["manifest"],
  units: string,
  metadata: MetadataInput = {},
) {
  return {
    source: { plugin: manifest.id, version: manifest.version },
    modality: request.modality,
    bbox: [...request.bbox] as RawPoints["bbox"],
    units,
    crs: "EPSG:4326" as const,
    metadata: {
      ...(metadata.sourceUrl !== undefined ? { sourceUrl: metadata.sourceUrl } : {}),
      retrievedAt: metadata.retrievedAt ?? new Date().toISOString(),
      licence: metadata.licence ?? manifest.licence,
      citation: metadata.citation ?? manifest.citation,
      ...(metadata.extra !== undefined ? { extra: metadata.extra } : {}),
      ...(metadata.cache !== undefined ? { cache: { ...metadata.cache } } : {}),
    },
  };
}

/** The array itself when it is already a Float64Array on a plain buffer, else a copy. */
function f64(a: NumberArray): Float64Array<ArrayBuffer> {
  return a instanceof Float64Array && a.buffer instanceof ArrayBuffer
    ? a as Float64Array<ArrayBuffer>
    : Float64Array.from(a);
}

/** Float32 values are kept as they are (a grid's float32 bytes), everything else as f64. */
function values(a: NumberArray): Float64Array<ArrayBuffer> | Float32Array<ArrayBuffer> {
  return a instanceof Float32Array && a.buffer instanceof ArrayBuffer
    ? a as Float32Array<ArrayBuffer>
    : f64(a);
}

/** The `line` field (and the dictionary for named lines) of {@linkcode pointsData}. */
function lineFields(
  line: NumberArray | readonly string[],
  kinds: Readonly<Record<string, LineKind>> | undefined,
): {
  line: Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer>;
  lineNames?: string[];
  lineKinds?: LineKind[];
} {
  if (line.length > 0 && typeof line[0] === "string") {
    const dict = new LineDictionary();
    const codes = Int32Array.from(line as readonly string[], (name) => dict.code(name));
    return {
      line: codes,
      lineNames: dict.names,
      ...(kinds ? { lineKinds: dict.names.map((n) => kinds[n] ?? "line") } : {}),
    };
  }
  return {
    line: line instanceof Int32Array && line.buffer instanceof ArrayBuffer
      ? line as Int32Array<ArrayBuffer>
      : f64(line as NumberArray),
  };
}
