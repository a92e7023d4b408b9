/**
 * Stage `derivative`: first derivative of a potential field along `vertical` (spectrum times
 * `|k|`), `x` (east) or `y` (north), or the `total-gradient` amplitude
 * `sqrt(dx² + dy² + dz²)` (analytic signal amplitude), computed in the frequency domain.
 * Units become the field's units per km (e.g. `"mGal/km"`).
 *
 * @module
 */
import { z } from "zod";
import type { Stage, StageContext, StageData, StageKind } from "../stage.ts";
import { runFft } from "./_grid.ts";

const Params = z.strictObject({
  /** Which derivative. @default "vertical" */
  direction: z.enum(["vertical", "x", "y", "total-gradient"]).default("vertical"),
});

/** Parameters of the `derivative` stage. */
export type DerivativeParams = z.infer<typeof Params>;

const VERSION = "1.0.0";

class DerivativeStage implements Stage<DerivativeParams> {
  readonly id = "derivative";
  readonly version = VERSION;
  /** The input's buffer goes to the worker when the runner allows it (see `runFft`). */
  readonly consumesInput = true;
  /** The input is hashed and measured while the worker transforms it (see `runFft`). */
  readonly measuresInput = true;
  constructor(readonly params: DerivativeParams) {}
  execute(input: StageData, ctx: StageContext): Promise<StageData> {
    const d = this.params.direction;
    const units = `${input.units}/km`;
    return runFft(
      input,
      this.id,
      ctx,
      d === "total-gradient" ? { op: "total-gradient" } : { op: "derivative", direction: d },
      units,
    );
  }
}

/**
 * Stage `derivative(direction=vertical|x|y|total-gradient)`.
 *
 * @example Usage
 * ```ts
 * import { derivativeStage } from "./derivative.ts";
 * const stage = derivativeStage.create({ direction: "vertical" });
 * ```
 */
export const derivativeStage: StageKind<typeof Params> = {
  id: "derivative",
  version: VERSION,
  summary: "First derivative (vertical, x, y) or total-gradient amplitude (FFT), units per km",
  paramsSchema: Params,
  create: (params) => new DerivativeStage(params),
};
