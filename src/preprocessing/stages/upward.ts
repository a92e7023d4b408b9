/**
 * Stage `upward`: upward continuation of a potential field by `heightM` metres, multiplying
 * the spectrum by `exp(-|k| h)` (Blakely 1995, §12.1); NaN cells are filled before and
 * restored after.
 *
 * @module
 */
import { z } from "zod";
import type { Stage, StageContext, StageData, StageKind } from "../stage.ts";
import { runFft } from "./_grid.ts";

const Params = z.strictObject({
  /** Continuation height, metres (> 0: upward). */
  heightM: z.number().positive("must be > 0"),
});

/** Parameters of the `upward` stage. */
export type UpwardParams = z.infer<typeof Params>;

const VERSION = "1.0.0";

class UpwardStage implements Stage<UpwardParams> {
  readonly id = "upward";
  readonly version = VERSION;
  /** The input's buffer goes to the worker when the runner allows it (see `runFft`). */
  readonly consumesInput = true;
  /** The input is hashed and measured while the worker transforms it (see `runFft`). */
  readonly measuresInput = true;
  constructor(readonly params: UpwardParams) {}
  execute(input: StageData, ctx: StageContext): Promise<StageData> {
    return runFft(input, this.id, ctx, { op: "upward", heightM: this.params.heightM });
  }
}

/**
 * Stage `upward(heightM=H)`.
 *
 * @example Usage
 * ```ts
 * import { upwardStage } from "./upward.ts";
 * const stage = upwardStage.create({ heightM: 500 });
 * ```
 */
export const upwardStage: StageKind<typeof Params> = {
  id: "upward",
  version: VERSION,
  summary: "Upward continuation by heightM metres (FFT)",
  paramsSchema: Params,
  create: (params) => new UpwardStage(params),
};
