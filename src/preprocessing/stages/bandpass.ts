/**
 * Stage `bandpass`: keeps wavelengths between `lowKm` and `highKm` with a Gaussian,
 * Butterworth (`order`) or cosine-taper transfer function, following GMT `grdfft -F`: the grid
 * is detrended, padded to a fast FFT size, tapered, transformed, filtered and cropped; NaN cells
 * are filled before and restored after (see the gam-core spectral kernels).
 *
 * @module
 */
import { z } from "zod";
import type { Stage, StageContext, StageData, StageKind } from "../stage.ts";
import { runFft } from "./_grid.ts";

const Params = z.strictObject({
  /** Shortest wavelength kept, km (>= 0). */
  lowKm: z.number().nonnegative("must be >= 0"),
  /** Longest wavelength kept, km (> lowKm). */
  highKm: z.number().positive("must be > 0"),
  /** Transfer function shape. @default "gaussian" */
  shape: z.enum(["gaussian", "butterworth", "cosine"]).default("gaussian"),
  /** Butterworth order (butterworth only). @default 2 */
  order: z.number().int("must be an integer >= 1").positive("must be an integer >= 1")
    .optional(),
}).superRefine((p, ctx) => {
  if (p.highKm <= p.lowKm) {
    ctx.addIssue({
      code: "custom",
      path: ["highKm"],
      message: `must be larger than lowKm (${p.lowKm})`,
    });
  }
  if (p.order !== undefined && p.shape !== "butterworth") {
    ctx.addIssue({
      code: "custom",
      path: ["order"],
      message: `applies to shape butterworth, not ${p.shape}`,
    });
  }
  // The default order, in the parameters (cache keys, provenance) as before it was checked.
}).transform((p) => ({ ...p, order: p.order ?? 2 }));

/** Parameters of the `bandpass` stage. */
export type BandpassParams = z.infer<typeof Params>;

const VERSION = "1.0.0";

class BandpassStage implements Stage<BandpassParams> {
  readonly id = "bandpass";
  readonly version = VERSION;
  /** The input's buffer goes to the worker when the runner allows it (see `runFft`). */
  readonly consumesInput = true;
  /** The input is hashed and measured while the worker transforms it (see `runFft`). */
  readonly measuresInput = true;
  constructor(readonly params: BandpassParams) {}
  execute(input: StageData, ctx: StageContext): Promise<StageData> {
    return runFft(input, this.id, ctx, { op: "bandpass", ...this.params });
  }
}

/**
 * Stage `bandpass(lowKm=L, highKm=H, shape=gaussian|butterworth|cosine, order=N)`.
 *
 * @example Usage
 * ```ts
 * import { bandpassStage } from "./bandpass.ts";
 * const stage = bandpassStage.create(bandpassStage.paramsSchema.parse({ lowKm: 10, highKm: 100 }));
 * ```
 */
export const bandpassStage: StageKind<typeof Params> = {
  id: "bandpass",
  version: VERSION,
  summary: "FFT bandpass between lowKm and highKm (gaussian, butterworth, cosine)",
  paramsSchema: Params,
  create: (params) => new BandpassStage(params),
};
