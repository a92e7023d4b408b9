/**
 * Cutting a run's bbox into tiles with halos, and the smallest halo a pipeline needs.
 *
 * A tile's **core** is its share of the run's bbox (tiles of `size` degrees from the south-west
 * corner; the last row and column are narrower); its **halo** bbox adds a margin on every side
 * (clipped to the run's bbox, as a single-machine run sees no data outside it) so that the
 * stages that look at neighbours see the same data at the core's nodes as a single-machine run
 * would. Which grid node belongs to which core is
 * decided by node index, not by float comparison at the edges: see {@linkcode ownedRange}.
 *
 * Pure functions: no I/O.
 *
 * @module
 */
import type { Bbox } from "../contracts/mod.ts";
import { KM_PER_DEGREE } from "../compute/mod.ts";
import { DEFAULT_MASK_CELLS } from "../compute/gridding.ts";
import type { PipelinePlan, Stage } from "../preprocessing/mod.ts";
import type { ExecutionConfig } from "../config/mod.ts";

/** One tile of a run. */
export interface Tile {
  /** Stable key, `r<row>c<col>` (row 0 south, column 0 west): part of job keys. */
  key: string;
  row: number;
  col: number;
  /** The tile's share of the run's bbox, degrees. */
  core: Bbox;
  /** The core plus the halo on every side (clipped to the run's bbox), degrees. */
  halo: Bbox;
  /** Whether the core touches the run bbox's east / north edge (its last column / row). */
  east: boolean;
  north: boolean;
}

/**
 * A halo in degrees: latitude, and longitude. Without `lon`, each tile's longitude halo is the
 * latitude halo widened by 1 / cos of the tile's highest latitude (distances are in degrees of
 * latitude), so a tile's halo depends on the tile alone and runs over different bboxes share
 * the cache entries of their common tiles.
 */
export interface HaloDegrees {
  lat: number;
  lon?: number;
}

/**
 * Splits `bbox` into tiles of `size` degrees with a halo of `halo` degrees.
 *
 * @param bbox The run's bbox `[minLon, minLat, maxLon, maxLat]`.
 * @param options Tile edge (degrees, > 0) and halo (degrees, >= 0).
 * @returns Tiles row by row from the south-west, keys `r<row>c<col>`.
 * @throws {RangeError} For a size that is not a positive number or a negative halo.
 *
 * @example Four tiles of one degree
 * ```ts
 * import { planTiles } from "./tiles.ts";
 * const tiles = planTiles([10, 45, 12, 47], { size: 1, halo: { lat: 0.1, lon: 0.14 } });
 * tiles.map((t) => t.key); // ["r0c0", "r0c1", "r1c0", "r1c1"]
 * tiles[0].halo; // [10, 45, 11.14, 46.1]: clipped to the run's bbox
 * ```
 */
export function planTiles(
  bbox: Bbox,
  options: { size: number; halo: HaloDegrees },
): Tile[] {
  const { size, halo } = options;
  if (!(size > 0) || !Number.isFinite(size)) {
    throw new RangeError(`tile size must be a positive number of degrees, got ${size}`);
  }
  if (!(halo.lat >= 0) || (halo.lon !== undefined && !(halo.lon >= 0))) {
    throw new RangeError(`tile halo must be >= 0 degrees, got ${JSON.stringify(halo)}`);
  }
  const [w, s, e, n] = bbox;
  // A last sliver narrower than a millionth of a tile is folded into its neighbour.
  const count = (span: number) => Math.max(1, Math.ceil(span / size - 1e-6));
  const nx = count(e - w), ny = count(n - s);
  const edge = (lo: number, hi: number, i: number, k: number) =>
    i === k ? hi : Math.min(hi, lo + i * size);
  const tiles: Tile[] = [];
  for (let row = 0; row < ny; row++) {
    for (let col = 0; col < nx; col++) {
      const core: Bbox = [
        edge(w, e, col, nx),
        edge(s, n, row, ny),
        edge(w, e, col + 1, nx),
        edge(
          s,
          n,
          row + 1,
          ny,
        ),
      ];
      const maxAbsLat = Math.min(89, Math.max(Math.abs(core[1]), Math.abs(core[3])) + halo.lat);
      const lonHalo = halo.lon ?? halo.lat / Math.cos((maxAbsLat * Math.PI) / 180);
      tiles.push({
        key: `r${row}c${col}`,
        row,
        col,
        core,
        halo: [
          Math.max(w, core[0] - lonHalo),
          Math.max(s, core[1] - halo.lat),
          Math.min(e, core[2] + lonHalo),
          Math.min(n, core[3] + halo.lat),
        ],
        east: col === nx - 1,
        north: row === ny - 1,
      });
    }
  }
  return tiles;
}

