/**
 * The one bounding-box convention of GAM: `[minLon, minLat, maxLon, maxLat]` in EPSG:4326
 * degrees. Every entry point (config, CLI flags, plugins, repositories) checks boxes with
 * {@linkcode checkBbox} so that the rules and the wording of errors are the same everywhere
 * (the idea follows Verde's single `check_region`).
 *
 * @module
 */

/**
 * A bounding box `[minLon, minLat, maxLon, maxLat]` in EPSG:4326 degrees.
 *
 * @example Usage
 * ```ts
 * import type { Bbox } from "./bbox.ts";
 * const southAfrica: Bbox = [16, -35, 33, -22];
 * ```
 */
export type Bbox = readonly [minLon: number, minLat: number, maxLon: number, maxLat: number];

/**
 * Thrown when a bounding box breaks the convention. `field` names where the box came from
 * (a config path, a CLI flag, a plugin), `rule` the rule it broke.
 *
 * @example Usage
 * ```ts
 * import { BboxError, checkBbox } from "./bbox.ts";
 * try {
 *   checkBbox([10, 0, 5, 1], "--bbox");
 * } catch (e) {
 *   if (e instanceof BboxError) console.log(e.message);
 * }
 * ```
 */
export class BboxError extends RangeError {
  /** Where the box came from, e.g. `"--bbox"` or `"defaults.bbox"`. */
  readonly field: string;
  /** The rule that was broken, in words. */
  readonly rule: string;
  /**
   * @param field Where the box came from.
   * @param rule The rule that was broken, in words.
   */
  constructor(field: string, rule: string) {
    super(`Invalid bbox in ${field}: ${rule}`);
    this.name = "BboxError";
    this.field = field;
    this.rule = rule;
  }
}

/**
 * Returns the first rule `box` breaks, or `undefined` when it is a valid bbox. Pure; used by
 * {@linkcode checkBbox} and by the zod schema {@linkcode BboxSchema} so that both say the same.
 *
 * @param box The candidate value.
 * @returns A sentence describing the broken rule, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { bboxProblem } from "./bbox.ts";
 * bboxProblem([170, 0, -170, 10]); // "... crosses the antimeridian ..."
 * ```
 */
export function bboxProblem(box: unknown): string | undefined {
  if (!Array.isArray(box) || box.length !== 4) {
    return `expected [minLon, minLat, maxLon, maxLat] (4 numbers), got ${describe(box)}`;
  }
  const names = ["minLon", "minLat", "maxLon", "maxLat"];
  for (let i = 0; i < 4; i++) {
    if (typeof box[i] !== "number" || !Number.isFinite(box[i])) {
      return `${names[i]} must be a finite number, got ${describe(box[i])}`;
    }
  }
  const [minLon, minLat, maxLon, maxLat] = box as number[];
  for (const [name, v] of [["minLon", minLon], ["maxLon", maxLon]] as const) {
    if (v < -180 || v > 180) return `${name} must be within [-180, 180] degrees, got ${v}`;
  }
  for (const [name, v] of [["minLat", minLat], ["maxLat", maxLat]] as const) {
    if (v < -90 || v > 90) return `${name} must be within [-90, 90] degrees, got ${v}`;
  }
  if (minLon > maxLon) {
    return `minLon ${minLon} > maxLon ${maxLon}: the box crosses the antimeridian, which is ` +
      `not supported; split it into two boxes at 180 degrees`;
  }
  if (minLon === maxLon) return `minLon must be < maxLon, got ${minLon} and ${maxLon}`;
  if (minLat >= maxLat) return `minLat must be < maxLat, got ${minLat} and ${maxLat}`;
  return undefined;
}

/**
 * Checks that `box` is a valid `[minLon, minLat, maxLon, maxLat]` box and returns it typed.
 *
 * Rules: 4 finite numbers, `-180 <= minLon < maxLon <= 180`, `-90 <= minLat < maxLat <= 90`.
 * A box with `minLon > maxLon` is reported as crossing the antimeridian.
 *
 * @param box The candidate value.
 * @param field Where it came from, quoted in the error (default `"bbox"`).
 * @returns The same box, typed as {@linkcode Bbox}.
 * @throws {BboxError} naming `field` and the broken rule.
 *
 * @example Usage
 * ```ts
 * import { checkBbox } from "./bbox.ts";
 * const box = checkBbox([16, -35, 33, -22], "--bbox");
 * ```
 */
export function checkBbox(box: unknown, field = "bbox"): Bbox {
  const problem = bboxProblem(box);
  if (problem !== undefined) throw new BboxError(field, problem);
  return box as unknown as Bbox;
}

/**
 * Parses a `minLon,minLat,maxLon,maxLat` string (CLI flags, environment variables).
 *
 * @param text Comma-separated numbers.
 * @param field Where it came from, quoted in the error.
 * @throws {BboxError} when a part is not a number or the box is invalid.
 *
 * @example Usage
 * ```ts
 * import { parseBbox } from "./bbox.ts";
 * parseBbox("16,-35,33,-22", "--bbox"); // [16, -35, 33, -22]
 * ```
 */
export function parseBbox(text: string, field = "bbox"): Bbox {
  const parts = text.split(",").map((s) => s.trim());
  if (parts.length !== 4) {
    throw new BboxError(
      field,
      `expected "minLon,minLat,maxLon,maxLat" (4 comma-separated numbers), got "${text}"`,
    );
  }
  const nums = parts.map((p) => (p === "" ? NaN : Number(p)));
  return checkBbox(nums, field);
}

/**
 * Whether the point (lon, lat) lies inside `box`, edges included, widened by `tolerance`
 * degrees on every side.
 *
 * @example Usage
 * ```ts
 * import { bboxContains } from "./bbox.ts";
 * bboxContains([0, 0, 1, 1], 1, 1); // true
 * ```
 */
export function bboxContains(box: Bbox, lon: number, lat: number, tolerance = 0): boolean {
  return lon >= box[0] - tolerance && lon <= box[2] + tolerance && lat >= box[1] - tolerance &&
    lat <= box[3] + tolerance;
}

/**
 * The bbox rounded to 1e-9 degrees (about 0.1 mm), `-0` as `0`, so that boxes equal to that
 * precision share a key (the ingestion cache key and the grid cache's bbox hash both use it).
 *
 * @throws {BboxError} for an invalid box.
 *
 * @example Usage
 * ```ts
 * import { normaliseBbox } from "./bbox.ts";
 * normaliseBbox([16.0000000000001, -35, 33, -22]); // [16, -35, 33, -22]
 * ```
 */
export function normaliseBbox(bbox: Bbox): Bbox {
  checkBbox(bbox);
  const r = (v: number) => {
    const x = Math.round(v * 1e9) / 1e9;
    return x === 0 ? 0 : x;
  };
  return [r(bbox[0]), r(bbox[1]), r(bbox[2]), r(bbox[3])];
}

function describe(v: unknown): string {
  if (typeof v === "string") return `"${v}"`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
