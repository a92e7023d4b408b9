/**
 * Stage `rtp`: reduction to the pole of a total-field magnetic anomaly, assuming induced
 * magnetisation parallel to the geomagnetic field of `inclination` and `declination` degrees
 * (Baranov 1957; Blakely 1995, §12.3). At low inclination (|I| < 45°) the operator would
 * amplify noise up to `1 / sin² I` across the declination and streak the map along it; by
 * default it is stabilised (`fftFilter` in `compute/spectral.ts`): full RTP for wavelengths
 * longer than `cutoffKm` (8 cells by default), phase-only RTP (MacLeod et al. 1993,
 * amplitude-correction inclination 90°) for shorter ones.
 *
 * @module
 */
import { z } from "zod";
import type { Stage, StageContext, StageData, StageKind } from "../stage.ts";
import { runFft } from "./_grid.ts";

const INCLINATION = "must be in [-90, 90] degrees";
// The one check of the declination's range (the CLI and the kernels take it from here).
const DECLINATION = "must be in [-180, 360] degrees";

const Params = z.strictObject({
  /** Geomagnetic inclination, degrees in [-90, 90]. */
  inclination: z.number().min(-90, INCLINATION).max(90, INCLINATION),
  /** Geomagnetic declination, degrees in [-180, 360]. */
  declination: z.number().min(-180, DECLINATION).max(360, DECLINATION),
  /** Stabilise the operator at |inclination| < 45°. @default true */
  stabilize: z.boolean().default(true),
  /** Stabilised RTP: phase-only below this wavelength, km. @default 8 cells */
  cutoffKm: z.number().positive("must be > 0").optional(),
});

/** Parameters of the `rtp` stage. */
export type RtpParams = z.infer<typeof Params>;

// 1.1.0: low-inclination stabilisation.
const VERSION = "1.1.0";

class RtpStage implements Stage<RtpParams> {
  readonly id = "rtp";
  readonly version = VERSION;
  /** The input's buffer goes to the worker when the runner allows it (see `runFft`). */
  readonly consumesInput = true;
  /** The input is hashed and measured while the worker transforms it (see `runFft`). */
  readonly measuresInput = true;
  constructor(readonly params: RtpParams) {}
  execute(input: StageData, ctx: StageContext): Promise<StageData> {
    return runFft(input, this.id, ctx, { op: "rtp", ...this.params });
  }
}

/**
 * Stage `rtp(inclination=DEG, declination=DEG)`.
 *
 * @example Usage
 * ```ts
 * import { rtpStage } from "./rtp.ts";
 * const stage = rtpStage.create({ inclination: -30, declination: -20, stabilize: true });
 * ```
 */
export const rtpStage: StageKind<typeof Params> = {
  id: "rtp",
  version: VERSION,
  summary: "Reduction to the pole (inclination, declination degrees; FFT)",
  paramsSchema: Params,
  create: (params) => new RtpStage(params),
};
