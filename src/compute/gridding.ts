/**
 * Gridding scattered points on the worker pool: typed wrappers of the gam-core gridding kernels
 * (`grid_block`, `grid_nearest`, `grid_idw`, `grid_linear`, `grid_mincurv`,
 * `distance_to_nearest`).
 *
 * The output grid is split into row bands, one job each; a band gets only the points within the
 * method's reach of its rows (latitude +- radius, or +- one cell for block reduction), in their
 * original order. The kernels break distance ties by input order, so the stitched grid is
 * bit-identical whatever the number of workers or bands. Linear (one global triangulation) and
 * minimum curvature (one global solve) run as a single job.
 *
 * With `pool` null the kernels run on the calling thread instead (one wasm instance, loaded on
 * first use): the right choice for the block reductions (tens of milliseconds of compute) and
 * for linear and mincurv (one job anyway), where starting workers and copying the points to
 * them costs more time and memory than it saves; the results are the same bit for bit.
 *
 * Distances use the kernels' local metric in degrees of latitude:
 * `d^2 = ((lon_p - lon_node) * cos(lat_node))^2 + (lat_p - lat_node)^2`, so `radius` and
 * `maxDistance` are degrees of latitude (1 degree ~ 111.2 km) in every direction.
 *
 * With `crs` a projected CRS, the grid is a lattice of eastings and northings in metres and the
 * metric the planar one, through the same kernels (see {@linkcode GridPointsOptions.crs} and
 * {@linkcode projectedGridExtent}).
 *
 * @module
 */
// From the file rather than contracts/mod.ts, which loads zod: `gam grid` starts ~40 ms sooner.
import { type Bbox, checkBbox } from "../contracts/mod.ts";
import type { ProcessedGrid } from "../contracts/mod.ts";
import { ComputeError } from "./compute_error.ts";
import { callKernel, type KernelArgs } from "./kernels.ts";
import type { ComputeJob, WorkerPool } from "./pool.ts";
import { KM_PER_DEGREE } from "./arrays.ts";
import { bandsOf } from "./_checks.ts";
import { footprintDistance } from "./footprint.ts";
import { fromLonLat, isProjectedCrs, UnsupportedCrsError } from "../formats/mod.ts";

/**
 * Default distance mask of mincurv and linear, in node spacings: nodes farther than
 * `DEFAULT_MASK_CELLS * spacing` (degrees of latitude, local metric) from every point are NaN.
 * Three cells is the distance Verde's gridding examples give `distance_mask` and GMT users give
 * `surface -M3c`: it keeps the interpolation between flight lines up to six cells apart and cuts
 * extrapolation past a survey's edge.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_MASK_CELLS } from "./gridding.ts";
 * const maskDeg = DEFAULT_MASK_CELLS * 0.005; // 0.015 degrees at 0.005 degree spacing
 * ```
 */
export const DEFAULT_MASK_CELLS = 3;

/** The gam-core module instantiated on the calling thread (loaded on first use). */
type Core = typeof import("./wasm/gam_core.js");
let inlineCore: Promise<Core> | undefined;
function loadCore(): Promise<Core> {
  return inlineCore ??= import("./wasm/gam_core.js");
}

/** A Float64Array over a plain (transferable) ArrayBuffer. */
type F64 = Float64Array<ArrayBuffer>;

/** The gridding kernels (each returns a Float64Array). */
type GridKernel =
  | "grid_block"
  | "grid_nearest"
  | "grid_idw"
  | "grid_linear"
  | "grid_mincurv"
  | "distance_to_nearest";
/** The point columns of a gridding kernel's options (`lon`, `lat`, and `value`, `weight` if any). */
type PointKeys = "lon" | "lat" | "value" | "weight";

/**
 * The point options of `kernel` from a band's columns `[lon, lat, z?, weight?]`; `grid_block`
 * always gets a `weight` (empty: unweighted).
 */
function pointArgs(kernel: GridKernel, cols: F64[]): Record<string, F64> {
  const args: Record<string, F64> = { lon: cols[0], lat: cols[1] };
  if (cols.length > 2) args.value = cols[2];
  if (kernel === "grid_block") args.weight = cols[3] ?? new Float64Array(0);
  return args;
}

/**
 * The gridding methods.
 *
 * @example Usage
 * ```ts
 * import { GRID_METHODS } from "./gridding.ts";
 * GRID_METHODS.includes("idw"); // true
 * ```
 */
export const GRID_METHODS = [
  "block-mean",
  "block-median",
  "nearest",
  "idw",
  "linear",
  "mincurv",
] as const;

/**
 * A gridding method, see {@linkcode GRID_METHODS}.
 *
 * @example Usage
 * ```ts
 * import type { GridMethod } from "./gridding.ts";
 * const m: GridMethod = "block-median";
 * ```
 */
export type GridMethod = typeof GRID_METHODS[number];

/**
 * Scattered points: equal-length arrays; rows with a non-finite lon, lat or value are skipped.
 *
 * @example Usage
 * ```ts
 * import type { Points } from "./gridding.ts";
 * const p: Points = { lon: new Float64Array([10]), lat: new Float64Array([-1]), value: new Float64Array([5]) };
 * ```
 */
export interface Points {
  /** Longitudes, degrees. */
  lon: Float64Array;
  /** Latitudes, degrees. */
  lat: Float64Array;
  /** Values (any unit). */
  value: Float64Array;
  /** Optional weights (block-mean only; finite, >= 0). */
  weight?: Float64Array;
}

/**
 * Options of {@linkcode gridPoints}.
 *
 * @example Usage
 * ```ts
 * import type { GridPointsOptions } from "./gridding.ts";
 * const o: GridPointsOptions = { bbox: [10, -2, 12, 0], spacing: 0.01, method: "idw", k: 12 };
 * ```
 */
