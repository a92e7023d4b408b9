/**
 * Stage `qc`: quality control of a grid. Leaves the values unchanged and attaches a
 * {@linkcode QcReport} to the output grid:
 *
 * - completeness: measured from the grid's data footprint (`dataDistanceKm`, the distance from
 *   each node to the nearest input point, set by gridding) when it has one: a node in the
 *   request bbox is supported when it holds a value and an input point lies within the support
 *   distance (`supportKm`, or by default `DEFAULT_MASK_CELLS` node spacings, the default mask
 *   distance of mincurv and linear); a node with a value farther out is counted as
 *   extrapolated. Without a footprint (a foreign file) the distance is to the nearest node with
 *   a value, and the report says so (`footprint: "valid nodes"`);
 * - seams: level offset and gradient jump across each boundary between surveys or tiles
 *   (`tileDeg` tiles the grid into square tiles from its south-west node; without it the grid
 *   is one survey and no seam is checked);
 * - anomalies: residual after removing a regional field, robust z-score, threshold, connected
 *   components, each reported as an `Anomaly` (contract) with centroid, peak, area and
 *   confidence. When the grid went through an FFT transform (its provenance has an `rtp`,
 *   `upward`, `derivative`, `tilt` or `bandpass` stage, or a `gam filter` of those), anomalies
 *   whose centroid lies within the transform's edge band get `attributes.edge = true` (see
 *   {@linkcode fftEdgeBand}); they stay in the list but out of the headline counts.
 *
 * Where the report lives: a provenance entry `{ step: "qc.report", report }` of the output
 * grid; read it with {@linkcode qcReportOf} (or `stageReport(grid, "qc")`). Provenance travels
 * into the run manifest and into written `.tif`/`.zarr` files.
 *
 * @module
 */
import { z } from "zod";
import type { Anomaly, ProcessedGrid } from "../../contracts/mod.ts";
import { DEFAULT_MASK_CELLS } from "../../compute/gridding.ts";
import {
  type Completeness,
  completenessScan,
  float32Exact,
  gridCompleteness,
  KM_PER_DEGREE,
  qcAnomalies,
  type QcAnomalyOptions,
  qcSeams,
  type Seam,
} from "../../compute/mod.ts";
import type { Stage, StageContext, StageData, StageKind } from "../stage.ts";
import { toLonLat } from "../../formats/mod.ts";
import { attachReport, gridArray, requireGrid, stageReport } from "./_grid.ts";

const Params = z.strictObject({
  /**
   * Nodes within this distance of a datum count as supported, km; 0: with a footprint,
   * `DEFAULT_MASK_CELLS` node spacings; without one, the node itself holds a value.
   * @default 0
   */
  supportKm: z.number().nonnegative().default(0),
  /** Tile size for seam checks, degrees; unset: no seams checked. */
  tileDeg: z.number().positive().optional(),
  /** Flag seams whose absolute level offset exceeds this, data units. @default 1 */
  seamThreshold: z.number().positive().default(1),
  /** Flag seams whose gradient jump exceeds this, data units per cell; unset: not used. */
  seamGradientThreshold: z.number().positive().optional(),
  /** Regional field removed before anomaly detection. @default "polynomial" */
  regional: z.enum(["polynomial", "lowpass"]).default("polynomial"),
  /** Order of the polynomial trend, 1 or 2. @default 1 */
  order: z.union([z.literal(1), z.literal(2)]).default(1),
  /** Full width of the low-pass regional, km (sigma = width / 6). @default 100 */
  regionalKm: z.number().positive().default(100),
  /** Robust z-score threshold of the residual. @default 3 */
  zThreshold: z.number().positive().default(3),
  /** Smallest anomaly, cells. @default 4 */
  minCells: z.number().int().positive().default(4),
});

/** Parameters of the `qc` stage. */
export type QcParams = z.infer<typeof Params>;

/** The report of the `qc` stage. */
export interface QcReport extends Record<string, unknown> {
  completeness: {
    /** Nodes in the bbox. */
    cells: number;
    /** Nodes in the bbox with a value and a datum within `supportKm`. */
    supported: number;
    /** `supported / cells`. */
    fraction: number;
    /** The support distance used, km. */
    supportKm: number;
    /** What distances are measured to: the input points, or (no footprint) valued nodes. */
    footprint: "input points" | "valid nodes";
    /** Nodes in the bbox with a value (not NaN). */
    withValues: number;
    /** Nodes in the bbox with a value but no datum within `supportKm` (footprint only). */
    extrapolated: number;
    /** Largest distance from a node in the bbox to the nearest datum, km (null: no datum). */
    maxDistanceKm: number | null;
    /** Mean of that distance, km (null: no datum). */
    meanDistanceKm: number | null;
  };
  /** Seams between surveys/tiles, empty when none were checked. */
  seams: Seam[];
  /** Whether seams were checked (a tiling or survey ids were available). */
  seamsChecked: boolean;
  /** Anomalies flagged, strongest first (edge ones labelled `attributes.edge`). */
  anomalies: Anomaly[];
  /** The FFT edge band in cells per side, or null when no FFT transform made the grid. */
  edgeBand: { lonCells: number; latCells: number } | null;
  /** Anomalies in the edge band (included in `anomalies`). */
  edgeAnomalies: number;
}

