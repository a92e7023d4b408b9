/**
 * Stage `outlier`: flags outliers by a global rule (z-score, IQR, MAD) or a rolling Hampel
 * filter along flight lines, on survey points or on grids, and drops them, sets them to NaN
 * or replaces them with a median.
 *
 * - On points, `hampel` needs line ids (`points.line`); on grids it runs along each row.
 * - `action: "median"` uses the window median for `hampel` and the median of all finite values
 *   for the global rules.
 * - `action: "drop"` removes points (every point array shrinks alike); a grid cell cannot be
 *   removed, so on grids `drop` is refused.
 * - NaN values are never flagged and never shift the mask (the mask is aligned with the input).
 *
 * The counts (`total`, `finite`, `flagged`, `method`, `threshold`, `action`) are logged and
 * attached as the stage's report (see `stageReport(data, "outlier")`).
 *
 * @module
 */
import { z } from "zod";
import type { RawData } from "../../contracts/mod.ts";
import { hampelFilter, outlierMask } from "../../compute/mod.ts";
import {
  isProcessedGrid,
  type Stage,
  type StageContext,
  type StageData,
  type StageKind,
} from "../stage.ts";
import { StageInputError } from "./_internal.ts";
import { attachReport, requireGrid } from "./_grid.ts";

/** Default thresholds per method. */
export const OUTLIER_DEFAULT_THRESHOLDS = { zscore: 3, iqr: 1.5, mad: 3.5, hampel: 3 } as const;

const Params = z.strictObject({
  /** Rule: global z-score, Tukey IQR fences, robust MAD z-score, or Hampel along lines. */
  method: z.enum(["zscore", "iqr", "mad", "hampel"]).default("mad"),
  /** Threshold (z for zscore/mad/hampel, fence factor k for iqr). @default per method */
  threshold: z.number().nonnegative("must be >= 0").optional(),
  /** What to do with outliers. @default "nan" */
  action: z.enum(["drop", "nan", "median"]).default("nan"),
  /** Hampel half window, samples either side. @default 5 */
  halfWindow: z.number().int().positive().default(5),
});

/** Parameters of the `outlier` stage. */
export type OutlierParams = z.infer<typeof Params>;

/** Counts the `outlier` stage reports. */
export interface OutlierReport extends Record<string, unknown> {
  method: string;
  threshold: number;
  action: string;
  /** Values seen (NaN included). */
  total: number;
  /** Finite values seen. */
  finite: number;
  /** Values flagged as outliers. */
  flagged: number;
}

const VERSION = "1.0.0";

class OutlierStage implements Stage<OutlierParams> {
  readonly id = "outlier";
  readonly version = VERSION;
  constructor(readonly params: OutlierParams) {}