export interface GridPointsOptions {
  /** Output region `[minLon, minLat, maxLon, maxLat]`, degrees. */
  bbox: Bbox;
  /** Node spacing, degrees (> 0), the same along lon and lat. */
  spacing: number;
  /** The gridding method. */
  method: GridMethod;
  /**
   * `"gridline"`: nodes at `minLon + i * spacing` up to `maxLon` inclusive (10 to 14 at 0.01 is
   * 401 nodes); `"pixel"`: nodes at the centres of the cells that tile the bbox.
   * @default {"gridline"}
   */
  registration?: "gridline" | "pixel";
  /**
   * A larger region whose node layout the output's nodes are taken from: the nodes of
   * `frame`'s layout (same spacing and registration) that lie inside `bbox`, with the very same
   * coordinates, bit for bit. A tile of a queued run grids with the run's bbox as its frame, so
   * its nodes are the whole grid's nodes; the block, nearest and idw kernels then run on whole
   * rows of the frame (the tile's rows, only the points in reach of the tile), which makes the
   * tile's values bit-identical to the whole grid's wherever the tile holds every point within
   * reach. Linear and mincurv solve over the tile's own nodes.
   * @default {bbox}
   */
  frame?: Bbox;
  /**
   * Search radius, degrees (nearest, idw); `Infinity` for none.
   * @default {Infinity}
   */
  radius?: number;
  /**
   * Neighbours used by idw (integer >= 1).
   * @default {12}
   */
  k?: number;
  /**
   * Inverse distance power of idw (> 0).
   * @default {2}
   */
  power?: number;
  /**
   * Minimum neighbours within `radius` for an idw node to get a value (integer >= 1).
   * @default {1}
   */
  minPoints?: number;
  /**
   * Tension of minimum curvature, in [0, 1).
   * @default {0.25}
   */
  tension?: number;
  /**
   * Convergence limit of minimum curvature, data units; 0 for the automatic limit.
   * @default {0}
   */
  convergence?: number;
  /**
   * Maximum iterations of minimum curvature per grid level (integer >= 1).
   * @default {500}
   */
  maxIterations?: number;
  /**
   * Nodes farther than this from every point become NaN, degrees (> 0; `Infinity` masks
   * nothing); like Verde's `distance_mask` and GMT's `surface -M`. Unset: mincurv and linear,
   * which fill gaps and extrapolate, mask beyond {@linkcode DEFAULT_MASK_CELLS} cells
   * (`DEFAULT_MASK_CELLS * spacing`); the other methods mask nothing beyond their own reach
   * (a block, `radius`).
   * @default {DEFAULT_MASK_CELLS * spacing for mincurv and linear, Infinity otherwise}
   */
  maxDistance?: number;
  /**
   * Block methods: also return the `count` and `spread` planes.
   * @default {true}
   */
  blockStatistics?: boolean;
  /**
   * Largest number of grid nodes allowed (integer >= 1), checked before anything is allocated.
   * @default {DEFAULT_MAX_GRID_NODES}
   */
  maxCells?: number;
  /**
   * Number of row bands (jobs) for banded methods; does not change the result.
   * @default {4 * pool.size, or pool.size when every band needs all the points; 1 without a pool}
   */
  bands?: number;
  /**
   * Units of the values, stored in the grid.
   * @default {"unknown"}
   */
  units?: string;
  /** Cancels the gridding (running jobs have their workers terminated). */
  signal?: AbortSignal;
  /**
   * The grid's CRS. `"EPSG:4326"`: nodes on a longitude/latitude lattice, `spacing`, `radius`
   * and `maxDistance` in degrees (local metric above). A projected CRS of
   * `src/formats/crs.ts` (e.g. `"EPSG:32755"`, `"EPSG:28355"`): the points (still EPSG:4326)
   * are projected, the nodes lie on an easting/northing lattice in metres over the projected
   * `bbox` (its densified edges' extent, snapped outwards to whole multiples of `spacing`), and
   * `spacing`, `radius` and `maxDistance` are metres with the planar metric. Not with `frame`.
   * @default {"EPSG:4326"}
   */
  crs?: string;
}

/**
 * The result of {@linkcode gridPoints}.
 *
 * @example Usage
 * ```ts
 * import type { GridResult } from "./gridding.ts";
 * const nodes = (r: GridResult) => r.grid.lat.length * r.grid.lon.length;
 * ```
 */
export interface GridResult {
  /**
   * The grid: values Float64, NaN where the method has no support or beyond `maxDistance`;
   * `dataDistanceKm` holds its data footprint (distance from each node to the nearest point).
   */
  grid: ProcessedGrid;
  /** Nodes set to NaN by the distance mask (they had a value from the method). */
  maskedNodes: number;
  /** Block methods: number of points per block (NaN where empty), row-major like `values`. */
  count?: F64;
  /**
   * Block methods: standard deviation (block-mean) or L1 scale (block-median) per block, as
   * GMT `-E` reports them.
   */
  spread?: F64;
  /** Points inside the bbox (after skipping non-finite rows). */
  pointsInBbox: number;
  /**
   * What the caller should tell the user about a thin result, e.g. mincurv from fewer than
   * {@linkcode MIN_MINCURV_CELLS} distinct cells (the whole surface extrapolated from them).
   */
  warnings: string[];
  /** Rows skipped because lon, lat or value was not finite. */
  pointsSkipped: number;
}

/**
 * A gridding option is invalid; `option` names it (e.g. `"spacing"`).
 *
 * @example Usage
 * ```ts
 * import { GridOptionError, gridPoints } from "./gridding.ts";
 * const points = { lon: new Float64Array([0.5]), lat: new Float64Array([0.5]), value: new Float64Array([1]) };
 * try {
 *   await gridPoints(null, points, { bbox: [0, 0, 1, 1], spacing: -1, method: "nearest" });
 * } catch (e) {
 *   if (e instanceof GridOptionError) e.option; // "spacing"
 * }
 * ```
 */
export class GridOptionError extends RangeError {
  /** The option at fault, as named in {@linkcode GridPointsOptions}. */
  readonly option: string;
  /**
   * @param option The option at fault.
   * @param message What was received and what was expected.
   */
  constructor(option: string, message: string) {
    super(message);
    this.name = "GridOptionError";
    this.option = option;
  }
}

/**
 * No point lies inside the bbox (after skipping non-finite rows).
 *
 * @example Usage
 * ```ts
 * import { gridPoints, NoPointsError } from "./gridding.ts";
 * const points = { lon: new Float64Array([5]), lat: new Float64Array([5]), value: new Float64Array([1]) };
 * try {
 *   await gridPoints(null, points, { bbox: [0, 0, 1, 1], spacing: 0.5, method: "nearest" });
 * } catch (e) {
 *   if (e instanceof NoPointsError) e.message; // "no point lies inside the bbox [0, 0, 1, 1] ..."
 * }
 * ```
 */
export class NoPointsError extends RangeError {
  /** @param message What was received. */
  constructor(message: string) {
    super(message);
    this.name = "NoPointsError";
  }
}

/**
 * The points cannot support the method: linear interpolation needs at least 3 points that are
 * not all on one line (a triangulation); fewer leave every node without a value.
 *
 * @example Usage
 * ```ts
 * import { gridPoints, InsufficientPointsError } from "./gridding.ts";
 * const onePoint = { lon: new Float64Array([0.5]), lat: new Float64Array([0.5]), value: new Float64Array([1]) };
 * try {
 *   await gridPoints(null, onePoint, { bbox: [0, 0, 1, 1], spacing: 0.5, method: "linear" });
 * } catch (e) {
 *   if (e instanceof InsufficientPointsError) e.message; // "linear interpolation needs ..."
 * }
 * ```
 */
export class InsufficientPointsError extends RangeError {
  /** @param message What was received and what the method needs. */
  constructor(message: string) {
    super(message);
    this.name = "InsufficientPointsError";
  }
}

/**
 * The grid has no value at any node (all NaN): nothing is written, the run fails.
 *
 * @example Usage
 * ```ts
 * import { EmptyGridError, gridPoints } from "./gridding.ts";
 * const points = { lon: new Float64Array([0.3]), lat: new Float64Array([0.3]), value: new Float64Array([1]) };
 * const options = { bbox: [0, 0, 1, 1] as const, spacing: 0.5, method: "nearest" as const };
 * try {
 *   await gridPoints(null, points, { ...options, radius: 1e-9 });
 * } catch (e) {
 *   if (e instanceof EmptyGridError) e.message; // "the 3 x 3 grid has no value at any node ..."
 * }
 * ```
 */
export class EmptyGridError extends RangeError {
  /** @param message What was gridded and why no node has a value. */
  constructor(message: string) {
    super(message);
    this.name = "EmptyGridError";
  }
}

/**
 * Fewest distinct grid cells holding data below which minimum curvature warns: from 1 to 3
 * cells the whole surface is extrapolated from at most a plane's worth of data (one point
 * fills the grid with its value).
 *
 * @example Usage
 * ```ts
 * import { MIN_MINCURV_CELLS } from "./gridding.ts";
 * MIN_MINCURV_CELLS; // 4
 * ```
 */
