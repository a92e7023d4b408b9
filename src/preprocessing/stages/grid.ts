/**
 * Stage `grid`: grids survey points onto the request's bbox at `spacing` degrees (or metres in
 * a projected `crs`) with any
 * method of the gridding wrapper (`block-mean`, `block-median`, `nearest`, `idw`, `linear`,
 * `mincurv`), on the worker pool. A source grid (`RawData` of kind `grid`) is regridded by
 * treating its nodes as points. The stage promises `spacing`, which the checkpoint verifies.
 *
 * Provenance: a regridded `ProcessedGrid` keeps its history; the gridding wrapper adds its own
 * `grid` entry (kernel version and options) before the runner's entry for the stage.
 *
 * Distances (`radius`, `maxDistance`) are degrees of latitude in the wrapper's local metric
 * (longitude scaled by the cosine of the node's latitude); with a projected `crs`, `spacing`,
 * `radius` and `maxDistance` are metres with the planar metric and the grid's axes are eastings
 * and northings (see {@linkcode checkProjectedGridPlan} for what may follow it).
 *
 * @module
 */
import { z } from "zod";
import type { Bbox, ProcessedGrid } from "../../contracts/mod.ts";
import {
  GRID_METHODS,
  GridOptionError,
  gridPoints,
  gridShape,
  projectedGridExtent,
} from "../../compute/gridding.ts";
import { KM_PER_DEGREE } from "../../compute/mod.ts";
import {
  isProcessedGrid,
  type Stage,
  type StageContext,
  type StageData,
  type StageKind,
} from "../stage.ts";

const Params = z.strictObject({
  /** Gridding method. @default "block-mean" */
  method: z.enum(GRID_METHODS).default("block-mean"),
  /** Node spacing, degrees (> 0). */
  spacing: z.number().positive(),
  /** Node registration. @default "gridline" */
  registration: z.enum(["gridline", "pixel"]).default("gridline"),
  /** Search radius, degrees (nearest, idw). */
  radius: z.number().positive().optional(),
  /** idw neighbours. */
  k: z.number().int().positive().optional(),
  /** idw power. */
  power: z.number().positive().optional(),
  /** idw minimum neighbours within radius. */
  minPoints: z.number().int().positive().optional(),
  /** mincurv tension in [0, 1). */
  tension: z.number().min(0).lt(1).optional(),
  /** mincurv convergence limit, data units (0 = automatic). */
  convergence: z.number().nonnegative().optional(),
  /** mincurv iterations per level. */
  maxIterations: z.number().int().positive().optional(),
  /**
   * Mask nodes farther than this from every point, degrees, or `off`. Unset: mincurv and
   * linear mask beyond `DEFAULT_MASK_CELLS` (3) node spacings, other methods do not mask.
   */
  maxDistance: z.union([z.number().positive(), z.literal("off")]).optional(),
  /** Largest number of nodes. */
  maxCells: z.number().int().positive().optional(),
  /**
   * CRS of the grid: unset or `"EPSG:4326"` for a longitude/latitude grid (spacing, radius
   * and maxDistance in degrees); a projected CRS such as `"EPSG:32755"` or `"EPSG:28355"` for a
   * grid of eastings and northings in metres (spacing, radius and maxDistance in metres). See
   * README "Survey inputs" for the stages that may follow a projected grid.
   */
  crs: z.string().regex(/^EPSG:\d+$/, 'must be "EPSG:<code>", e.g. "EPSG:32755"').optional(),
});

/** Parameters of the `grid` stage. */
export type GridStageParams = z.infer<typeof Params>;

// 1.1.0: default distance mask for mincurv and linear; the grid carries its data footprint.
const VERSION = "1.1.0";

class GridStage implements Stage<GridStageParams> {
  readonly id = "grid";
  readonly version = VERSION;
  readonly spacing: number;
  constructor(readonly params: GridStageParams) {
    this.spacing = params.spacing;
  }

