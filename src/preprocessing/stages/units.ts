/**
 * Stage `units`: converts survey values or grid values to a target unit of the same modality.
 *
 * @module
 */
import { z } from "zod";
import { normalizeUnit, unitFactor } from "../../units/mod.ts";
import {
  isProcessedGrid,
  type Stage,
  type StageContext,
  type StageData,
  type StageKind,
} from "../stage.ts";

const Params = z.strictObject({
  /** Target unit, e.g. `"mGal"`, `"m/s²"`, `"nT"`. */
  to: z.string().min(1),
});

class UnitsStage implements Stage<z.infer<typeof Params>> {
  readonly id = "units";
  readonly version = "1.0.0";
  constructor(readonly params: z.infer<typeof Params>) {}
  execute(input: StageData, ctx: StageContext): Promise<StageData> {
    // Runs after the current tick so that bad input rejects the promise instead of throwing.
    return Promise.resolve().then(() => this.#compute(input, ctx));
  }

  #compute(input: StageData, ctx: StageContext): StageData {
    const modality = ctx.request.modality;
    const to = normalizeUnit(this.params.to, { modality });
    const scale = <T extends Float64Array | Float32Array>(values: T, from: string): T => {
      const f = unitFactor(from, to, { modality });
      return values.map((v) => v * f) as T;
    };
    if (isProcessedGrid(input)) {
      const values = scale(input.values, input.units);
      return { ...input, values, units: to };
    }
    if (input.kind === "grid") {
      const values = scale(input.grid.values, input.units);
      return { ...input, units: to, grid: { ...input.grid, values } };
    }
    const value = scale(input.points.value, input.units);
    return { ...input, units: to, points: { ...input.points, value } };
  }
}

/**
 * Stage `units(to=...)`. An unknown unit or one of another modality fails with a `UnitError`.
 *
 * @example Usage
 * ```ts
 * import { unitsStage } from "./units.ts";
 * const stage = unitsStage.create({ to: "m/s²" });
 * ```
 */
export const unitsStage: StageKind<typeof Params> = {
  id: "units",
  version: "1.0.0",
  summary: "Convert values to a target unit of the same modality",
  paramsSchema: Params,
  create: (params) => new UnitsStage(params),
};
