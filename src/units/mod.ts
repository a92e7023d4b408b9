/**
 * Physical units of GAM by modality, and conversions between them.
 *
 * - `gravity` (acceleration): `mGal` (canonical), `µGal` (1e-3 mGal; also `uGal`), `m/s²`
 *   (1 mGal = 1e-5 m/s²).
 * - `gravity_gradient`: `E` (canonical, Eötvös; also `Eotvos`, `Eötvös`), `s⁻²` (1 E = 1e-9 s⁻²).
 * - `magnetic`: `nT` (canonical), `gamma` (= 1 nT), `µT` (= 1000 nT; also `uT`).
 *
 * An unknown unit, or a conversion between modalities (including acceleration to gradient),
 * throws a {@linkcode UnitError} (a `RangeError`) naming the unit, the modality and the known
 * units.
 *
 * Light (no schema library): `unitSchema`, the zod schema of a modality's unit, is the heavier
 * sub-surface `./schema.ts`.
 *
 * @example Convert a grid from mGal to m/s²
 * ```ts
 * import { convert, canonicalUnit, isKnownUnit } from "./mod.ts";
 * const si = convert(new Float64Array([100, NaN]), "mGal", "m/s²"); // [0.001, NaN]
 * canonicalUnit("gravity"); // "mGal"
 * isKnownUnit("magnetic", "gamma"); // true
 * ```
 *
 * @module
 */
export { UnitError } from "./unit_error.ts";
export {
  canonicalUnit,
  isKnownUnit,
  knownUnits,
  normalizeUnit,
  resolveUnit,
  UNIT_MODALITIES,
  type UnitInfo,
  type UnitModality,
} from "./registry.ts";
export { convert, type ConvertOptions, unitFactor } from "./convert.ts";