  async execute(input: StageData, ctx: StageContext): Promise<StageData> {
    const { method, spacing, registration, maxDistance, crs, ...rest } = this.params;
    let lon: Float64Array, lat: Float64Array, value: Float64Array;
    let units: string, modality: string | undefined;
    if (isProcessedGrid(input) || input.kind === "grid") {
      const g = isProcessedGrid(input) ? input : input.grid;
      if (input.crs !== "EPSG:4326") {
        throw new GridOptionError(
          "crs",
          `stage "grid" cannot regrid a grid in ${input.crs}: its input must be points or an ` +
            `EPSG:4326 grid (set crs on the first grid stage only)`,
        );
      }
      const nx = g.lon.length, n = g.values.length;
      lon = Float64Array.from({ length: n }, (_, i) => g.lon[i % nx]);
      lat = Float64Array.from({ length: n }, (_, i) => g.lat[Math.floor(i / nx)]);
      value = Float64Array.from(g.values);
      units = input.units;
      modality = input.modality;
    } else {
      ({ lon, lat } = input.points);
      value = input.points.value instanceof Float64Array
        ? input.points.value
        : Float64Array.from(input.points.value);
      units = input.units;
      modality = input.modality;
    }
    const { grid, pointsInBbox, pointsSkipped, warnings, maskedNodes } = await gridPoints(
      ctx.pool,
      {
        lon,
        lat,
        value,
      },
      {
        ...rest,
        maxDistance: maxDistance === "off" ? Infinity : maxDistance,
        bbox: ctx.request.bbox,
        ...(ctx.request.frame ? { frame: ctx.request.frame } : {}),
        spacing,
        method,
        registration,
        units,
        signal: ctx.signal,
        ...(crs !== undefined && crs !== "EPSG:4326" ? { crs } : {}),
      },
    );
    for (const w of warnings) ctx.logger.warn(w, { stage: "grid" });
    ctx.logger.info("gridded", {
      method,
      nx: grid.lon.length,
      ny: grid.lat.length,
      pointsInBbox,
      pointsSkipped,
      maskedNodes,
    });
    // A regridded grid's points are the nodes of a grid: its footprint is its input's, sampled
    // at the new nodes, not the distance to the old nodes (which covers any extrapolation).
    const source = isProcessedGrid(input) ? input : undefined;
    if (source?.dataDistanceKm !== undefined) {
      grid.dataDistanceKm = resampleFootprint(source, grid);
    }
    // Regridding a grid keeps its history before the gridding wrapper's own entry.
    const history = isProcessedGrid(input) ? input.provenance : [];
    return {
      ...grid,
      modality: modality ?? grid.modality,
      bbox: ctx.request.bbox,
      provenance: [...history, ...grid.provenance],
    };
  }
}

/**
 * The footprint of `from` at the nodes of `to`: the distance at the nearest node of `from`, plus
 * the distance from `to`'s node to `from`'s extent when it lies outside, km.
 */
function resampleFootprint(
  from: ProcessedGrid,
  to: ProcessedGrid,
): Float32Array<ArrayBuffer> {
  const fx = from.lon, fy = from.lat, d = from.dataDistanceKm!;
  const nx = fx.length, ny = fy.length;
  const dx = from.resolution.lon, dy = from.resolution.lat;
  const out = new Float32Array(to.lat.length * to.lon.length);
  for (let j = 0; j < to.lat.length; j++) {
    const la = to.lat[j];
    const r = Math.min(ny - 1, Math.max(0, Math.round((la - fy[0]) / dy)));
    const outY = Math.max(0, fy[0] - la, la - fy[ny - 1]);
    const cos = Math.cos((la * Math.PI) / 180);
    for (let i = 0; i < to.lon.length; i++) {
      const lo = to.lon[i];
      const c = Math.min(nx - 1, Math.max(0, Math.round((lo - fx[0]) / dx)));
      const outX = Math.max(0, fx[0] - lo, lo - fx[nx - 1]) * cos;
      out[j * to.lon.length + i] = d[r * nx + c] + Math.hypot(outX, outY) * KM_PER_DEGREE;
    }
  }
  return out;
}

