/**
 * The preprocessing stages and the default stage registry.
 *
 * | id | input | what it does |
 * | --- | --- | --- |
 * | `outlier` | points or grid | z-score, IQR, MAD or Hampel outliers; drop, NaN or median |
 * | `noise` | grid | NaN-aware Gaussian (sigma cells or wavelength km) or median |
 * | `bandpass` | grid | FFT bandpass (Gaussian, Butterworth, cosine) |
 * | `grid` | points | gridding on the request bbox (any method), promises its spacing |
 * | `units` | any | unit conversion within the modality |
 * | `qc` | grid | completeness, seams, anomaly flags (report attached to the grid) |
 * | `upward`, `derivative`, `rtp`, `tilt` | grid | potential-field transforms (FFT) |
 * | `normal-gravity`, `bouguer` | gravity points | WGS84 normal gravity, Bouguer slab |
 *
 * @example Usage
 * ```ts
 * import { defaultStageRegistry } from "./mod.ts";
 * [...defaultStageRegistry().keys()].includes("grid"); // true
 * ```
 *
 * @module
 */
import type { StageRegistry } from "../builder.ts";
import type { StageKind } from "../stage.ts";
import { bandpassStage } from "./bandpass.ts";
import { bouguerStage } from "./bouguer.ts";
import { derivativeStage } from "./derivative.ts";
import { gridStage } from "./grid.ts";
import { noiseStage } from "./noise.ts";
import { normalGravityStage } from "./normal_gravity.ts";
import { outlierStage } from "./outlier.ts";
import { qcStage } from "./qc.ts";
import { rtpStage } from "./rtp.ts";
import { tiltStage } from "./tilt.ts";
import { unitsStage } from "./units.ts";
import { upwardStage } from "./upward.ts";

export { type BandpassParams, bandpassStage } from "./bandpass.ts";
export { bouguerSlab, bouguerStage, G } from "./bouguer.ts";
export { type DerivativeParams, derivativeStage } from "./derivative.ts";
export { checkGridStageSize, gridStage, type GridStageParams } from "./grid.ts";
export { type NoiseParams, noiseStage } from "./noise.ts";
export { normalGravity, normalGravityStage, WGS84 } from "./normal_gravity.ts";
export {
  OUTLIER_DEFAULT_THRESHOLDS,
  type OutlierParams,
  type OutlierReport,
  outlierStage,
} from "./outlier.ts";
export { type QcParams, type QcReport, qcReportOf, qcStage, qualityControl } from "./qc.ts";
export { type RtpParams, rtpStage } from "./rtp.ts";
export { type TiltParams, tiltStage } from "./tilt.ts";
export { unitsStage } from "./units.ts";
export { type UpwardParams, upwardStage } from "./upward.ts";
export { stageReport } from "./_grid.ts";
export { StageInputError } from "./_internal.ts";

/**
 * A new registry holding every built-in stage kind by id.
 *
 * @example Usage
 * ```ts
 * import { defaultStageRegistry } from "./mod.ts";
 * defaultStageRegistry().get("noise")?.version; // "1.0.0"
 * ```
 */
export function defaultStageRegistry(): StageRegistry {
  const kinds: StageKind[] = [
    outlierStage,
    noiseStage,
    bandpassStage,
    gridStage,
    unitsStage,
    qcStage,
    upwardStage,
    derivativeStage,
    rtpStage,
    tiltStage,
    normalGravityStage,
    bouguerStage,
  ] as unknown as StageKind[];
  return new Map(kinds.map((k) => [k.id, k]));
}