/** Stage ids and `gam filter` operations that transform a grid with an FFT. */
const FFT_STEPS = new Set([
  "rtp",
  "upward",
  "derivative",
  "tilt",
  "bandpass",
  "gam filter rtp",
  "gam filter upward",
  "gam filter vertical-derivative",
  "gam filter tilt",
  "gam filter total-gradient",
  "gam filter bandpass",
]);

/**
 * The band along each edge that FFT transforms disturb, in cells: the minimum extension of the
 * gam-core spectral kernel on that axis, `max(8, ceil(n / 16))` cells per side (the data are
 * extended by mirror symmetry and tapered to zero over at least that width before the
 * transform, `crates/gam-core/src/spectral/pad.rs`), or null when no step of the grid's
 * provenance is an FFT transform.
 *
 * @example Usage
 * ```ts
 * import { fftEdgeBand } from "./qc.ts";
 * const rtpGrid = {
 *   lon: new Float64Array(141),
 *   lat: new Float64Array(101),
 *   provenance: [{ step: "rtp", version: "1.0.0", params: {} }],
 * };
 * fftEdgeBand(rtpGrid); // { lonCells: 9, latCells: 8 }
 * ```
 */
export function fftEdgeBand(
  grid: Pick<ProcessedGrid, "lat" | "lon" | "provenance">,
): { lonCells: number; latCells: number } | null {
  if (!grid.provenance.some((p) => FFT_STEPS.has(p.step))) return null;
  const margin = (n: number) => Math.max(8, Math.ceil(n / 16));
  return { lonCells: margin(grid.lon.length), latCells: margin(grid.lat.length) };
}

// 1.1.0: completeness from the data footprint; extrapolated nodes; edge anomalies.
const VERSION = "1.1.0";

/**
 * Runs every QC check on a grid (used by the `qc` stage and `gam qc`).
 *
 * @example Usage
 * ```ts
 * import { qcStage, qualityControl } from "./qc.ts";
 * import { gridPoints } from "../../compute/gridding.ts";
 * import { WorkerPool } from "../../compute/mod.ts";
 * const n = 400;
 * const lon = Float64Array.from({ length: n }, (_, i) => (i % 20) / 20);
 * const lat = Float64Array.from({ length: n }, (_, i) => Math.floor(i / 20) / 20);
 * const value = lon.map((x, i) => Math.sin(6 * x) + lat[i]);
 * const bbox = [0, 0, 0.95, 0.95] as const;
 * await using pool = new WorkerPool({ size: 1 });
 * const { grid } = await gridPoints(pool, { lon, lat, value }, {
 *   bbox, spacing: 0.05, method: "nearest", radius: 0.05, units: "mGal",
 * });
 * const report = await qualityControl(pool, grid, qcStage.paramsSchema.parse({}), { bbox });
 * ```
 */
