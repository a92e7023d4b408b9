/**
 * `RawData`: what a source plugin returns for a modality and a bounding box, before any
 * preprocessing. Either scattered points (surveys) or a regular grid (model services).
 *
 * The zod schema is the single source of the type; {@linkcode validateRawData} adds the
 * domain checks a schema cannot express (equal lengths, points inside the requested box,
 * units known for the modality).
 *
 * @module
 */
import { z } from "zod";
import { bboxContains } from "./bbox.ts";
import { BboxSchema } from "./bbox_schema.ts";
import { ContractError } from "./errors.ts";
import { checkAxis, formatZodIssues } from "./_internal.ts";
import { isKnownUnit, knownUnits } from "../units/mod.ts";

const F64 = z.instanceof(Float64Array, { error: "expected a Float64Array" });
const Values = z.union([z.instanceof(Float64Array), z.instanceof(Float32Array)], {
  error: "expected a Float64Array or Float32Array",
});
const LineIds = z.union([z.instanceof(Float64Array), z.instanceof(Int32Array)], {
  error: "expected a Float64Array or Int32Array of line ids",
});

/**
 * What a flight line is: a traverse (`"line"`) or a tie line (`"tie"`, flown across the
 * traverses to level them).
 *
 * @example Usage
 * ```ts
 * import { LineKindSchema } from "./raw_data.ts";
 * LineKindSchema.parse("tie"); // "tie"
 * ```
 */
export const LineKindSchema = z.enum(["line", "tie"]);

/** A line's kind. See {@linkcode LineKindSchema}. */
export type LineKind = z.infer<typeof LineKindSchema>;

/** Where the data came from and under which terms. */
export const SourceMetadataSchema = z.strictObject({
  /** URL the data was read from (`file://` for local files), if any. */
  sourceUrl: z.string().optional(),
  /** ISO 8601 time of retrieval. */
  retrievedAt: z.iso.datetime({ offset: true }),
  /** Licence of the data, e.g. `"Public domain"`, `"CC-BY-4.0"`. */
  licence: z.string().min(1),
  /** How to cite the data. */
  citation: z.string().min(1),
  /** DOI of the data (`10.xxxx/...`, no `https://doi.org/`), when the source has one. */
  doi: z.string().regex(/^10\.\d{4,9}\/\S+$/, "expected a DOI such as 10.5880/icgem.2015.1")
    .optional(),
  /** Canonical checksum `sha256:<hex>` of the arrays (see `canonicalChecksum`), if computed. */
  checksum: z.string().regex(/^sha256:[0-9a-f]{64}$/).optional(),
  /** Free-form extra fields a plugin wants to keep (survey name, epoch, ...). */
  extra: z.record(z.string(), z.unknown()).optional(),
  /**
   * The plugin's caching hint (plugin API 1.1.0): `ttlSeconds` shortens how long the data stays
   * fresh in the cache (the modality's `cache.ttl` is the upper bound), `store: false` keeps it
   * out of the cache (a live feed). Absent: the configuration decides.
   */
  cache: z.strictObject({
    ttlSeconds: z.number().int().positive().optional(),
    store: z.boolean().optional(),
  }).optional(),
});

const Common = {
  /** The plugin that produced the data. */
  source: z.strictObject({ plugin: z.string().min(1), version: z.string().min(1) }),
  /** Modality name, e.g. `"gravity"` or `"magnetic"`. */
  modality: z.string().regex(/^[a-z][a-z0-9_]*$/, "expected a lower-case modality name"),
  /** The bbox that was requested. */
  bbox: BboxSchema,
  /** Units of `value`/`values`, known for the modality (e.g. `"mGal"`, `"nT"`). */
  units: z.string().min(1),
  /** Coordinate reference system of lon/lat. Only `"EPSG:4326"` is supported. */
  crs: z.literal("EPSG:4326", { error: 'expected crs "EPSG:4326"' }),
  /**
   * The CRS the coordinates were delivered in (`"EPSG:32633"`, `"EPSG:27700"`), when the
   * reader transformed them to EPSG:4326; absent when they came as longitude and latitude.
   */
  sourceCrs: z.string().regex(/^EPSG:\d+$/, 'expected an EPSG code such as "EPSG:32633"')
    .optional(),
  metadata: SourceMetadataSchema,
};