export const MIN_MINCURV_CELLS = 4;

/** Whether the points hold 3 positions not on one line (stops at the first such triple). */
function hasTriangle(lon: Float64Array, lat: Float64Array): boolean {
  const n = lon.length;
  if (n < 3) return false;
  let i = 1;
  while (i < n && lon[i] === lon[0] && lat[i] === lat[0]) i++;
  if (i === n) return false;
  const dx = lon[i] - lon[0], dy = lat[i] - lat[0];
  for (let j = i + 1; j < n; j++) {
    if (dx * (lat[j] - lat[0]) - dy * (lon[j] - lon[0]) !== 0) return true;
  }
  return false;
}

/** Distinct grid cells holding points, counted up to `limit`. */
function distinctCells(kept: Kept, layout: GridLayout, limit: number): number {
  const seen = new Set<number>();
  const { lon, lat } = kept;
  for (let i = 0; i < lon.length && seen.size < limit; i++) {
    const c = Math.round((lon[i] - layout.west) / layout.spacing);
    const r = Math.round((lat[i] - layout.south) / layout.spacing);
    seen.add(r * (layout.nx + 2) + c);
  }
  return seen.size;
}

/**
 * The node layout of a grid.
 *
 * @example Usage
 * ```ts
 * import { gridLayout, type GridLayout } from "./gridding.ts";
 * const l: GridLayout = gridLayout([10, -1, 14, 1], 0.01, "gridline"); // l.nx === 401
 * ```
 */
export interface GridLayout {
  /** Longitude of the first node, degrees. */
  west: number;
  /** Latitude of the first (southern) node, degrees. */
  south: number;
  /** Node spacing, degrees. */
  spacing: number;
  /** Number of columns (longitudes). */
  nx: number;
  /** Number of rows (latitudes). */
  ny: number;
  /** Node longitudes `west + i * spacing`. */
  lon: F64;
  /** Node latitudes `south + j * spacing`. */
  lat: F64;
}

/** Relative tolerance (of one cell) for bbox spans that should be whole multiples of spacing. */
const SPAN_EPS = 1e-6;

/**
 * Default largest grid, in nodes (50,000,000: 400 MB of Float64 values, 200 MB as Float32).
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_MAX_GRID_NODES } from "./gridding.ts";
 * DEFAULT_MAX_GRID_NODES; // 50000000
 * ```
 */
export const DEFAULT_MAX_GRID_NODES = 50_000_000;

/**
 * The node counts of a grid over `bbox` at `spacing` degrees, computed arithmetically (in
 * floating point, so an absurd spacing gives a huge or infinite count rather than a wrapped or
 * rounded one) and checked against `maxNodes` before anything is allocated. Every entry point
 * that makes a grid calls this first: {@linkcode gridLayout} (so `gam grid` and the pipeline's
 * `grid` stage), and the pipeline check made before a run starts.
 *
 * @param bbox A checked bbox `[minLon, minLat, maxLon, maxLat]`, degrees.
 * @param spacing Node spacing, degrees: finite and > 0.
 * @param registration `"gridline"` or `"pixel"` (see {@linkcode GridPointsOptions}).
 * @param maxNodes Largest number of nodes allowed. @default DEFAULT_MAX_GRID_NODES
 * @throws {GridOptionError} `option` `"spacing"` for a spacing that is not a finite number > 0
 *   or larger than the bbox (pixel registration); `"maxCells"` when the grid has more than
 *   `maxNodes` nodes.
 *
 * @example Usage
 * ```ts
 * import { gridShape } from "./gridding.ts";
 * gridShape([10, -1, 14, 1], 0.01, "gridline"); // { nx: 401, ny: 201 }
 * ```
 */
export function gridShape(
  bbox: Bbox,
  spacing: number,
  registration: "gridline" | "pixel",
  maxNodes: number = DEFAULT_MAX_GRID_NODES,
): { nx: number; ny: number } {
  checkSpacing(spacing);
  const [minLon, minLat, maxLon, maxLat] = bbox;
  const extra = registration === "pixel" ? 0 : 1;
  // Floats throughout: span / spacing may be 1e300 or Infinity, and must stay that large.
  const nx = Math.floor((maxLon - minLon) / spacing + SPAN_EPS) + extra;
  const ny = Math.floor((maxLat - minLat) / spacing + SPAN_EPS) + extra;
  if (nx < 1 || ny < 1) {
    throw new GridOptionError(
      "spacing",
      `spacing ${spacing} degrees is larger than the bbox ` +
        `(${maxLon - minLon} x ${maxLat - minLat} degrees): no pixel-registered cell fits`,
    );
  }
  const nodes = nx * ny;
  if (!(nodes <= maxNodes)) {
    throw new GridOptionError(
      "maxCells",
      `the grid would have ${ny} x ${nx} = ${nodes} nodes, above the limit of ` +
        `${maxNodes}; use a larger spacing or a smaller bbox`,
    );
  }
  return { nx, ny };
}

/**
 * The node layout for `bbox` at `spacing` degrees. Gridline: nodes at `minLon + i * spacing`
 * up to `maxLon` inclusive, tolerating float rounding of one millionth of a cell (10 to 14 at
 * 0.01 is 401 nodes); pixel: the centres of the whole cells that tile the bbox.
 *
 * @throws {GridOptionError} when the bbox holds no pixel-registered cell, or the grid has more
 *   than `maxNodes` nodes (see {@linkcode gridShape}).
 *
 * @example Usage
 * ```ts
 * import { gridLayout } from "./gridding.ts";
 * gridLayout([10, -1, 14, 1], 0.01, "gridline").nx; // 401
 * ```
 */
export function gridLayout(
  bbox: Bbox,
  spacing: number,
  registration: "gridline" | "pixel",
  maxNodes: number = DEFAULT_MAX_GRID_NODES,
): GridLayout {
  // Counted and checked before the axes are allocated.
  const { nx, ny } = gridShape(bbox, spacing, registration, maxNodes);
  const half = registration === "pixel" ? spacing / 2 : 0;
  const west = bbox[0] + half, south = bbox[1] + half;
  return {
    west,
    south,
    spacing,
    nx,
    ny,
    lon: Float64Array.from({ length: nx }, (_, i) => west + i * spacing),
    lat: Float64Array.from({ length: ny }, (_, j) => south + j * spacing),
  };
}

/** Where a window's nodes sit in its frame's layout. */
interface FrameWindow {
  west: number;
  south: number;
  nx: number;
  ny: number;
  row0: number;
  col0: number;
}

/**
 * The node layout of `bbox`, or, with a `frame`, the frame's nodes inside `bbox` (their
 * coordinates copied from the frame's axes) and where they sit in the frame.
 */
