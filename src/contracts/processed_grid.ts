/**
 * `ProcessedGrid`: a regular lon/lat grid produced by preprocessing. Axes strictly
 * increasing, values row-major `[lat][lon]`, NaN as nodata (never 0).
 *
 * @module
 */
import { z } from "zod";
import { BboxSchema } from "./bbox_schema.ts";
import { ContractError } from "./errors.ts";
import { checkAxis, formatZodIssues } from "./_internal.ts";

/**
 * One provenance entry: which stage made the grid, with what, from what.
 *
 * @example Usage
 * ```ts
 * import { ProvenanceEntrySchema } from "./processed_grid.ts";
 * ProvenanceEntrySchema.parse({ step: "grid", version: "1.0.0", params: { method: "idw" } });
 * ```
 */
export const ProvenanceEntrySchema = z.looseObject({
  /** Stage, command or plugin id. */
  step: z.string().min(1),
  /** Its semantic version. */
  version: z.string().min(1),
  /** Parameters it ran with. */
  params: z.record(z.string(), z.unknown()).default({}),
  /** Canonical checksum of the input, `sha256:<hex>`. */
  inputChecksum: z.string().optional(),
  /** Canonical checksum of the output, `sha256:<hex>`. */
  outputChecksum: z.string().optional(),
  /** Wall time, seconds. */
  durationSeconds: z.number().nonnegative().optional(),
  /** ISO 8601 time the step finished. */
  at: z.string().optional(),
});

/** One provenance entry. See {@linkcode ProvenanceEntrySchema}. */
export type ProvenanceEntry = z.infer<typeof ProvenanceEntrySchema>;

const Axis = z.instanceof(Float64Array, { error: "expected a Float64Array" });

/**
 * The `ProcessedGrid` schema.
 *
 * - `crs`: `"EPSG:4326"` (the default of every stage), or a projected CRS `"EPSG:<code>"` (metres)
 *   when the `grid` stage was given `crs`.
 * - `lat`, `lon`: node coordinates in the units of `crs`, strictly increasing. One convention
 *   for both kinds of CRS: `lon` is the first (east) axis and `lat` the second (north) axis:
 *   longitudes and latitudes in degrees for EPSG:4326, eastings (x) and northings (y) in metres
 *   for a projected CRS.
 * - `values`: `Float32Array` or `Float64Array`, row-major `[lat][lon]` (rows south to north),
 *   NaN nodata.
 * - `resolution`: node spacing `{ lon, lat }` in the units of `crs` (degrees or metres).
 * - `bbox`: always EPSG:4326 degrees (the request's area), whatever `crs`.
 * - `registration`: `"gridline"` (nodes on the bbox edges) or `"pixel"` (nodes at cell centres).
 *
 * @example Usage
 * ```ts
 * import { ProcessedGridSchema } from "./processed_grid.ts";
 * ProcessedGridSchema.safeParse({}).success; // false
 * ```
 */
export const ProcessedGridSchema = z.strictObject({
  /** Modality of the values, e.g. `"gravity"`. */
  modality: z.string().optional(),
  lat: Axis,
  lon: Axis,
  values: z.union([z.instanceof(Float32Array), z.instanceof(Float64Array)], {
    error: "expected a Float32Array or Float64Array",
  }),
  /** Units of `values`, e.g. `"mGal"`. */
  units: z.string().min(1),
  /** `"EPSG:4326"` or a projected `"EPSG:<code>"`: the CRS of `lon`, `lat` and `resolution`. */
  crs: z.string().regex(/^EPSG:\d+$/, { error: 'expected crs "EPSG:<code>", e.g. "EPSG:4326"' }),
  /** Node spacing, in the units of `crs` (degrees for EPSG:4326, metres when projected). */
  resolution: z.strictObject({ lon: z.number().positive(), lat: z.number().positive() }),
  registration: z.enum(["gridline", "pixel"]),
  /** The bbox the grid was made for, if any. */
  bbox: BboxSchema.optional(),
  /**
   * The grid's data footprint: distance from each node to the nearest input point, km,
   * row-major like `values` (Infinity where no point exists). Set by gridding, carried by
   * same-shape filters and written with the grid; QC measures completeness from it. Absent
   * for grids whose input points are unknown (a foreign file, a source grid).
   */
  dataDistanceKm: z.instanceof(Float32Array, { error: "expected a Float32Array" }).optional(),
  provenance: z.array(ProvenanceEntrySchema),
});

/** A processed grid. See {@linkcode ProcessedGridSchema}. */
export type ProcessedGrid = z.infer<typeof ProcessedGridSchema>;

/**
 * Validates a grid against the schema and the domain rules: strictly increasing finite axes,
 * `values.length === lat.length * lon.length`, axis steps equal to `resolution` (relative
 * 1e-6). Throws {@linkcode ContractError} listing every broken rule.
 *
 * @example Usage
 * ```ts
 * import { validateProcessedGrid } from "./processed_grid.ts";
 * validateProcessedGrid({
 *   lat: new Float64Array([0, 1]), lon: new Float64Array([0, 1]),
 *   values: new Float32Array([1, 2, NaN, 4]), units: "mGal", crs: "EPSG:4326",
 *   resolution: { lon: 1, lat: 1 }, registration: "gridline", provenance: [],
 * });
 * ```
 */
export function validateProcessedGrid(grid: unknown, where?: string): ProcessedGrid {
  const parsed = ProcessedGridSchema.safeParse(grid);
  if (!parsed.success) {
    throw new ContractError("ProcessedGrid", formatZodIssues(parsed.error), where);
  }
  const g = parsed.data;
  const issues: string[] = [];
  checkAxis(g.lat, "lat", issues);
  checkAxis(g.lon, "lon", issues);
  if (g.values.length !== g.lat.length * g.lon.length) {
    issues.push(
      `values: length ${g.values.length} differs from lat x lon = ${g.lat.length} x ${g.lon.length}`,
    );
  }
  if (g.dataDistanceKm !== undefined && g.dataDistanceKm.length !== g.values.length) {
    issues.push(
      `dataDistanceKm: length ${g.dataDistanceKm.length} differs from values' ${g.values.length}`,
    );
  }
  const unit = g.crs === "EPSG:4326" ? "degrees" : "metres";
  for (
    const [axis, step, name] of [[g.lon, g.resolution.lon, "lon"], [
      g.lat,
      g.resolution.lat,
      "lat",
    ]] as const
  ) {
    if (issues.length > 0 || axis.length < 2) continue;
    const span = axis[axis.length - 1] - axis[0];
    const mean = span / (axis.length - 1);
    if (Math.abs(mean - step) > 1e-6 * step) {
      issues.push(
        `resolution.${name}: ${step} ${unit} differs from the ${name} axis step ${mean}`,
      );
    }
  }
  if (issues.length > 0) throw new ContractError("ProcessedGrid", issues, where);
  return g;
}