/** Scattered points: one entry per station or reading. */
export const PointsSchema = z.strictObject({
  /** Longitudes, degrees. */
  lon: F64,
  /** Latitudes, degrees. */
  lat: F64,
  /** Observed values in `units`; NaN for a missing reading. */
  value: Values,
  /** Station or sensor height above the ellipsoid, metres. */
  height: F64.optional(),
  /**
   * Flight-line id per reading (airborne surveys), in along-line order. With `lineNames`, an
   * Int32Array of codes: `line[i]` is the index in `lineNames` of reading `i`'s line.
   */
  line: LineIds.optional(),
  /**
   * The survey's line dictionary: the distinct line names as delivered (`"L1010"`, `"T100"`,
   * `"FL1-1"`), in order of first appearance; `line` holds indexes into it. Requires `line`.
   */
  lineNames: z.array(z.string().min(1, "expected a non-empty line name")).optional(),
  /**
   * Per entry of `lineNames`: `"line"` (a traverse) or `"tie"` (a tie line), where the format or
   * the configuration says which. Requires `lineNames`, same length.
   */
  lineKinds: z.array(LineKindSchema).optional(),
});

/** A regular grid: strictly increasing axes, row-major `[lat][lon]` values, NaN nodata. */
export const RawGridSchema = z.strictObject({
  /** Latitudes of rows, degrees, strictly increasing (row 0 is the southernmost). */
  lat: F64,
  /** Longitudes of columns, degrees, strictly increasing. */
  lon: F64,
  /** Values row-major `[lat][lon]`, NaN where there is no data. */
  values: Values,
});

/**
 * The `RawData` schema: `kind: "points"` with `points`, or `kind: "grid"` with `grid`.
 *
 * @example Usage
 * ```ts
 * import { RawDataSchema } from "./raw_data.ts";
 * const ok = RawDataSchema.safeParse({}).success; // false
 * ```
 */
export const RawDataSchema = z.discriminatedUnion("kind", [
  z.strictObject({ ...Common, kind: z.literal("points"), points: PointsSchema }),
  z.strictObject({ ...Common, kind: z.literal("grid"), grid: RawGridSchema }),
]);

/** Data returned by a source plugin. See {@linkcode RawDataSchema}. */
export type RawData = z.infer<typeof RawDataSchema>;
/** Point-kind `RawData`. */
export type RawPoints = Extract<RawData, { kind: "points" }>;
/** Grid-kind `RawData`. */
export type RawGrid = Extract<RawData, { kind: "grid" }>;

/**
 * Bytes of a `RawData`'s arrays (coordinates, values, heights, line codes, grid axes), the
 * figure reported as its size; the line dictionary's names are not counted.
 *
 * @example Usage
 * ```ts
 * import { rawDataBytes } from "./raw_data.ts";
 * const n = rawDataBytes({
 *   source: { plugin: "synthetic", version: "1.0.0" }, modality: "gravity", kind: "points",
 *   bbox: [0, 0, 1, 1], units: "mGal", crs: "EPSG:4326",
 *   metadata: { retrievedAt: new Date().toISOString(), licence: "CC0-1.0", citation: "synthetic" },
 *   points: { lon: new Float64Array([0.5]), lat: new Float64Array([0.5]), value: new Float64Array([1]) },
 * }); // 24
 * ```
 */
export function rawDataBytes(data: RawData): number {
  if (data.kind === "grid") {
    const g = data.grid;
    return g.lat.byteLength + g.lon.byteLength + g.values.byteLength;
  }
  const p = data.points;
  return p.lon.byteLength + p.lat.byteLength + p.value.byteLength + (p.height?.byteLength ?? 0) +
    (p.line?.byteLength ?? 0);
}

/** Options of {@linkcode validateRawData}. */
export interface ValidateRawDataOptions {
  /**
   * How far outside the requested bbox a point may lie, degrees. Plugins often return the
   * stations of a whole tile; a small tolerance accepts edge rounding.
   * @default 1e-9
   */
  tolerance?: number;
  /** Who produced the data, quoted in errors (plugin id, stage id). */
  where?: string;
}

/**
 * Validates `data` against the `RawData` schema and the domain rules: equal array lengths,
 * finite coordinates, latitudes in [-90, 90], points inside the requested bbox (within
 * `tolerance`), grid axes strictly increasing and matching the values' size, units known for
 * the modality. Returns the data typed; throws {@linkcode ContractError} listing every
 * broken rule.
 *
 * @example Usage
 * ```ts
 * import { validateRawData } from "./raw_data.ts";
 * const data = validateRawData({
 *   source: { plugin: "synthetic", version: "1.0.0" }, modality: "gravity", kind: "points",
 *   bbox: [0, 0, 1, 1], units: "mGal", crs: "EPSG:4326",
 *   metadata: { retrievedAt: new Date().toISOString(), licence: "CC0-1.0", citation: "synthetic" },
 *   points: { lon: new Float64Array([0.5]), lat: new Float64Array([0.5]), value: new Float64Array([1]) },
 * });
 * ```
 */