/**
 * The nodes of a run's axis a tile's core owns: `[from, to)` indices of `axis` with
 * `lo <= x < hi`, or `lo <= x <= hi` for the last tile (`last`), with a tolerance of a
 * millionth of a cell so that a node on a tile edge belongs to exactly one tile.
 *
 * @param axis The run grid's node coordinates (strictly increasing).
 * @param lo Core's lower edge.
 * @param hi Core's upper edge.
 * @param last Whether the core is the last along this axis.
 * @param spacing Node spacing, degrees.
 *
 * @example Usage
 * ```ts
 * import { ownedRange } from "./tiles.ts";
 * const axis = Float64Array.from([0, 0.5, 1, 1.5, 2]);
 * ownedRange(axis, 0, 1, false, 0.5); // [0, 2]
 * ownedRange(axis, 1, 2, true, 0.5); // [2, 5]
 * ```
 */
export function ownedRange(
  axis: Float64Array,
  lo: number,
  hi: number,
  last: boolean,
  spacing: number,
): [number, number] {
  const tol = spacing * 1e-6;
  let from = 0;
  while (from < axis.length && axis[from] < lo - tol) from++;
  let to = from;
  while (to < axis.length && (last ? axis[to] <= hi + tol : axis[to] < hi - tol)) to++;
  return [from, to];
}

/** Stage ids that only look at a bounded neighbourhood, so they can run per tile. */
const LOCAL_STAGES = new Set(["outlier", "grid", "noise", "units", "normal-gravity", "bouguer"]);

/** A pipeline split into the part each tile runs and the part the mosaic runs. */
export interface SplitPlan {
  /** The trunk's leading local stages, up to and including the last `grid` among them. */
  tile: PipelinePlan;
  /** Everything else (whole-grid stages such as `qc`, spectral filters, the branches). */
  mosaic: PipelinePlan;
}

/**
 * Splits a pipeline for tiled execution: each tile runs the trunk's leading stages that only
 * look at a bounded neighbourhood, up to the first whole-grid stage; the mosaic runs the rest on
 * the stitched grid. The tile part must end in a grid (the mosaic stitches grids).
 *
 * @throws {RangeError} When the trunk has no `grid` stage before its first whole-grid stage, or
 *   a tiled `grid` stage has a projected `crs`.
 *
 * @example Usage
 * ```ts
 * import { splitPlan } from "./tiles.ts";
 * import { buildPipeline, defaultStageRegistry } from "../preprocessing/mod.ts";
 * const plan = buildPipeline("grid(method=nearest, spacing=0.1, radius=0.2) -> qc",
 *   defaultStageRegistry(), "1.0.0");
 * const { tile, mosaic } = splitPlan(plan); // tile [grid], mosaic [qc]
 * ```
 */
export function splitPlan(plan: PipelinePlan): SplitPlan {
  const stages = plan.root.stages;
  let cut = 0;
  while (cut < stages.length && LOCAL_STAGES.has(stages[cut].id)) cut++;
  // The tile part ends at its last grid stage: stages after it that are local still run per
  // tile (they are cheap to halo), but a tile part ending in points would have nothing to stitch.
  const lastGrid = stages.slice(0, cut).map((s) => s.id).lastIndexOf("grid");
  if (lastGrid === -1) {
    throw new RangeError(
      `the pipeline has no "grid" stage before its first whole-grid stage ` +
        `(${stages[cut]?.id ?? "end of the trunk"}): a queued run stitches tiles of gridded ` +
        `data, so the trunk must grid the points first`,
    );
  }
  for (const s of stages.slice(0, cut)) {
    const crs = s.id === "grid" ? (s.params as { crs?: string }).crs : undefined;
    if (crs !== undefined && crs !== "EPSG:4326") {
      throw new RangeError(
        `stage "grid" has crs ${JSON.stringify(crs)}: a queued run tiles and stitches ` +
          `EPSG:4326 grids only; remove the grid stage's crs parameter or run with gam run`,
      );
    }
  }
  const end = cut;
  return {
    tile: { version: plan.version, root: { stages: stages.slice(0, end), branches: [] } },
    mosaic: {
      version: plan.version,
      root: { stages: stages.slice(end), branches: plan.root.branches },
    },
  };
}

/** Overlap of the global solvers (linear, mincurv) past a tile's edge, in cells. */
export const GLOBAL_SOLVER_OVERLAP_CELLS = 16;