function framedLayout(
  bbox: Bbox,
  frameBbox: Bbox | undefined,
  spacing: number,
  registration: "gridline" | "pixel",
  maxCells: number,
): { layout: GridLayout; frame?: FrameWindow } {
  if (frameBbox === undefined) return { layout: gridLayout(bbox, spacing, registration, maxCells) };
  const f = gridLayout(checkBbox(frameBbox), spacing, registration, Infinity);
  const tol = spacing * 1e-6;
  const first = (axis: Float64Array, lo: number) => {
    let i = 0;
    while (i < axis.length && axis[i] < lo - tol) i++;
    return i;
  };
  const last = (axis: Float64Array, hi: number) => {
    let i = axis.length - 1;
    while (i >= 0 && axis[i] > hi + tol) i--;
    return i + 1;
  };
  const c0 = first(f.lon, bbox[0]), c1 = last(f.lon, bbox[2]);
  const r0 = first(f.lat, bbox[1]), r1 = last(f.lat, bbox[3]);
  if (c1 <= c0 || r1 <= r0) {
    throw new GridOptionError(
      "frame",
      `no node of the frame [${frameBbox.join(", ")}] at ${spacing} degrees lies inside the bbox ` +
        `[${bbox.join(", ")}]`,
    );
  }
  const nx = c1 - c0, ny = r1 - r0;
  if (nx * ny > maxCells) {
    throw new GridOptionError(
      "maxCells",
      `the grid would have ${nx} x ${ny} = ${nx * ny} nodes, above maxCells (${maxCells})`,
    );
  }
  return {
    layout: {
      west: f.lon[c0],
      south: f.lat[r0],
      spacing,
      nx,
      ny,
      lon: f.lon.slice(c0, c1),
      lat: f.lat.slice(r0, r1),
    },
    frame: { west: f.west, south: f.south, nx: f.nx, ny: f.ny, row0: r0, col0: c0 },
  };
}

interface Checked {
  bbox: Bbox;
  spacing: number;
  method: GridMethod;
  registration: "gridline" | "pixel";
  radius: number;
  k: number;
  power: number;
  minPoints: number;
  tension: number;
  convergence: number;
  maxIterations: number;
  maxDistance: number;
  maxCells: number;
  bands?: number;
  blockStatistics: boolean;
  units: string;
}

function checkOptions(o: GridPointsOptions): Checked {
  const num = (
    name: string,
    v: unknown,
    dflt: number,
    ok: (x: number) => boolean,
    expected: string,
  ): number => {
    if (v === undefined) return dflt;
    if (typeof v !== "number" || Number.isNaN(v) || !ok(v)) {
      throw new GridOptionError(name, `${name} must be ${expected}, got ${String(v)}`);
    }
    return v;
  };
  const isInt = (x: number) => Number.isInteger(x) && x >= 1;
  if (!GRID_METHODS.includes(o.method)) {
    throw new GridOptionError(
      "method",
      `method must be one of ${GRID_METHODS.join(", ")}, got ${JSON.stringify(o.method)}`,
    );
  }
  const registration = o.registration ?? "gridline";
  if (registration !== "gridline" && registration !== "pixel") {
    throw new GridOptionError(
      "registration",
      `registration must be "gridline" or "pixel", got ${JSON.stringify(registration)}`,
    );
  }
  checkSpacing(o.spacing);
  const units = o.units ?? "unknown";
  if (typeof units !== "string" || units === "") {
    throw new GridOptionError("units", `units must be a non-empty string, got ${String(units)}`);
  }
  const checked: Checked = {
    bbox: checkBbox(o.bbox, "bbox"),
    spacing: o.spacing,
    method: o.method,
    registration,
    radius: num("radius", o.radius, Infinity, (x) => x > 0, "> 0 degrees (or Infinity)"),
    k: num("k", o.k, 12, isInt, "an integer >= 1"),
    power: num("power", o.power, 2, (x) => x > 0 && Number.isFinite(x), "a number > 0"),
    minPoints: num("minPoints", o.minPoints, 1, isInt, "an integer >= 1"),
    tension: num("tension", o.tension, 0.25, (x) => x >= 0 && x < 1, "in [0, 1)"),
    convergence: num(
      "convergence",
      o.convergence,
      0,
      (x) => x >= 0 && Number.isFinite(x),
      ">= 0 (0 = automatic)",
    ),
    maxIterations: num("maxIterations", o.maxIterations, 500, isInt, "an integer >= 1"),
    maxDistance: num(
      "maxDistance",
      o.maxDistance,
      o.method === "mincurv" || o.method === "linear" ? DEFAULT_MASK_CELLS * o.spacing : Infinity,
      (x) => x > 0,
      "a number > 0 degrees (Infinity: no mask)",
    ),
    maxCells: num("maxCells", o.maxCells, DEFAULT_MAX_GRID_NODES, isInt, "an integer >= 1"),
    bands: o.bands === undefined ? undefined : num("bands", o.bands, 1, isInt, "an integer >= 1"),
    blockStatistics: o.blockStatistics ?? true,
    units,
  };
  // Valid values first, then whether the method uses them (a value it ignores is a mistake).
  for (const [name, methods] of Object.entries(METHOD_OPTIONS)) {
    if (o[name as keyof GridPointsOptions] !== undefined && !methods.includes(o.method)) {
      throw new GridOptionError(
        name,
        `${name} applies to ${methods.join(" and ")}, not to ${o.method}`,
      );
    }
  }
  return checked;
}

/** The options that only some methods use. */
const METHOD_OPTIONS: Record<string, readonly GridMethod[]> = {
  radius: ["nearest", "idw"],
  k: ["idw"],
  power: ["idw"],
  minPoints: ["idw"],
  tension: ["mincurv"],
  convergence: ["mincurv"],
  maxIterations: ["mincurv"],
};

/** The one check of a node spacing. */
function checkSpacing(spacing: unknown): asserts spacing is number {
  if (typeof spacing !== "number" || !Number.isFinite(spacing) || spacing <= 0) {
    throw new GridOptionError(
      "spacing",
      `spacing must be a finite number > 0 degrees, got ${String(spacing)}`,
    );
  }
}

/**
 * Checks gridding options without gridding: every option's value, the options the method does
 * not use, and the grid's size against `maxCells` (as {@linkcode gridPoints} does first). For
 * entry points that want to refuse a command before reading its input (`gam grid`).
 *
 * @param options The options {@linkcode gridPoints} will get.
 * @returns The grid's node counts.
 * @throws {GridOptionError} naming the option.
 *
 * @example Usage
 * ```ts
 * import { checkGridOptions } from "./gridding.ts";
 * checkGridOptions({ bbox: [10, -1, 14, 1], spacing: 0.01, method: "idw", k: 8 }); // { nx: 401, ny: 201 }
 * ```
 */
export function checkGridOptions(options: GridPointsOptions): { nx: number; ny: number } {
  const crs = options.crs ?? GEOGRAPHIC_CRS;
  if (crs !== GEOGRAPHIC_CRS) checkProjectedCrs(options, crs);
  const o = checkOptions(options);
  const region = crs === GEOGRAPHIC_CRS ? o.bbox : projectedGridExtent(o.bbox, crs, o.spacing);
  return gridShape(region, o.spacing, o.registration, o.maxCells);
}

/** Points kept after dropping non-finite rows and those that cannot reach the grid. */
interface Kept {
  lon: F64;
  lat: F64;
  value: F64;
  weight?: F64;
  inBbox: number;
  skipped: number;
}

function checkPoints(points: Points): void {
  for (const name of ["lon", "lat", "value"] as const) {
    if (!(points[name] instanceof Float64Array)) {
      throw new GridOptionError("points", `points.${name} must be a Float64Array`);
    }
  }
  const n = points.lon.length;
  for (const name of ["lat", "value", "weight"] as const) {
    const a = points[name];
    if (a === undefined) continue;
    if (!(a instanceof Float64Array)) {
      throw new GridOptionError("points", `points.${name} must be a Float64Array`);
    }
    if (a.length !== n) {
      throw new GridOptionError(
        "points",
        `points.${name} has ${a.length} values but points.lon has ${n}`,
      );
    }
  }
}

