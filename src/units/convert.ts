/**
 * Unit conversion within a modality.
 *
 * @module
 */
import { knownUnits, resolveUnit, type UnitInfo } from "./registry.ts";
import { UnitError } from "./unit_error.ts";

/** Options of {@linkcode convert} and {@linkcode unitFactor}. */
export interface ConvertOptions {
  /** When set, both units must belong to this modality. @default undefined (any, but the same) */
  modality?: string;
}

function resolvePair(from: string, to: string, options: ConvertOptions): [UnitInfo, UnitInfo] {
  const a = resolveUnit(from, options);
  const b = resolveUnit(to, options);
  if (a.modality !== b.modality) {
    const quantity = [a.modality, b.modality].includes("gravity") &&
        [a.modality, b.modality].includes("gravity_gradient")
      ? " (an acceleration and a gravity gradient are different quantities)"
      : "";
    throw new UnitError(
      `Cannot convert ${JSON.stringify(from)} (${a.modality}) to ${
        JSON.stringify(to)
      } (${b.modality}): conversion between modalities is not defined${quantity}; ` +
        `known ${a.modality} units: ${knownUnits(a.modality).join(", ")}`,
      { unit: to, modality: a.modality, known: knownUnits(a.modality) },
    );
  }
  return [a, b];
}

/** 10^d as the correctly rounded double (the literal `1e-5`, not `10 ** -5` computed). */
function pow10(d: number): number {
  return Number(`1e${d}`);
}

/**
 * The factor `f` such that a value in `from` times `f` is the value in `to`.
 *
 * @param from Source unit (any accepted spelling).
 * @param to Target unit (any accepted spelling).
 * @param options.modality When set, both units must belong to it.
 * @returns The factor, an exact power of ten as the nearest double (e.g. `1e-5`).
 * @throws {UnitError} For an unknown unit or units of different modalities.
 *
 * @example Usage
 * ```ts
 * import { unitFactor } from "./mod.ts";
 * unitFactor("mGal", "m/s²"); // 1e-5
 * unitFactor("µT", "nT"); // 1000
 * ```
 */
export function unitFactor(from: string, to: string, options: ConvertOptions = {}): number {
  const [a, b] = resolvePair(from, to, options);
  return pow10(a.exponent - b.exponent);
}

/**
 * Converts values from one unit to another of the same modality. Always returns a new value
 * (a new array of the same type for typed arrays); the input is never modified. NaN (nodata)
 * stays NaN. Each value is converted by one correctly rounded multiplication by 10^d, or one
 * division by 10^-d when d < 0, so `convert(100, "mGal", "m/s²")` is exactly `0.001`.
 *
 * @param values A number, a Float64Array or a Float32Array.
 * @param from Source unit (any accepted spelling).
 * @param to Target unit (any accepted spelling).
 * @param options.modality When set, both units must belong to it.
 * @returns The converted value(s), same shape and type as `values`.
 * @throws {UnitError} For an unknown unit or units of different modalities.
 *
 * @example Usage
 * ```ts
 * import { convert } from "./mod.ts";
 * convert(100, "mGal", "m/s²"); // 0.001
 * convert(new Float64Array([1, 2]), "uT", "nT", { modality: "magnetic" }); // [1000, 2000]
 * ```
 */
export function convert(values: number, from: string, to: string, options?: ConvertOptions): number;
export function convert(
  values: Float64Array,
  from: string,
  to: string,
  options?: ConvertOptions,
): Float64Array;
export function convert(
  values: Float32Array,
  from: string,
  to: string,
  options?: ConvertOptions,
): Float32Array;
export function convert(
  values: number | Float64Array | Float32Array,
  from: string,
  to: string,
  options?: ConvertOptions,
): number | Float64Array | Float32Array;
export function convert(
  values: number | Float64Array | Float32Array,
  from: string,
  to: string,
  options: ConvertOptions = {},
): number | Float64Array | Float32Array {
  const [a, b] = resolvePair(from, to, options);
  const d = a.exponent - b.exponent;
  if (typeof values === "number") return apply(values, d);
  if (!(values instanceof Float64Array) && !(values instanceof Float32Array)) {
    throw new TypeError(
      `convert() expects a number, Float64Array or Float32Array, got ${
        Object.prototype.toString.call(values)
      }`,
    );
  }
  const out = values instanceof Float64Array
    ? new Float64Array(values.length)
    : new Float32Array(values.length);
  if (d === 0) {
    out.set(values);
  } else if (d > 0) {
    const f = pow10(d);
    for (let i = 0; i < values.length; i++) out[i] = values[i] * f;
  } else {
    const q = pow10(-d);
    for (let i = 0; i < values.length; i++) out[i] = values[i] / q;
  }
  return out;
}

function apply(v: number, d: number): number {
  if (d === 0) return v;
  return d > 0 ? v * pow10(d) : v / pow10(-d);
}