/**
 * The smallest halo the tile part of a pipeline needs, in degrees of latitude, with the reason:
 * the grid stage's reach (nearest/idw search radius, one cell for block reductions, the
 * distance mask), filter footprints (gaussian 4 sigma, median half size, in cells of the grid's
 * spacing) and, for linear and mincurv (global solves), {@linkcode GLOBAL_SOLVER_OVERLAP_CELLS}.
 *
 * @param stages The tile part's stages, in order.
 * @returns Degrees of latitude and the stage that sets them.
 * @throws {RangeError} For nearest or idw without a finite radius (every point is in reach:
 *   no halo makes a tile equal to the whole grid).
 *
 * @example Usage
 * ```ts
 * import { haloMinimum, splitPlan } from "./tiles.ts";
 * import { buildPipeline, defaultStageRegistry } from "../preprocessing/mod.ts";
 * const plan = buildPipeline("grid(method=idw, spacing=0.01, radius=0.05) -> qc",
 *   defaultStageRegistry(), "1.0.0");
 * haloMinimum(splitPlan(plan).tile.root.stages); // { degrees: 0.05, reason: "grid(idw) ..." }
 * ```
 */
export function haloMinimum(stages: readonly Stage[]): { degrees: number; reason: string } {
  let degrees = 0, reason = "no stage looks at neighbours";
  let spacing: number | undefined;
  const need = (d: number, why: string) => {
    if (d > degrees) [degrees, reason] = [d, why];
  };
  for (const stage of stages) {
    const p = stage.params as Record<string, unknown>;
    if (stage.id === "grid") {
      spacing = Number(p.spacing);
      const method = String(p.method ?? "block-mean");
      const maxDistance = typeof p.maxDistance === "number" ? p.maxDistance : undefined;
      if (method === "nearest" || method === "idw") {
        const radius = typeof p.radius === "number" ? p.radius : Infinity;
        if (!Number.isFinite(radius)) {
          throw new RangeError(
            `grid(method=${method}) has no finite radius, so every point is in reach of every ` +
              `node and no halo makes a tile equal to the whole grid: set grid(radius=DEGREES)`,
          );
        }
        need(radius, `grid(${method}) radius ${radius}°`);
      } else if (method === "linear" || method === "mincurv") {
        need(
          GLOBAL_SOLVER_OVERLAP_CELLS * spacing,
          `grid(${method}) overlap of ${GLOBAL_SOLVER_OVERLAP_CELLS} cells`,
        );
        if (p.maxDistance !== "off") {
          need(maxDistance ?? DEFAULT_MASK_CELLS * spacing, `grid(${method}) distance mask`);
        }
      } else {
        need(spacing, `grid(${method}) block of one cell`);
      }
      if (maxDistance !== undefined) need(maxDistance, `grid(${method}) maxDistance`);
    } else if (stage.id === "noise" && spacing !== undefined) {
      if (p.method === "median" && typeof p.size === "number") {
        need(Math.ceil(p.size / 2) * spacing, `noise(median) size ${p.size}`);
      } else if (typeof p.sigma === "number") {
        need(4 * p.sigma * spacing, `noise(gaussian) 4 sigma`);
      } else if (typeof p.wavelengthKm === "number") {
        need(p.wavelengthKm / KM_PER_DEGREE, `noise(gaussian) wavelength`);
      }
    }
  }
  return { degrees, reason };
}

/**
 * The halo a run's tiles use: the configured one (`execution.tile.halo`: auto, cells of
 * `spacing`, or km), raised to the pipeline's minimum when smaller, plus one cell; each tile
 * widens it in longitude (see {@linkcode HaloDegrees}).
 *
 * @param configured The configured halo.
 * @param minimum The pipeline's minimum, degrees of latitude (see {@linkcode haloMinimum}).
 * @param spacing Grid spacing, degrees (for a halo in cells).
 * @param _bbox The run's bbox (unused: the widening is per tile).
 * @returns The halo, and whether the configured value was raised.
 *
 * @example Usage
 * ```ts
 * import { effectiveHalo } from "./tiles.ts";
 * effectiveHalo({ unit: "cells", value: 2 }, 0.05, 0.01, [10, 0, 11, 1]).raised; // true
 * ```
 */
export function effectiveHalo(
  configured: ExecutionConfig["tile"]["halo"],
  minimum: number,
  spacing: number,
  _bbox: Bbox,
): { halo: HaloDegrees; raised: boolean; configuredDegrees: number | undefined } {
  const configuredDegrees = configured.unit === "auto"
    ? undefined
    : configured.unit === "cells"
    ? configured.value * spacing
    : configured.value / KM_PER_DEGREE;
  // One more cell than the reach: a point exactly at the reach of an edge node is kept.
  const lat = Math.max(configuredDegrees ?? 0, minimum) + spacing;
  return {
    halo: { lat },
    raised: configuredDegrees !== undefined && configuredDegrees < minimum,
    configuredDegrees,
  };
}