/**
 * Keeps the finite rows whose position is within `margin` degrees (metric above) of the grid's
 * node rectangle, in their original order.
 */
function keepPoints(points: Points, layout: GridLayout, bbox: Bbox, margin: number): Kept {
  const { lon, lat, value, weight } = points;
  const n = lon.length;
  const east = layout.west + (layout.nx - 1) * layout.spacing;
  const north = layout.south + (layout.ny - 1) * layout.spacing;
  const pad = margin * (1 + 1e-9) + 1e-12;
  const latLo = layout.south - pad, latHi = north + pad;
  // |dlon| * cos(lat_node) <= d <= margin, with cos(lat_node) >= cos of the largest |lat|.
  const maxAbsLat = Math.min(90, Math.max(Math.abs(latLo), Math.abs(latHi)));
  const cosMin = Math.cos((maxAbsLat * Math.PI) / 180);
  const lonPad = Number.isFinite(pad) && cosMin > 1e-6 ? pad / cosMin : Infinity;
  const lonLo = layout.west - lonPad, lonHi = east + lonPad;
  const idx = new Uint32Array(n);
  let m = 0, inBbox = 0, skipped = 0;
  for (let i = 0; i < n; i++) {
    const x = lon[i], y = lat[i], v = value[i];
    if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(v)) {
      skipped++;
      continue;
    }
    if (weight !== undefined && !(weight[i] >= 0 && Number.isFinite(weight[i]))) {
      throw new GridOptionError(
        "points",
        `points.weight[${i}] must be a finite number >= 0, got ${weight[i]}`,
      );
    }
    if (x >= bbox[0] && x <= bbox[2] && y >= bbox[1] && y <= bbox[3]) inBbox++;
    if (y >= latLo && y <= latHi && x >= lonLo && x <= lonHi) idx[m++] = i;
  }
  const pick = (a: Float64Array) => {
    if (m === n && a.buffer instanceof ArrayBuffer) return a as F64; // nothing dropped: no copy
    const out = new Float64Array(m);
    for (let j = 0; j < m; j++) out[j] = a[idx[j]];
    return out;
  };
  return {
    lon: pick(lon),
    lat: pick(lat),
    value: pick(value),
    weight: weight ? pick(weight) : undefined,
    inBbox,
    skipped,
  };
}

/** Band [r0, r1): the kept points within `margin` (latitude) of its rows, in original order. */
function bandPoints(
  kept: Kept,
  layout: GridLayout,
  r0: number,
  r1: number,
  margin: number,
  withValue: boolean,
  copy: boolean,
): F64[] {
  const cols = [kept.lon, kept.lat];
  if (withValue) cols.push(kept.value);
  if (withValue && kept.weight) cols.push(kept.weight);
  if (!Number.isFinite(margin)) return copy ? cols.map((c) => c.slice()) : cols;
  const pad = margin * (1 + 1e-9) + 1e-12;
  const lo = layout.south + r0 * layout.spacing - pad;
  const hi = layout.south + (r1 - 1) * layout.spacing + pad;
  const lat = kept.lat;
  let m = 0;
  for (let i = 0; i < lat.length; i++) if (lat[i] >= lo && lat[i] <= hi) m++;
  if (m === lat.length && !copy) return cols;
  const out = cols.map(() => new Float64Array(m));
  let j = 0;
  for (let i = 0; i < lat.length; i++) {
    if (lat[i] >= lo && lat[i] <= hi) {
      for (let c = 0; c < cols.length; c++) out[c][j] = cols[c][i];
      j++;
    }
  }
  return out;
}

/**
 * Grids scattered points onto a regular lon/lat grid (or, with `options.crs`, a projected
 * easting/northing grid in metres) with the worker pool.
 *
 * Validates every option first (throwing {@linkcode GridOptionError} naming it), computes the
 * node layout (see {@linkcode gridLayout}) and refuses grids larger than `maxCells`, skips rows
 * with a non-finite lon, lat or value, throws {@linkcode NoPointsError} when no point lies in
 * the bbox, runs the method in row bands across the pool (one job for linear and mincurv; the
 * mincurv kernel starts with a block median as GMT advises), and finally masks nodes farther
 * than `maxDistance` from every point.
 *
 * @param pool The worker pool, or `null` to run the kernels on the calling thread (it is blocked
 *   while a kernel runs, and `signal` is only checked between kernels).
 * @param points Scattered points.
 * @param options Region, spacing, method and its parameters.
 * @returns The grid (values Float64, NaN nodata) with block count/spread planes.
 * @throws {GridOptionError} for an invalid option or a grid above `maxCells`.
 * @throws {NoPointsError} when no point lies in the bbox.
 * @throws {InsufficientPointsError} for linear without 3 points off one line.
 * @throws {EmptyGridError} when no node gets a value (all NaN).
 * @throws {ComputeError} when a kernel fails.
 *
 * @example Usage
 * ```ts
 * import { gridPoints } from "./gridding.ts";
 * import { WorkerPool } from "./mod.ts";
 * await using pool = new WorkerPool({ size: 1 });
 * const lon = new Float64Array([-42.9, -42.5, -42.1, -42.6]);
 * const lat = new Float64Array([-22.9, -22.4, -22.2, -22.7]);
 * const value = new Float64Array([10, 12, 11, 13]);
 * const { grid } = await gridPoints(pool, { lon, lat, value }, {
 *   bbox: [-43, -23, -42, -22], spacing: 0.1, method: "idw", radius: 0.5, k: 3, units: "mGal",
 * });
 * grid.values.length; // 121 (11 x 11 nodes)
 * ```
 */
export function gridPoints(
  pool: WorkerPool | null,
  points: Points,
  options: GridPointsOptions,
): Promise<GridResult> {
  const crs = options.crs ?? GEOGRAPHIC_CRS;
  if (crs === GEOGRAPHIC_CRS) return gridLattice(pool, points, options, KM_PER_DEGREE);
  return gridProjected(pool, points, options, crs);
}

/**
 * Grids on the lattice of `options` (degrees, or the scaled metres of
 * {@linkcode gridProjected}); `kmPerUnit` turns the kernels' distances into km.
 */