export async function qualityControl(
  pool: StageContext["pool"],
  grid: ProcessedGrid,
  params: QcParams,
  options: {
    bbox?: readonly [number, number, number, number];
    survey?: Float64Array;
    signal?: AbortSignal;
    /**
     * The caller never reads `grid.values` again: the anomaly search takes their buffer
     * (transferred to the worker) instead of a copy, or, when the search gets a float32 copy
     * of its own, the buffer is freed once read; `grid.values` is detached afterwards either
     * way.
     * @default false
     */
    consumeValues?: boolean;
  } = {},
): Promise<QcReport> {
  const projected = grid.crs !== "EPSG:4326";
  if (projected && grid.dataDistanceKm === undefined) {
    throw new RangeError(
      `qc needs the data footprint (dataDistanceKm) of a grid in ${grid.crs}; grid the ` +
        `points with the grid stage's crs parameter, or grid in EPSG:4326`,
    );
  }
  if (projected && params.tileDeg !== undefined) {
    throw new RangeError(
      `qc.tileDeg is in degrees and the grid is in ${grid.crs} (metres): remove tileDeg or ` +
        `the grid stage's crs parameter`,
    );
  }
  // Everything that reads the values runs before the anomaly search may take them (with
  // `consumeValues` they go to its worker); the completeness then runs while it searches.
  const footprint = grid.dataDistanceKm === undefined
    ? undefined
    : footprintCompleteness(grid, params.supportKm, options.bbox);
  let survey = options.survey;
  if (survey === undefined && params.tileDeg !== undefined) {
    survey = tileIds(grid, params.tileDeg);
  }
  const seams = survey
    ? await qcSeams(pool, gridArray(grid), survey, {
      offsetThreshold: params.seamThreshold,
      gradientThreshold: params.seamGradientThreshold,
      signal: options.signal,
    })
    : [];
  const anomalyOptions: QcAnomalyOptions = {
    regional: params.regional,
    order: params.order,
    regionalKm: params.regionalKm,
    zThreshold: params.zThreshold,
    minCells: params.minCells,
    signal: options.signal,
  };
  // Float64 values that are all float32 numbers (a float32 file's) go to the search as a
  // float32 copy of their own (half the memory of the float64 array, same report); a given-up
  // float64 array is freed once narrowed and scanned (NaN where it is NaN), before the search
  // starts, so that it is never resident beside the worker's copies.
  const values = grid.values;
  const narrow = values instanceof Float64Array ? float32Exact(values) : undefined;
  const scan = footprint === undefined
    ? completenessScan(narrow === undefined ? grid : { ...grid, values: narrow })
    : undefined;
  if (
    narrow !== undefined && options.consumeValues && values.buffer instanceof ArrayBuffer &&
    values.buffer.byteLength === values.byteLength
  ) {
    values.buffer.transfer(0);
  }
  const searching = qcAnomalies(
    pool,
    narrow === undefined ? grid : { ...grid, values: narrow },
    { ...anomalyOptions, transferValues: narrow !== undefined || options.consumeValues },
  );
  let c: Completeness | ReturnType<typeof footprintCompleteness>;
  try {
    c = footprint ?? await gridCompleteness(pool, grid, {
      supportKm: params.supportKm,
      bbox: options.bbox,
      distances: false,
      signal: options.signal,
      scan,
    });
  } catch (e) {
    searching.catch(() => {}); // the completeness's error is the one reported
    throw e;
  }
  const anomalies = await searching;
  const edgeBand = fftEdgeBand(grid);
  let edgeAnomalies = 0;
  if (edgeBand !== null) {
    const nx = grid.lon.length, ny = grid.lat.length;
    for (const a of anomalies) {
      // A projected grid's anomalies carry their position on its axes as attributes x, y.
      const ax = projected ? a.attributes!.x as number : a.lon;
      const ay = projected ? a.attributes!.y as number : a.lat;
      const col = (ax - grid.lon[0]) / grid.resolution.lon;
      const row = (ay - grid.lat[0]) / grid.resolution.lat;
      const inBand = Math.min(col, nx - 1 - col) < edgeBand.lonCells ||
        Math.min(row, ny - 1 - row) < edgeBand.latCells;
      if (inBand) {
        a.attributes = { ...a.attributes, edge: true };
        edgeAnomalies++;
      }
    }
  }
  return {
    completeness: {
      cells: c.cells,
      supported: c.supported,
      fraction: c.fraction,
      supportKm: c.supportKm,
      footprint: grid.dataDistanceKm === undefined ? "valid nodes" : "input points",
      withValues: "withValues" in c ? c.withValues : c.supported,
      extrapolated: "extrapolated" in c ? c.extrapolated : 0,
      maxDistanceKm: c.maxDistanceKm,
      meanDistanceKm: c.meanDistanceKm,
    },
    seams,
    seamsChecked: survey !== undefined,
    anomalies,
    edgeBand,
    edgeAnomalies,
  };
}

/**
 * Completeness from the grid's footprint (see the module docs); the distance statistics are
 * over the nodes in the bbox (finite distances, summed in row-major order, as float32).
 */
