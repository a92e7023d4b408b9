/**
 * `Anomaly` and `InversionResult`: what the later modelling phase produces and persistence
 * stores. Defined here so every phase shares one contract.
 *
 * @module
 */
import { z } from "zod";
import { ContractError } from "./errors.ts";
import { formatZodIssues } from "./_internal.ts";
import { ProcessedGridSchema } from "./processed_grid.ts";

/**
 * A located subsurface anomaly.
 *
 * - `lon`, `lat`: degrees (EPSG:4326); `depth`: metres below the surface, `>= 0`.
 * - `confidence`: in `[0, 1]`.
 * - `type`: e.g. `"positive"`, `"negative"`, `"void"`, `"intrusion"`.
 *
 * @example Usage
 * ```ts
 * import { AnomalySchema } from "./anomaly.ts";
 * AnomalySchema.parse({ lon: 10.5, lat: 45.2, depth: 0, confidence: 0.8, type: "positive", attributes: {} });
 * ```
 */
export const AnomalySchema = z.strictObject({
  lon: z.number().min(-180).max(180),
  lat: z.number().min(-90).max(90),
  depth: z.number().nonnegative({ error: "depth must be >= 0 metres" }),
  confidence: z.number().min(0).max(1),
  type: z.string().min(1),
  attributes: z.record(z.string(), z.unknown()).default({}),
});

/** An anomaly. See {@linkcode AnomalySchema}. */
export type Anomaly = z.infer<typeof AnomalySchema>;

/**
 * An inversion result: a model grid and its uncertainty grid, of identical shape and
 * coordinates, plus free metadata.
 *
 * @example Usage
 * ```ts
 * import { InversionResultSchema } from "./anomaly.ts";
 * InversionResultSchema.safeParse({}).success; // false
 * ```
 */
export const InversionResultSchema = z.strictObject({
  modelType: z.string().min(1),
  model: ProcessedGridSchema,
  uncertainty: ProcessedGridSchema,
  metadata: z.record(z.string(), z.unknown()).default({}),
}).superRefine((r, ctx) => {
  const a = r.model, b = r.uncertainty;
  const same = a.lat.length === b.lat.length && a.lon.length === b.lon.length &&
    a.lat.every((v, i) => v === b.lat[i]) && a.lon.every((v, i) => v === b.lon[i]);
  if (!same) {
    ctx.addIssue({
      code: "custom",
      path: ["uncertainty"],
      message: `uncertainty grid (${b.lat.length} x ${b.lon.length}) must have the same shape ` +
        `and coordinates as the model grid (${a.lat.length} x ${a.lon.length})`,
    });
  }
});

/** An inversion result. See {@linkcode InversionResultSchema}. */
export type InversionResult = z.infer<typeof InversionResultSchema>;

/**
 * Validates an anomaly; throws {@linkcode ContractError} naming each broken field.
 *
 * @example Usage
 * ```ts
 * import { validateAnomaly } from "./anomaly.ts";
 * validateAnomaly({ lon: 1, lat: 2, depth: 0, confidence: 0.5, type: "positive" });
 * ```
 */
export function validateAnomaly(value: unknown, where?: string): Anomaly {
  const r = AnomalySchema.safeParse(value);
  if (!r.success) throw new ContractError("Anomaly", formatZodIssues(r.error), where);
  return r.data;
}

/**
 * Validates an inversion result; throws {@linkcode ContractError}.
 *
 * @example Usage
 * ```ts
 * import { validateInversionResult } from "./anomaly.ts";
 * try { validateInversionResult({}); } catch (e) { console.log((e as Error).message); }
 * ```
 */
export function validateInversionResult(value: unknown, where?: string): InversionResult {
  const r = InversionResultSchema.safeParse(value);
  if (!r.success) throw new ContractError("InversionResult", formatZodIssues(r.error), where);
  return r.data;
}

/**
 * Whether QC labelled `a` an edge anomaly (`attributes.edge === true`): it lies in the band
 * along the grid's edge that FFT transforms disturb, and is left out of headline counts.
 *
 * @example Usage
 * ```ts
 * import { isEdgeAnomaly } from "./anomaly.ts";
 * isEdgeAnomaly({ attributes: { edge: true } }); // true
 * ```
 */
export function isEdgeAnomaly(a: Pick<Anomaly, "attributes">): boolean {
  return a.attributes?.edge === true;
}