async function gridLattice(
  pool: WorkerPool | null,
  points: Points,
  options: GridPointsOptions,
  kmPerUnit: number,
): Promise<GridResult> {
  const o = checkOptions(options);
  checkPoints(points);
  if (points.weight !== undefined && o.method !== "block-mean") {
    throw new GridOptionError(
      "points",
      `points.weight is only used by block-mean, not by ${o.method}`,
    );
  }
  const { layout, frame } = framedLayout(
    o.bbox,
    options.frame,
    o.spacing,
    o.registration,
    o.maxCells,
  );
  const cells = layout.nx * layout.ny;
  const isBlock = o.method === "block-mean" || o.method === "block-median";
  // How far a point can be from a node and still matter for that node.
  const reach = isBlock
    ? o.spacing
    : o.method === "nearest" || o.method === "idw"
    ? o.radius
    : o.method === "mincurv"
    ? o.spacing
    : Infinity;
  const kept = keepPoints(points, layout, o.bbox, reach);
  if (kept.inBbox === 0) {
    throw new NoPointsError(
      `no point lies inside the bbox [${o.bbox.join(", ")}] (${points.lon.length} points read` +
        (kept.skipped ? `, ${kept.skipped} skipped as non-finite` : "") + ")",
    );
  }

  const controller = new AbortController();
  const signal = options.signal === undefined
    ? controller.signal
    : AbortSignal.any([controller.signal, options.signal!]);
  // The banded kernels run on whole rows of the frame (its spec, rows offset by the window's
  // first row) and their output is cropped to the window's columns: node coordinates are then
  // computed exactly as for the whole frame. The global solvers use the window's own spec.
  const spec = () =>
    new Float64Array([layout.west, layout.south, o.spacing, o.spacing, layout.nx, layout.ny]);
  const bandSpec = () =>
    frame === undefined
      ? spec()
      : new Float64Array([frame.west, frame.south, o.spacing, o.spacing, frame.nx, frame.ny]);
  const rowOff = frame?.row0 ?? 0, colOff = frame?.col0 ?? 0;
  const widthOf = frame?.nx ?? layout.nx;
  /** A kernel's rows `[r0, r1)` x the frame's width, one plane, cropped to the window. */
  const crop = (res: F64, rows: number, planes: number): F64 => {
    if (frame === undefined) return res;
    const out = new Float64Array(rows * layout.nx * planes);
    for (let p = 0; p < planes; p++) {
      for (let r = 0; r < rows; r++) {
        const from = p * rows * widthOf + r * widthOf + colOff;
        out.set(res.subarray(from, from + layout.nx), p * rows * layout.nx + r * layout.nx);
      }
    }
    return out;
  };
  const core = pool === null ? await loadCore() : undefined;
  const run = <K extends GridKernel>(
    kernel: K,
    args: KernelArgs<K>,
    transfer: F64[],
  ): Promise<F64> => {
    if (core !== undefined) {
      if (signal.aborted) return Promise.reject(signal.reason);
      try {
        return Promise.resolve(callKernel(core, kernel, args) as F64);
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        return Promise.reject(new ComputeError(kernel, err.message, { cause: e }));
      }
    }
    return pool!.run({ kernel, args }, {
      signal,
      transfer: transfer.map((a) => a.buffer),
    }).catch((e) => {
      controller.abort(e);
      throw e;
    }) as Promise<F64>;
  };
  const workers = pool?.size ?? 1;
  // Several bands per worker balance uneven point density; when every band needs all the points
  // (unlimited reach) one band per worker avoids copying them more often than needed. On the
  // calling thread one band takes the points as they are, without a copy.
  const bandCount = o.bands ?? (pool === null ? 1 : (Number.isFinite(reach) ? 4 : 1) * workers);
  const bands = bandsOf(layout.ny, bandCount);

  /** Runs a banded kernel and stitches its planes (each band returns `planes` planes). */
  const banded = async <K extends GridKernel>(
    kernel: K,
    margin: number,
    withValue: boolean,
    extra: (r0: number, r1: number) => Omit<KernelArgs<K>, PointKeys>,
    planes: number,
  ): Promise<F64[]> => {
    const argsOf = (cols: F64[], r0: number, r1: number) =>
      ({ ...pointArgs(kernel, cols), ...extra(r0, r1) }) as unknown as KernelArgs<K>;
    if (bands.length === 1 && bands[0][1] - bands[0][0] === layout.ny) {
      // One band over the whole grid: its planes are the result, no stitching copy.
      const cols = bandPoints(kept, layout, 0, layout.ny, margin, withValue, pool !== null);
      if (cols[0].length > 0) {
        const res = crop(
          await run(kernel, argsOf(cols, rowOff, rowOff + layout.ny), cols),
          layout.ny,
          planes,
        );
        if (res.length !== cells * planes) {
          throw new Error(`${kernel} returned ${res.length} values for ${cells * planes}`);
        }
        return Array.from({ length: planes }, (_, p) => res.subarray(p * cells, (p + 1) * cells));
      }
    }
    const out = Array.from({ length: planes }, () => new Float64Array(cells));
    // At most pool.size + 1 bands in flight: a band's point subset is built only when a worker
    // is about to be free, so the copies of all bands never live at once.
    let next = 0;
    const runner = async () => {
      while (next < bands.length) await oneBand(bands[next++]);
    };
    const oneBand = async ([r0, r1]: [number, number]) => {
      const cols = bandPoints(kept, layout, r0, r1, margin, withValue, pool !== null);
      const rows = (r1 - r0) * layout.nx;
      if (cols[0].length === 0) {
        // No point within reach of this band: every node has no support (NaN in every plane,
        // as the kernels report empty blocks), or is infinitely far from the points.
        const fill = kernel === "distance_to_nearest" ? Infinity : NaN;
        for (const plane of out) plane.fill(fill, r0 * layout.nx, r0 * layout.nx + rows);
        return;
      }
      const res = crop(
        await run(kernel, argsOf(cols, r0 + rowOff, r1 + rowOff), cols),
        r1 - r0,
        planes,
      );
      if (res.length !== rows * planes) {
        throw new Error(`${kernel} returned ${res.length} values for ${rows * planes}`);
      }
      for (let p = 0; p < out.length; p++) {
        out[p].set(res.subarray(p * rows, (p + 1) * rows), r0 * layout.nx);
      }
    };
    await Promise.all(Array.from({ length: Math.min(bands.length, workers + 1) }, runner));
    return out;
  };

  let values: F64;
  let count: F64 | undefined, spread: F64 | undefined;
  const warnings: string[] = [];
  switch (o.method) {
    case "block-mean":
    case "block-median": {
      const median = o.method === "block-median";
      const statistics = o.blockStatistics;
      [values, spread, count] = await banded(
        "grid_block",
        o.spacing,
        true,
        (row0, row1) => ({ spec: bandSpec(), row0, row1, median, statistics }),
        statistics ? 3 : 1,
      );
      break;
    }
    case "nearest":
      [values] = await banded("grid_nearest", o.radius, true, (row0, row1) => ({
        spec: bandSpec(),
        row0,
        row1,
        radius: o.radius,
      }), 1);
      break;
    case "idw":
      [values] = await banded("grid_idw", o.radius, true, (row0, row1) => ({
        spec: bandSpec(),
        row0,
        row1,
        k: o.k,
        power: o.power,
        radius: o.radius,
        minPoints: o.minPoints,
      }), 1);
      break;
    case "linear": {
      if (!hasTriangle(kept.lon, kept.lat)) {
        throw new InsufficientPointsError(
          `linear interpolation needs at least 3 points not all on one line (a triangle); ` +
            `the ${kept.lon.length} point(s) in reach ` +
            (kept.lon.length < 3 ? "are too few" : "are identical or collinear") +
            `: use nearest, idw or block-mean, or more data`,
        );
      }
      const cols = [kept.lon, kept.lat, kept.value].map((a) => pool ? a.slice() : a);
      const [lon, lat, value] = cols;
      values = await run(
        "grid_linear",
        { lon, lat, value, spec: spec(), row0: 0, row1: layout.ny },
        cols,
      );
      break;
    }
    case "mincurv": {
      const cellsWithData = distinctCells(kept, layout, MIN_MINCURV_CELLS);
      if (cellsWithData < MIN_MINCURV_CELLS) {
        warnings.push(
          `mincurv from data in ${cellsWithData} grid cell(s) (fewer than ` +
            `${MIN_MINCURV_CELLS}): the whole ${layout.ny} x ${layout.nx} surface is ` +
            `extrapolated from them`,
        );
      }
      // One global solve; the kernel starts with GMT's block median (median z and median
      // position per block), as GMT advises before `surface`.
      const cols = [kept.lon, kept.lat, kept.value].map((a) => pool ? a.slice() : a);
      const [lon, lat, value] = cols;
      values = await run("grid_mincurv", {
        lon,
        lat,
        value,
        spec: spec(),
        tension: o.tension,
        convergence: o.convergence,
        maxIterations: o.maxIterations,
      }, cols);
      break;
    }
  }

  // The data footprint: distance from every node to the nearest point, by a distance transform
  // (footprint.ts; within a cell of exact). An explicit maxDistance masks by the exact k-d tree
  // distances as before, which also replace the transform's where they are finite.
  const dist = await footprintDistance(kept.lon, kept.lat, layout);
  if (options.maxDistance !== undefined && Number.isFinite(o.maxDistance)) {
    const [exact] = await banded(
      "distance_to_nearest",
      o.maxDistance,
      false,
      (row0, row1) => ({ spec: bandSpec(), row0, row1 }),
      1,
    );
    for (let i = 0; i < cells; i++) if (Number.isFinite(exact[i])) dist[i] = exact[i];
  }
  const dataDistanceKm = new Float32Array(cells);
  let maskedNodes = 0;
  for (let i = 0; i < cells; i++) {
    dataDistanceKm[i] = dist[i] * kmPerUnit;
    if (!(dist[i] <= o.maxDistance)) {
      if (values![i] === values![i]) maskedNodes++;
      values![i] = NaN;
      if (spread) spread[i] = NaN;
      if (count) count[i] = NaN;
    }
  }
  // Released now (see footprint.ts): the output's km copy is what the grid keeps.
  dist.buffer.transfer(0);

  let withValue = 0;
  for (let i = 0; i < cells && withValue === 0; i++) if (values![i] === values![i]) withValue++;
  if (withValue === 0) {
    throw new EmptyGridError(
      `the ${layout.ny} x ${layout.nx} grid has no value at any node (${o.method} from ` +
        `${kept.inBbox} point(s) in the bbox` +
        (Number.isFinite(o.maxDistance) ? `, maxDistance ${o.maxDistance}` : "") +
        (Number.isFinite(o.radius) && (o.method === "nearest" || o.method === "idw")
          ? `, radius ${o.radius}`
          : "") +
        "); nothing written",
    );
  }

  const params: Record<string, unknown> = {
    method: o.method,
    bbox: [...o.bbox],
    spacing: o.spacing,
    registration: o.registration,
  };
  if (o.method === "nearest" || o.method === "idw") {
    params.radius = Number.isFinite(o.radius) ? o.radius : "Infinity";
  }
  if (o.method === "idw") Object.assign(params, { k: o.k, power: o.power, minPoints: o.minPoints });
  if (o.method === "mincurv") {
    Object.assign(params, {
      tension: o.tension,
      convergence: o.convergence,
      maxIterations: o.maxIterations,
    });
  }
  params.maxDistance = Number.isFinite(o.maxDistance) ? o.maxDistance : "Infinity";
  params.maskedNodes = maskedNodes;
  const grid: ProcessedGrid = {
    lat: layout.lat,
    lon: layout.lon,
    values: values!,
    units: o.units,
    crs: "EPSG:4326",
    resolution: { lon: o.spacing, lat: o.spacing },
    registration: o.registration,
    bbox: o.bbox,
    dataDistanceKm,
    provenance: [{ step: "grid", version: GRIDDING_VERSION, params }],
  };
  return {
    grid,
    maskedNodes,
    count,
    spread,
    pointsInBbox: kept.inBbox,
    pointsSkipped: kept.skipped,
    warnings,
  };
}