  async execute(input: StageData, ctx: StageContext): Promise<StageData> {
    const { method, action, halfWindow } = this.params;
    const threshold = this.params.threshold ?? OUTLIER_DEFAULT_THRESHOLDS[method];
    const grid = isProcessedGrid(input) || input.kind === "grid"
      ? requireGrid(input, this.id)
      : null;
    if (grid && action === "drop") {
      throw new StageInputError(
        this.id,
        'action "drop" applies to survey points; a grid cell cannot be removed (use "nan")',
      );
    }
    // The survey's own values when they are float64 (nothing here writes into them): a copy
    // of a 10-million-reading survey is 80 MB.
    const pointValues = grid
      ? undefined
      : (input as Extract<RawData, { kind: "points" }>).points.value;
    const values: Float64Array<ArrayBuffer> = grid
      ? grid.values as Float64Array<ArrayBuffer>
      : pointValues instanceof Float64Array
      ? pointValues as Float64Array<ArrayBuffer>
      : Float64Array.from(pointValues!);
    let lineIds: Float64Array | Int32Array | undefined;
    if (method === "hampel") {
      if (grid) {
        const nx = grid.lon.length;
        lineIds = Float64Array.from(values, (_, i) => Math.floor(i / nx));
      } else {
        const line = (input as Extract<RawData, { kind: "points" }>).points.line;
        if (line === undefined) {
          throw new StageInputError(
            this.id,
            'method "hampel" needs flight-line ids (points.line); the survey has none',
          );
        }
        lineIds = line instanceof Int32Array ? line : Float64Array.from(line);
      }
    }
    const opts = { threshold, signal: ctx.signal };
    let mask: Uint8Array;
    let medians: Float64Array | undefined;
    if (lineIds) {
      const r = await hampelFilter(ctx.pool, values, lineIds, { ...opts, halfWindow });
      lineIds = undefined;
      mask = r.mask;
      if (action === "median") medians = r.medians;
    } else {
      mask = await outlierMask(ctx.pool, values, { ...opts, method: method as "mad" });
    }
    let flagged = 0, finite = 0;
    for (let i = 0; i < values.length; i++) {
      flagged += mask[i];
      if (values[i] === values[i]) finite++;
    }
    const report: OutlierReport = {
      method,
      threshold,
      action,
      total: values.length,
      finite,
      flagged,
    };
    ctx.logger.info("outliers flagged", report);
    if (action !== "drop" || grid) {
      const out = applyAction(
        values,
        mask,
        action === "median" ? medians ?? globalMedian(values) : NaN,
      );
      return this.#replaced(input, grid, out, report);
    }
    const raw = input as Extract<RawData, { kind: "points" }>;
    const keep = (_: unknown, i: number) => mask[i] === 0;
    const p = raw.points;
    const points = {
      lon: p.lon.filter(keep),
      lat: p.lat.filter(keep),
      value: values.filter(keep),
      ...(p.height ? { height: p.height.filter(keep) } : {}),
      ...(p.line ? { line: (p.line as Float64Array).filter(keep) } : {}),
      ...(p.lineNames ? { lineNames: p.lineNames } : {}),
      ...(p.lineKinds ? { lineKinds: p.lineKinds } : {}),
    };
    return attachReport({ ...raw, points }, this.id, VERSION, report);
  }

  #replaced(
    input: StageData,
    grid: ReturnType<typeof requireGrid> | null,
    out: Float64Array<ArrayBuffer>,
    report: OutlierReport,
  ): StageData {
    if (grid) return attachReport({ ...grid, values: out }, this.id, VERSION, report);
    const raw = input as Extract<RawData, { kind: "points" }>;
    return attachReport(
      { ...raw, points: { ...raw.points, value: out } },
      this.id,
      VERSION,
      report,
    );
  }
}

function applyAction(
  values: Float64Array,
  mask: Uint8Array,
  replacement: number | Float64Array,
): Float64Array<ArrayBuffer> {
  const out = Float64Array.from(values);
  for (let i = 0; i < out.length; i++) {
    if (mask[i] === 1) out[i] = typeof replacement === "number" ? replacement : replacement[i];
  }
  return out;
}

function globalMedian(values: Float64Array): number {
  const finite = values.filter((v) => v === v).sort();
  const n = finite.length;
  if (n === 0) return NaN;
  return n % 2 ? finite[(n - 1) / 2] : (finite[n / 2 - 1] + finite[n / 2]) / 2;
}

/**
 * Stage `outlier(method=zscore|iqr|mad|hampel, threshold=T, action=drop|nan|median,
 * halfWindow=N)`.
 *
 * @example Usage
 * ```ts
 * import { outlierStage } from "./outlier.ts";
 * const stage = outlierStage.create(outlierStage.paramsSchema.parse({ method: "mad", threshold: 3.5 }));
 * ```
 */
export const outlierStage: StageKind<typeof Params> = {
  id: "outlier",
  version: VERSION,
  summary: "Flag outliers (zscore, iqr, mad, hampel along lines) and drop, NaN or median them",
  paramsSchema: Params,
  create: (params) => new OutlierStage(params),
};
