/**
 * The zod schema of a unit string, apart from the registry so that reading a unit (`gam grid`,
 * grid files) does not load zod (about 50 ms of start-up).
 *
 * @module
 */
import { z } from "zod";
import { checkModality, resolveUnit } from "./registry.ts";

/**
 * A zod schema for a unit string of `modality`. It accepts any known spelling and outputs the
 * canonical symbol; an unknown unit fails with the {@linkcode UnitError} message.
 *
 * @param modality e.g. `"gravity"`.
 * @returns A zod schema `string -> canonical symbol`.
 * @throws {UnitError} When the modality itself is unknown.
 *
 * @example Usage
 * ```ts
 * import { unitSchema } from "./schema.ts";
 * unitSchema("gravity").parse("uGal"); // "µGal"
 * ```
 */
export function unitSchema(modality: string): z.ZodType<string, string> {
  const m = checkModality(modality);
  return z.string().transform((unit, ctx) => {
    try {
      return resolveUnit(unit, { modality: m }).symbol;
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
  });
}