/** The CRS of a longitude/latitude grid (the default). */
const GEOGRAPHIC_CRS = "EPSG:4326";

/**
 * Largest |latitude| (degrees) of the kernels' scaled lattice: below 2^-27 radians (6e-7
 * degrees) the cosine of the kernels' metric is exactly 1 (fdlibm and musl return 1.0 there),
 * so their local metric is the planar one.
 */
const PLANAR_LAT = 4e-7;

/** Segments per bbox edge when projecting its outline. */
const EDGE_SEGMENTS = 64;

/** Checks `crs` is a projected CRS of `src/formats/crs.ts` usable for a grid. */
function checkProjectedCrs(options: GridPointsOptions, crs: string): void {
  try {
    if (!isProjectedCrs(crs)) throw new UnsupportedCrsError(crs);
  } catch (e) {
    if (e instanceof UnsupportedCrsError) throw new GridOptionError("crs", e.message);
    throw e;
  }
  if (options.frame !== undefined) {
    throw new GridOptionError(
      "crs",
      `crs ${JSON.stringify(crs)} cannot be used with a frame (the tiles of a queued run); ` +
        `grid in EPSG:4326 or run the job as one piece`,
    );
  }
}

/**
 * The extent in metres of a grid in the projected `crs` over the EPSG:4326 `bbox`: the
 * rectangle around the bbox's outline (each edge projected at 64 points), snapped outwards to
 * whole multiples of `spacing`, as `[minX, minY, maxX, maxY]`. Gridline nodes lie on its edges,
 * pixel nodes at the centres of the cells that tile it.
 *
 * @param bbox `[minLon, minLat, maxLon, maxLat]`, degrees.
 * @param crs A projected CRS, `"EPSG:<code>"`.
 * @param spacing Node spacing, metres (> 0).
 * @throws {GridOptionError} `option` `"crs"` for a CRS that is not a supported projected one.
 *
 * @example Usage
 * ```ts
 * import { projectedGridExtent } from "./gridding.ts";
 * projectedGridExtent([146.5, -37.9, 146.6, -37.8], "EPSG:28355", 100); // [455900, 5805100, 464900, 5816300]
 * ```
 */
export function projectedGridExtent(
  bbox: Bbox,
  crs: string,
  spacing: number,
): [number, number, number, number] {
  checkSpacing(spacing);
  const [w, so, e, n] = checkBbox(bbox, "bbox");
  checkProjectedCrs({ bbox, spacing, method: "nearest" }, crs);
  const m = EDGE_SEGMENTS;
  const lon = new Float64Array(4 * m), lat = new Float64Array(4 * m);
  for (let i = 0; i < m; i++) {
    const t = i / m;
    lon[i] = w + t * (e - w), lat[i] = so; // south edge, west to east
    lon[m + i] = e, lat[m + i] = so + t * (n - so); // east edge
    lon[2 * m + i] = e - t * (e - w), lat[2 * m + i] = n; // north edge
    lon[3 * m + i] = w, lat[3 * m + i] = n - t * (n - so); // west edge
  }
  const { x, y } = fromLonLat(crs, lon, lat);
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < x.length; i++) {
    x0 = Math.min(x0, x[i]), x1 = Math.max(x1, x[i]);
    y0 = Math.min(y0, y[i]), y1 = Math.max(y1, y[i]);
  }
  if (![x0, y0, x1, y1].every(Number.isFinite)) {
    throw new GridOptionError(
      "crs",
      `the bbox [${bbox.join(", ")}] cannot be projected to ${crs} (outside its area of use)`,
    );
  }
  return [
    Math.floor(x0 / spacing) * spacing,
    Math.floor(y0 / spacing) * spacing,
    Math.ceil(x1 / spacing) * spacing,
    Math.ceil(y1 / spacing) * spacing,
  ];
}

