/**
 * Stage `tilt`: tilt angle `atan2(dz, sqrt(dx² + dy²))` of a potential field (Miller and Singh
 * 1994), in radians within [-π/2, π/2], derivatives computed in the frequency domain.
 *
 * @module
 */
import { z } from "zod";
import type { Stage, StageContext, StageData, StageKind } from "../stage.ts";
import { runFft } from "./_grid.ts";

const Params = z.strictObject({});

/** Parameters of the `tilt` stage (none). */
export type TiltParams = z.infer<typeof Params>;

const VERSION = "1.0.0";

class TiltStage implements Stage<TiltParams> {
  readonly id = "tilt";
  readonly version = VERSION;
  /** The input's buffer goes to the worker when the runner allows it (see `runFft`). */
  readonly consumesInput = true;
  /** The input is hashed and measured while the worker transforms it (see `runFft`). */
  readonly measuresInput = true;
  constructor(readonly params: TiltParams) {}
  execute(input: StageData, ctx: StageContext): Promise<StageData> {
    return runFft(input, this.id, ctx, { op: "tilt" }, "rad");
  }
}

/**
 * Stage `tilt`: the tilt angle in radians.
 *
 * @example Usage
 * ```ts
 * import { tiltStage } from "./tilt.ts";
 * const stage = tiltStage.create({});
 * ```
 */
export const tiltStage: StageKind<typeof Params> = {
  id: "tilt",
  version: VERSION,
  summary: "Tilt angle atan2(dz, horizontal gradient), radians (FFT)",
  paramsSchema: Params,
  create: (params) => new TiltStage(params),
};
