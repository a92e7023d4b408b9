/**
 * Stage `noise`: NaN-aware smoothing of a grid on the worker pool.
 *
 * - `method=gaussian`: normalised-convolution Gaussian (gaps do not spread) with `sigma` in
 *   cells, or `wavelengthKm` as a convenience: the full width of the Gaussian as in GMT
 *   `grdfilter -Fg` (weights `exp(-18 r²/width²)`, i.e. sigma = width / 6), converted to cells
 *   separately along x and y with the grid's cell size in km at its centre latitude.
 * - `method=median`: median over an odd `size` footprint, `footprint=square|circular`.
 *
 * @module
 */
import { z } from "zod";
import { type BandSummaries, cellSizeKm, gaussianFilter, medianFilter } from "../../compute/mod.ts";
import { StatisticsAccumulator } from "../statistics.ts";
import { GridChecksumStream } from "../../contracts/checksum.ts";
import type { Stage, StageContext, StageData, StageKind } from "../stage.ts";
import { gridArray, requireGrid } from "./_grid.ts";

const ODD = "must be an odd integer >= 1";

const Params = z.strictObject({
  /** Filter. @default "gaussian" */
  method: z.enum(["gaussian", "median"]).default("gaussian"),
  /** Gaussian sigma, cells (> 0). */
  sigma: z.number().positive("must be > 0").optional(),
  /** Gaussian full width, km (sigma = width / 6, GMT grdfilter convention). */
  wavelengthKm: z.number().positive("must be > 0").optional(),
  /** Median footprint size, cells (odd). */
  size: z.number().int(ODD).positive(ODD).refine((v) => v % 2 === 1, ODD).optional(),
  /** Median footprint shape. @default "square" */
  footprint: z.enum(["square", "circular"]).default("square"),
}).superRefine((p, ctx) => {
  if (p.method === "gaussian") {
    if ((p.sigma === undefined) === (p.wavelengthKm === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["sigma"],
        message: "gaussian needs exactly one of sigma (cells) or wavelengthKm",
      });
    }
    if (p.size !== undefined) {
      ctx.addIssue({ code: "custom", path: ["size"], message: "size applies to median only" });
    }
  } else {
    if (p.size === undefined) {
      ctx.addIssue({ code: "custom", path: ["size"], message: "median needs size (odd cells)" });
    }
    if (p.sigma !== undefined || p.wavelengthKm !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["sigma"],
        message: "sigma and wavelengthKm apply to gaussian only",
      });
    }
  }
});

/** Parameters of the `noise` stage. */
export type NoiseParams = z.infer<typeof Params>;

const VERSION = "1.0.0";

class NoiseStage implements Stage<NoiseParams> {
  readonly id = "noise";
  readonly version = VERSION;
  /** The result goes over the input when the runner allows it (no second grid). */
  readonly consumesInput = true;
  /** The input is hashed once the first bands are posted, measured by the workers (see execute). */
  readonly measuresInput = true;
  constructor(readonly params: NoiseParams) {}

  async execute(input: StageData, ctx: StageContext): Promise<StageData> {
    const grid = requireGrid(input, this.id);
    const p = this.params;
    let values: Float64Array<ArrayBuffer>;
    // Statistics without a pass of the main thread over either grid: the workers summarise
    // each band's input and result in blocks as they filter it, and the bands' ends and the
    // merge are summed here as the result is stitched; the output is hashed band by band.
    const pre = new StatisticsAccumulator();
    const post = new StatisticsAccumulator();
    let measuredTo = 0;
    let checksum: GridChecksumStream | undefined;
    const band = {
      // Over the input only when it is granted and float64 (the result's precision).
      inPlace: ctx.consumeInput === true && grid.values instanceof Float64Array,
      measure: true,
      onRows: (v: Float64Array, from: number, to: number, blocks?: BandSummaries) => {
        pre.add(blocks!.inputHead);
        pre.addBlocks(blocks!.input);
        pre.add(blocks!.inputTail);
        post.addSummarised(v, from, to, blocks!.output);
        measuredTo = to;
        (checksum ??= new GridChecksumStream(grid, v)).update(from, to);
      },
      // The input's checksum while the workers compute the first bands: taken before any
      // result is written over the input.
      onPosted: () => ctx.measureInput?.({ statistics: false }),
      signal: ctx.signal,
    };
    try {
      if (p.method === "gaussian") {
        let sigmaX = p.sigma ?? 0, sigmaY = p.sigma ?? 0;
        if (p.wavelengthKm !== undefined) {
          const { dxKm, dyKm } = cellSizeKm(grid);
          sigmaX = p.wavelengthKm / 6 / dxKm;
          sigmaY = p.wavelengthKm / 6 / dyKm;
        }
        ctx.logger.debug("gaussian", { sigmaX, sigmaY });
        values = await gaussianFilter(ctx.pool, gridArray(grid), {
          sigmaX,
          sigmaY,
          ...band,
        });
      } else {
        values = await medianFilter(ctx.pool, gridArray(grid), {
          size: p.size!,
          circular: p.footprint === "circular",
          ...band,
        });
      }
    } catch (error) {
      // Bands are stored in order: the cells after the last one reported hold the input.
      pre.add(grid.values, measuredTo, grid.values.length);
      ctx.knownInputStatistics?.(pre.result(grid.values.length));
      throw error;
    }
    ctx.knownInputStatistics?.(pre.result(grid.values.length));
    ctx.knownStatistics?.(values, post.result(values.length));
    if (checksum) ctx.knownChecksum?.(checksum);
    return { ...grid, values };
  }
}

/**
 * Stage `noise(method=gaussian, sigma=CELLS | wavelengthKm=KM)` or
 * `noise(method=median, size=N, footprint=square|circular)`.
 *
 * @example Usage
 * ```ts
 * import { noiseStage } from "./noise.ts";
 * const stage = noiseStage.create(noiseStage.paramsSchema.parse({ method: "gaussian", sigma: 2 }));
 * ```
 */
export const noiseStage: StageKind<typeof Params> = {
  id: "noise",
  version: VERSION,
  summary: "Smooth a grid: gaussian (sigma cells or wavelengthKm) or median (size, footprint)",
  paramsSchema: Params,
  create: (params) => new NoiseStage(params),
};