function footprintCompleteness(
  grid: ProcessedGrid,
  supportKm: number,
  bbox?: readonly [number, number, number, number],
): {
  cells: number;
  supported: number;
  fraction: number;
  supportKm: number;
  withValues: number;
  extrapolated: number;
  maxDistanceKm: number | null;
  meanDistanceKm: number | null;
} {
  const projected = grid.crs !== "EPSG:4326";
  const kmPerUnit = projected ? 1 / 1000 : KM_PER_DEGREE;
  const support = supportKm > 0
    ? supportKm
    : DEFAULT_MASK_CELLS * Math.max(grid.resolution.lat, grid.resolution.lon) * kmPerUnit;
  const nx = grid.lon.length, ny = grid.lat.length, d = grid.dataDistanceKm!;
  const [w, s, e, n] = bbox ?? [-Infinity, -Infinity, Infinity, Infinity];
  const eps = 1e-9;
  let max = -Infinity, sum = 0, count = 0;
  let cells = 0, supported = 0, withValues = 0, extrapolated = 0;
  // A projected grid's nodes are tested against the (lon/lat) bbox one row at a time.
  const rowX = grid.lon instanceof Float64Array ? grid.lon : Float64Array.from(grid.lon);
  for (let j = 0; j < ny; j++) {
    const la = grid.lat[j];
    let rowLon: Float64Array = grid.lon, rowLat: Float64Array | undefined;
    if (projected) {
      if (bbox !== undefined) {
        ({ lon: rowLon, lat: rowLat } = toLonLat(grid.crs, rowX, new Float64Array(nx).fill(la)));
      }
    } else if (la < s - eps || la > n + eps) continue;
    for (let i = 0; i < nx; i++) {
      const lo = rowLon[i];
      if (lo < w - eps || lo > e + eps) continue;
      if (rowLat !== undefined && (rowLat[i] < s - eps || rowLat[i] > n + eps)) continue;
      const k = j * nx + i;
      cells++;
      const dk = d[k];
      if (Number.isFinite(dk)) {
        if (dk > max) max = dk;
        sum += dk;
        count++;
      }
      if (grid.values[k] !== grid.values[k]) continue;
      withValues++;
      // Float32 storage: a distance equal to the limit in float64 may round just above it.
      if (d[k] <= support * (1 + 1e-6)) supported++;
      else extrapolated++;
    }
  }
  return {
    cells,
    supported,
    fraction: cells ? supported / cells : 0,
    supportKm: support,
    withValues,
    extrapolated,
    maxDistanceKm: count ? max : null,
    meanDistanceKm: count ? sum / count : null,
  };
}

/**
 * Tile id per node for square tiles of `tileDeg` degrees from the south-west node; a node on
 * the far edge belongs to the last tile (no one-node sliver tiles).
 */
function tileIds(grid: ProcessedGrid, tileDeg: number): Float64Array {
  const nx = grid.lon.length, ny = grid.lat.length;
  const count = (span: number) => Math.max(1, Math.ceil(span / tileDeg - 1e-9));
  const tilesX = count(grid.lon[nx - 1] - grid.lon[0]);
  const tilesY = count(grid.lat[ny - 1] - grid.lat[0]);
  const index = (d: number, n: number) => Math.min(n - 1, Math.floor(d / tileDeg + 1e-9));
  return Float64Array.from(grid.values, (_, i) => {
    const tx = index(grid.lon[i % nx] - grid.lon[0], tilesX);
    const ty = index(grid.lat[Math.floor(i / nx)] - grid.lat[0], tilesY);
    return ty * tilesX + tx;
  });
}

class QcStage implements Stage<QcParams> {
  readonly id = "qc";
  readonly version = VERSION;
  constructor(readonly params: QcParams) {}

  async execute(input: StageData, ctx: StageContext): Promise<StageData> {
    const grid = requireGrid(input, this.id);
    const report = await qualityControl(ctx.pool, grid, this.params, {
      bbox: ctx.request.bbox,
      signal: ctx.signal,
    });
    ctx.logger.info("qc", {
      completeness: report.completeness.fraction,
      seams: report.seams.length,
      flaggedSeams: report.seams.filter((s) => s.flagged).length,
      anomalies: report.anomalies.length - report.edgeAnomalies,
      edgeAnomalies: report.edgeAnomalies,
    });
    return attachReport(grid, this.id, VERSION, report);
  }
}

/**
 * The QC report attached to a grid by the `qc` stage (the last one), or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { qcReportOf } from "./qc.ts";
 * // const report = qcReportOf(result.outputs[0].data);
 * ```
 */
export function qcReportOf(data: StageData): QcReport | undefined {
  return stageReport(data, "qc") as QcReport | undefined;
}

/**
 * Stage `qc(supportKm=, tileDeg=, seamThreshold=, regional=polynomial|lowpass, order=1|2,
 * regionalKm=, zThreshold=, minCells=)`.
 *
 * @example Usage
 * ```ts
 * import { qcStage } from "./qc.ts";
 * const stage = qcStage.create(qcStage.paramsSchema.parse({}));
 * ```
 */
export const qcStage: StageKind<typeof Params> = {
  id: "qc",
  version: VERSION,
  summary: "Quality control: completeness, seams, anomaly flags (report attached to the grid)",
  paramsSchema: Params,
  create: (params) => new QcStage(params),
};