export function validateRawData(data: unknown, options: ValidateRawDataOptions = {}): RawData {
  const { tolerance = 1e-9, where } = options;
  const parsed = RawDataSchema.safeParse(data);
  if (!parsed.success) throw new ContractError("RawData", formatZodIssues(parsed.error), where);
  const raw = parsed.data;
  const issues: string[] = [];
  if (!isKnownUnit(raw.modality, raw.units)) {
    const known = knownUnitsOrNone(raw.modality);
    issues.push(`units: "${raw.units}" is not a known unit for ${raw.modality} (known: ${known})`);
  }
  if (raw.kind === "points") {
    checkPoints(raw.points, raw.bbox, tolerance, issues);
  } else {
    checkGrid(raw.grid, raw.bbox, tolerance, issues);
  }
  if (issues.length > 0) throw new ContractError("RawData", issues, where ?? raw.source.plugin);
  return raw;
}

function knownUnitsOrNone(modality: string): string {
  try {
    return knownUnits(modality).join(", ");
  } catch {
    return "none: unknown modality";
  }
}

function checkPoints(
  p: z.infer<typeof PointsSchema>,
  bbox: readonly number[],
  tol: number,
  issues: string[],
): void {
  const n = p.lon.length;
  for (const key of ["lat", "value", "height", "line"] as const) {
    const arr = p[key];
    if (arr !== undefined && arr.length !== n) {
      issues.push(`points.${key}: length ${arr.length} differs from points.lon length ${n}`);
    }
  }
  checkLineDictionary(p, issues);
  if (issues.length > 0) return;
  if (n === 0) {
    issues.push("points: no points (an empty survey is not data; report it as an error)");
    return;
  }
  let outside = 0;
  let first = -1;
  for (let i = 0; i < n; i++) {
    const lon = p.lon[i], lat = p.lat[i];
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) {
      issues.push(`points[${i}]: coordinates must be finite, got lon ${lon}, lat ${lat}`);
      if (issues.length > 20) return;
      continue;
    }
    if (!bboxContains(bbox as [number, number, number, number], lon, lat, tol)) {
      if (first < 0) first = i;
      outside++;
    }
  }
  if (outside > 0) {
    issues.push(
      `points: ${outside} of ${n} points lie outside the requested bbox [${bbox.join(", ")}] ` +
        `(first at index ${first}: lon ${p.lon[first]}, lat ${
          p.lat[first]
        }; tolerance ${tol} degrees)`,
    );
  }
}

/** `lineNames`/`lineKinds` against `line`: codes in range, names distinct, kinds aligned. */
function checkLineDictionary(p: z.infer<typeof PointsSchema>, issues: string[]): void {
  const { line, lineNames: names, lineKinds: kinds } = p;
  if (kinds !== undefined && names === undefined) {
    issues.push("points.lineKinds: given without points.lineNames");
  }
  if (names === undefined) return;
  if (line === undefined) {
    issues.push("points.lineNames: given without points.line (the codes of each reading)");
    return;
  }
  if (!(line instanceof Int32Array)) {
    issues.push("points.line: with points.lineNames it must be an Int32Array of codes");
    return;
  }
  if (kinds !== undefined && kinds.length !== names.length) {
    issues.push(
      `points.lineKinds: length ${kinds.length} differs from points.lineNames length ${names.length}`,
    );
  }
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) {
      issues.push(`points.lineNames: "${name}" appears twice (names must be distinct)`);
      return;
    }
    seen.add(name);
  }
  for (let i = 0; i < line.length; i++) {
    if (line[i] < 0 || line[i] >= names.length) {
      issues.push(
        `points.line[${i}]: code ${line[i]} is not an index of points.lineNames ` +
          `(0..${names.length - 1})`,
      );
      return;
    }
  }
}

function checkGrid(
  g: z.infer<typeof RawGridSchema>,
  bbox: readonly number[],
  tol: number,
  issues: string[],
): void {
  checkAxis(g.lat, "grid.lat", issues);
  checkAxis(g.lon, "grid.lon", issues);
  if (g.values.length !== g.lat.length * g.lon.length) {
    issues.push(
      `grid.values: length ${g.values.length} differs from lat x lon = ` +
        `${g.lat.length} x ${g.lon.length}`,
    );
  }
  if (issues.length > 0 || g.lat.length === 0 || g.lon.length === 0) return;
  const [w, s, e, n] = bbox;
  const lon0 = g.lon[0], lon1 = g.lon[g.lon.length - 1];
  const lat0 = g.lat[0], lat1 = g.lat[g.lat.length - 1];
  if (lon0 < w - tol || lon1 > e + tol || lat0 < s - tol || lat1 > n + tol) {
    issues.push(
      `grid: extent [${lon0}, ${lat0}, ${lon1}, ${lat1}] lies outside the requested bbox ` +
        `[${bbox.join(", ")}] (tolerance ${tol} degrees)`,
    );
  }
}