/**
 * Grids in a projected CRS with the unchanged kernels: the points are projected, shifted to the
 * extent's south-west corner and scaled by a power of two `s` small enough that every northing
 * is below {@linkcode PLANAR_LAT}: the kernels' metric `((dlon cos lat)^2 + dlat^2)` is then
 * exactly the planar one, and scaling by a power of two is exact in floating point, so the
 * kernels compute what they would on the metre lattice. Distances come back divided by `s`.
 */
async function gridProjected(
  pool: WorkerPool | null,
  points: Points,
  options: GridPointsOptions,
  crs: string,
): Promise<GridResult> {
  checkProjectedCrs(options, crs);
  const o = checkOptions(options);
  checkPoints(points);
  const extent = projectedGridExtent(o.bbox, crs, o.spacing);
  const { x, y } = fromLonLat(crs, points.lon, points.lat);
  const [x0, y0] = extent;
  let reach = Math.max(extent[3] - y0, o.spacing);
  for (let i = 0; i < y.length; i++) {
    const d = Math.abs(y[i] - y0);
    if (d > reach) reach = d; // NaN (unprojectable points) never is
  }
  const s = 2 ** -Math.ceil(Math.log2(reach / PLANAR_LAT));
  const u = new Float64Array(x.length), v = new Float64Array(y.length);
  for (let i = 0; i < x.length; i++) u[i] = (x[i] - x0) * s, v[i] = (y[i] - y0) * s;
  const scaled = (d: number | undefined) => d === undefined ? undefined : d * s;
  let result: GridResult;
  try {
    result = await gridLattice(
      pool,
      { lon: u, lat: v, value: points.value, weight: points.weight },
      {
        ...options,
        crs: undefined,
        bbox: [0, 0, (extent[2] - x0) * s, (extent[3] - y0) * s],
        spacing: o.spacing * s,
        radius: scaled(options.radius),
        maxDistance: scaled(options.maxDistance),
      },
      1 / s / 1000,
    );
  } catch (e) {
    if (e instanceof NoPointsError) {
      throw new NoPointsError(
        `no point lies inside the ${crs} extent [${extent.join(", ")}] m of the bbox ` +
          `[${o.bbox.join(", ")}] (${points.lon.length} points read)`,
      );
    }
    if (e instanceof EmptyGridError) {
      throw new EmptyGridError(
        `the grid in ${crs} over [${extent.join(", ")}] m has no value at any node ` +
          `(${o.method}); nothing written`,
      );
    }
    throw e;
  }
  const { grid } = result;
  const half = o.registration === "pixel" ? o.spacing / 2 : 0;
  const nx = grid.lon.length, ny = grid.lat.length;
  grid.lon = Float64Array.from({ length: nx }, (_, i) => x0 + half + i * o.spacing);
  grid.lat = Float64Array.from({ length: ny }, (_, j) => y0 + half + j * o.spacing);
  grid.crs = crs;
  grid.resolution = { lon: o.spacing, lat: o.spacing };
  grid.bbox = o.bbox;
  const params = grid.provenance[0].params;
  params.bbox = [...o.bbox];
  params.crs = crs;
  params.extent = extent;
  params.spacing = o.spacing;
  if ("radius" in params) params.radius = Number.isFinite(o.radius) ? o.radius : "Infinity";
  params.maxDistance = Number.isFinite(o.maxDistance) ? o.maxDistance : "Infinity";
  return result;
}

/** The kernel calls of a method on a small synthetic problem (fresh arrays on every call). */
function warmUpJobs(method: GridMethod): ComputeJob[] {
  const n = 3000, side = 41, spacing = 1 / (side - 1);
  const lon = new Float64Array(n), lat = new Float64Array(n), value = new Float64Array(n);
  let seed = 12345;
  const r = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  for (let i = 0; i < n; i++) {
    lon[i] = r(), lat[i] = r();
    value[i] = Math.sin(6 * lon[i]) + lat[i] * lat[i];
  }
  const spec = new Float64Array([0, 0, spacing, spacing, side, side]);
  const pts = { lon, lat, value };
  switch (method) {
    case "block-mean":
    case "block-median":
      return [{
        kernel: "grid_block",
        args: {
          ...pts,
          weight: new Float64Array(0),
          spec,
          row0: 0,
          row1: side,
          median: method === "block-median",
          statistics: false,
        },
      }];
    case "nearest":
      // Its queries tier up within the first rows of the real call; a warm-up only took CPU
      // from the parse on 2 cores (gam grid nearest: 0.33-0.36 s without, 0.35-0.40 s with).
      return [];
    case "idw":
      return [{
        kernel: "grid_idw",
        args: {
          ...pts,
          spec,
          row0: 0,
          row1: side,
          k: 12,
          power: 2,
          radius: 8 * spacing,
          minPoints: 1,
        },
      }];
    case "linear":
      return [{ kernel: "grid_linear", args: { ...pts, spec, row0: 0, row1: side } }];
    case "mincurv":
      return [{
        kernel: "grid_mincurv",
        args: { ...pts, spec, tension: 0.25, convergence: 0, maxIterations: 500 },
      }];
  }
}

/**
 * Runs `method`'s kernels once on a small synthetic problem (a few milliseconds) on every worker
 * of `pool`, or on the calling thread when `pool` is null, and discards the results.
 *
 * V8 runs a WebAssembly function's first call in baseline code to its end and optimises it in
 * the background only once it has run enough, for later calls; a kernel's first real call in a
 * fresh worker or process is two to three times slower than the next. Calling this while the
 * input is being read (the CLI does) makes the real call run optimised code. It never changes a
 * result; failures are ignored.
 *
 * @param pool The worker pool, or `null` for the calling thread's instance.
 * @param method The method about to run.
 *
 * @example Usage
 * ```ts
 * import { warmUpGridding } from "./gridding.ts";
 * import { WorkerPool } from "./mod.ts";
 * await using pool = new WorkerPool({ size: 1 });
 * const warm = warmUpGridding(pool, "idw"); // overlaps with reading the input
 * await warm;
 * ```
 */
export async function warmUpGridding(pool: WorkerPool | null, method: GridMethod): Promise<void> {
  try {
    if (pool === null) {
      const core = await loadCore();
      for (const job of warmUpJobs(method)) {
        callKernel(core, job.kernel, job.args as KernelArgs<typeof job.kernel>);
      }
      return;
    }
    await Promise.all(
      Array.from({ length: pool.size }, () =>
        Promise.all(
          warmUpJobs(method).map((job) =>
            pool.run(job, {
              transfer: Object.values(job.args).flatMap((a) =>
                a instanceof Float64Array ? [a.buffer as ArrayBuffer] : []
              ),
            })
          ),
        )),
    );
  } catch {
    // Only a head start: the real call reports any problem.
  }
}

/**
 * Version recorded in the provenance of gridded output.
 *
 * @example Usage
 * ```ts
 * import { GRIDDING_VERSION } from "./gridding.ts";
 * console.log(GRIDDING_VERSION); // "0.2.0"
 * ```
 */
export const GRIDDING_VERSION = "0.2.0";
