/**
 * Bouguer slab correction: removes the attraction of an infinite horizontal slab of rock of
 * density ρ and thickness h between the station and the datum, Δg = 2πGρh (Hinze et al. 2005,
 * "New standards for reducing gravity data: the North American gravity database",
 * Geophysics 70(4)). With the conventional crustal density 2670 kg/m³ this is 0.1119 mGal
 * per metre. Terrain corrections are out of scope (they need a DEM).
 *
 * @module
 */
import { z } from "zod";
import type { RawData } from "../../contracts/mod.ts";
import { convert } from "../../units/mod.ts";
import type { Stage, StageData, StageKind } from "../stage.ts";
import { requirePoints, StageInputError } from "./_internal.ts";

/** Newtonian constant of gravitation, m³ kg⁻¹ s⁻² (CODATA 2018). */
export const G = 6.6743e-11;

/**
 * Attraction of a Bouguer slab, mGal, for thickness `height` metres and density `density`
 * kg/m³. Negative heights (stations below the datum) give negative corrections.
 *
 * @example Usage
 * ```ts
 * import { bouguerSlab } from "./bouguer.ts";
 * bouguerSlab(100); // ≈ 11.197 mGal at 2670 kg/m³
 * ```
 */
export function bouguerSlab(height: number, density = 2670): number {
  return 2 * Math.PI * G * density * height * 1e5;
}

const Params = z.strictObject({
  /** Slab density, kg/m³. @default 2670 */
  density: z.number().positive().max(25000).default(2670),
});

class BouguerStage implements Stage<z.infer<typeof Params>> {
  readonly id = "bouguer";
  readonly version = "1.0.0";
  constructor(readonly params: z.infer<typeof Params>) {}
  execute(input: StageData): Promise<StageData> {
    // Runs after the current tick so that bad input rejects the promise instead of throwing.
    return Promise.resolve().then(() => this.#compute(input));
  }

  #compute(input: StageData): StageData {
    const raw = requirePoints(input, this.id, "gravity");
    const { value, height } = raw.points;
    if (height === undefined) {
      throw new StageInputError(
        this.id,
        "needs station heights (points.height, metres); the survey has none",
      );
    }
    const factor = convert(1, "mGal", raw.units, { modality: "gravity" });
    const out = new Float64Array(value.length);
    for (let i = 0; i < value.length; i++) {
      out[i] = value[i] - bouguerSlab(height[i], this.params.density) * factor;
    }
    const result: RawData = { ...raw, points: { ...raw.points, value: out } };
    return result;
  }
}

/**
 * Stage `bouguer`: subtracts the Bouguer slab 2πGρh at each station (h = `points.height`).
 *
 * @example Usage
 * ```ts
 * import { bouguerStage } from "./bouguer.ts";
 * const stage = bouguerStage.create({ density: 2670 });
 * ```
 */
export const bouguerStage: StageKind<typeof Params> = {
  id: "bouguer",
  version: "1.0.0",
  summary: "Bouguer slab correction 2πGρh (density kg/m³, default 2670)",
  paramsSchema: Params,
  create: (params) => new BouguerStage(params),
};
