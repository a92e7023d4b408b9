/**
 * The bucket layout, as the seed writes it:
 * `s3://<bucket>/[<prefix>/]<phase>/{ingestion|preprocessing|models}/<date>/<run-id>/`, with
 * object names that carry the ISO 8601 timestamp (basic format, UTC), a bbox tag and the
 * modality, e.g. `20261204T215210Z_E010.000N45.000_E010.500N45.500_gravity_grid.tif`.
 *
 * @module
 */
import { type Bbox, checkBbox } from "../contracts/mod.ts";

/** The artefact kinds of the layout (the third key segment). */
export type ArtifactKind = "ingestion" | "preprocessing" | "models";

/** Where the layout starts in the bucket: the config's `prefix` and `phase`. */
export interface LayoutRoot {
  /** Optional key prefix before the phase. */
  prefix?: string;
  /** The phase segment, e.g. `phase1`. */
  phase: string;
}

/**
 * The key prefix every object of the configured layout starts with, ending in `/`.
 *
 * @param root The config's `prefix` and `phase`.
 * @returns `[<prefix>/]<phase>/`.
 *
 * @example Usage
 * ```ts
 * import { phaseRoot } from "./layout.ts";
 * phaseRoot({ phase: "phase1" }); // "phase1/"
 * phaseRoot({ prefix: "team", phase: "phase1" }); // "team/phase1/"
 * ```
 */
export function phaseRoot(root: LayoutRoot): string {
  return root.prefix === undefined ? `${root.phase}/` : `${root.prefix}/${root.phase}/`;
}

/**
 * The key prefix of one run's artefacts of one kind, ending in `/`.
 *
 * @param root The config's `prefix` and `phase`.
 * @param kind `ingestion`, `preprocessing` or `models`.
 * @param runStarted When the run started (its UTC date is the `<date>` segment).
 * @param runId The run id.
 * @returns `[<prefix>/]<phase>/<kind>/<YYYY-MM-DD>/<run-id>/`.
 * @throws {TypeError} When `runId` could escape its segment (`/`, `..`, empty).
 *
 * @example Usage
 * ```ts
 * import { runPrefix } from "./layout.ts";
 * runPrefix({ phase: "phase1" }, "models", new Date("2026-12-04T21:52:10Z"), "r1");
 * // "phase1/models/2026-12-04/r1/"
 * ```
 */
export function runPrefix(
  root: LayoutRoot,
  kind: ArtifactKind,
  runStarted: Date,
  runId: string,
): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId)) {
    throw new TypeError(
      `Expected a run id of letters, digits, ".", "_" and "-", received "${runId}"`,
    );
  }
  return `${phaseRoot(root)}${kind}/${runStarted.toISOString().slice(0, 10)}/${runId}/`;
}

/**
 * An ISO 8601 timestamp in basic format, UTC, whole seconds: safe in keys, file names and
 * GDAL `/vsis3/` paths (no colons).
 *
 * @param time The instant.
 * @returns e.g. `20261204T215210Z`.
 *
 * @example Usage
 * ```ts
 * import { isoBasic } from "./layout.ts";
 * isoBasic(new Date("2026-12-04T21:52:10.123Z")); // "20261204T215210Z"
 * ```
 */
export function isoBasic(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
}

function coord(value: number, positive: string, negative: string, width: number): string {
  const hemisphere = value < 0 ? negative : positive;
  return `${hemisphere}${Math.abs(value).toFixed(3).padStart(width + 4, "0")}`;
}

/**
 * The bbox tag of object names: the south-west and north-east corners with hemisphere letters
 * and three decimals (no minus signs, fixed width).
 *
 * @param bbox `[minLon, minLat, maxLon, maxLat]`, checked with `checkBbox`.
 * @returns e.g. `E010.000N45.000_E010.500N45.500`.
 *
 * @example Usage
 * ```ts
 * import { bboxTag } from "./layout.ts";
 * bboxTag([-5.5, -10, 10.5, 45.5]); // "W005.500S10.000_E010.500N45.500"
 * ```
 */
export function bboxTag(bbox: Bbox): string {
  const [w, s, e, n] = checkBbox(bbox);
  return `${coord(w, "E", "W", 3)}${coord(s, "N", "S", 2)}_${coord(e, "E", "W", 3)}${
    coord(n, "N", "S", 2)
  }`;
}

/**
 * An object name of the layout: `<timestamp>_<bbox tag>_<modality>_<name>`.
 *
 * @param parts The run's timestamp, bbox, the modality (or `run` for run-wide files) and the
 *   file's own name.
 * @returns The name (no folders).
 *
 * @example Usage
 * ```ts
 * import { objectName } from "./layout.ts";
 * objectName({
 *   time: new Date("2026-12-04T21:52:10Z"),
 *   bbox: [10, 45, 10.5, 45.5],
 *   modality: "gravity",
 *   name: "grid.tif",
 * }); // "20261204T215210Z_E010.000N45.000_E010.500N45.500_gravity_grid.tif"
 * ```
 */
export function objectName(
  parts: { time: Date; bbox: Bbox; modality: string; name: string },
): string {
  return `${isoBasic(parts.time)}_${bboxTag(parts.bbox)}_${parts.modality}_${parts.name}`;
}