/**
 * Stage `grid(method=..., spacing=DEG, registration=gridline|pixel, radius=, k=, power=,
 * minPoints=, tension=, convergence=, maxIterations=, maxDistance=, maxCells=)`.
 *
 * @example Usage
 * ```ts
 * import { gridStage } from "./grid.ts";
 * const stage = gridStage.create(gridStage.paramsSchema.parse({ method: "nearest", spacing: 0.1 }));
 * stage.spacing; // 0.1
 * ```
 */
export const gridStage: StageKind<typeof Params> = {
  id: "grid",
  version: VERSION,
  summary: "Grid points on the request bbox (block-mean|block-median|nearest|idw|linear|mincurv)",
  paramsSchema: Params,
  create: (params) => new GridStage(params),
};

/**
 * Counts the nodes a `grid` stage will make over `bbox` and refuses too many (see
 * `gridShape`), before anything runs; other stages pass. The main job calls it for every stage
 * of a pipeline when it builds the plan.
 *
 * @throws {import("../../compute/mod.ts").GridOptionError} for a grid above its `maxCells`.
 *
 * @example Usage
 * ```ts
 * import { checkGridStageSize, gridStage } from "./grid.ts";
 * const stage = gridStage.create(gridStage.paramsSchema.parse({ spacing: 0.1 }));
 * checkGridStageSize(stage, [10, 45, 11, 46]); // fine: 11 x 11 nodes
 * ```
 */
export function checkGridStageSize(stage: Stage, bbox: Bbox): void {
  if (!(stage instanceof GridStage)) return;
  const { spacing, registration, maxCells, crs } = stage.params;
  const region = crs === undefined || crs === "EPSG:4326"
    ? bbox
    : projectedGridExtent(bbox, crs, spacing);
  gridShape(region, spacing, registration, maxCells);
}

/**
 * The stages that may follow a `grid` stage with a projected `crs` (their only use of the grid's
 * geometry is its cell size, `cellSizeKm` in `compute/filters.ts`, which is CRS-aware). `qc` (anomaly
 * positions in degrees) and a second `grid` are refused.
 */
export const PROJECTED_GRID_STAGES: readonly string[] = [
  "noise",
  "bandpass",
  "upward",
  "derivative",
  "tilt",
  "rtp",
  "units",
  "qc",
];

/**
 * Refuses a plan in which a stage that needs a longitude/latitude grid follows a `grid` stage
 * with a projected `crs` (in its branch or a branch forked after it), before anything runs.
 *
 * @param stages The plan's stages with their branch paths, depth first (`planStages(plan)`).
 * @throws {GridOptionError} `option` `"crs"`, naming the stage, its branch and the parameter.
 *
 * @example Usage
 * ```ts
 * import { checkProjectedGridPlan, gridStage } from "./grid.ts";
 * const grid = gridStage.create(gridStage.paramsSchema.parse({ spacing: 500, crs: "EPSG:32755" }));
 * checkProjectedGridPlan([{ branch: "main", stage: grid }]); // fine: nothing follows
 * ```
 */
export function checkProjectedGridPlan(stages: { branch: string; stage: Stage }[]): void {
  stages.forEach(({ branch, stage }, i) => {
    if (!(stage instanceof GridStage)) return;
    const crs = stage.params.crs;
    if (crs === undefined || crs === "EPSG:4326") return;
    for (const later of stages.slice(i + 1)) {
      const downstream = branch === "main" || later.branch === branch ||
        later.branch.startsWith(`${branch}/`);
      if (downstream && !PROJECTED_GRID_STAGES.includes(later.stage.id)) {
        throw new GridOptionError(
          "crs",
          `stage "${later.stage.id}" (branch ${later.branch}) cannot follow stage "grid" with ` +
            `crs ${JSON.stringify(crs)}: it needs a longitude/latitude grid; remove the grid ` +
            `stage's crs parameter (EPSG:4326) or the stage (after a projected grid: ` +
            `${PROJECTED_GRID_STAGES.join(", ")})`,
        );
      }
    }
  });
}
