/**
 * The unit registry: which units each modality knows, their accepted spellings and their
 * scale relative to the modality's canonical unit.
 *
 * Modalities and canonical units:
 * - `gravity` (acceleration): canonical `mGal`; also `m/s²` (1 mGal = 1e-5 m/s²) and `µGal`
 *   (1 µGal = 1e-3 mGal).
 * - `gravity_gradient`: canonical `E` (Eötvös, 1 E = 1e-9 s⁻²); also `s⁻²`. Gradient is its own
 *   modality, not a dimension inside `gravity`: an acceleration and a gradient are different
 *   physical quantities, so converting between them is an error like any cross-modality
 *   conversion, and a gravity survey can never silently carry gradient units.
 * - `magnetic` (field intensity): canonical `nT`; also `gamma` (= 1 nT) and `µT` (= 1000 nT).
 *
 * Every scale is an exact power of ten of the canonical unit, which lets {@linkcode convert}
 * apply each conversion as one correctly rounded multiplication or division.
 *
 * Spellings are matched after trimming, Unicode NFC normalisation and case folding, with the
 * micro sign (U+00B5), the Greek mu (U+03BC) and a plain `u` all accepted for micro.
 *
 * @module
 */
import { UnitError } from "./unit_error.ts";

/**
 * The modalities that have units.
 *
 * @example Usage
 * ```ts
 * import { UNIT_MODALITIES } from "./mod.ts";
 * console.log(UNIT_MODALITIES.join(", ")); // "gravity, gravity_gradient, magnetic"
 * ```
 */
export const UNIT_MODALITIES = ["gravity", "gravity_gradient", "magnetic"] as const;

/**
 * One of {@linkcode UNIT_MODALITIES}.
 *
 * @example Usage
 * ```ts
 * import type { UnitModality } from "./mod.ts";
 * const m: UnitModality = "magnetic";
 * ```
 */
export type UnitModality = typeof UNIT_MODALITIES[number];

/**
 * A resolved unit: its modality, canonical spelling and scale.
 *
 * @example Usage
 * ```ts
 * import { resolveUnit } from "./mod.ts";
 * const u = resolveUnit("uGal"); // { modality: "gravity", symbol: "µGal", exponent: -3, ... }
 * ```
 */
export interface UnitInfo {
  /** The modality the unit belongs to. */
  readonly modality: UnitModality;
  /** The canonical spelling, e.g. `"µGal"`. */
  readonly symbol: string;
  /** 1 of this unit = 10^exponent of the modality's canonical unit. */
  readonly exponent: number;
  /** All accepted spellings (matched case-insensitively). */
  readonly aliases: readonly string[];
  /** A short description for help texts. */
  readonly description: string;
}

const DEFINITIONS: readonly UnitInfo[] = [
  {
    modality: "gravity",
    symbol: "mGal",
    exponent: 0,
    aliases: ["mGal", "milligal"],
    description: "milligal, 1e-5 m/s²",
  },
  {
    modality: "gravity",
    symbol: "µGal",
    exponent: -3,
    aliases: ["µGal", "μGal", "uGal", "microgal"],
    description: "microgal, 1e-3 mGal",
  },
  {
    modality: "gravity",
    symbol: "m/s²",
    exponent: 5,
    aliases: ["m/s²", "m/s^2", "m/s2", "m s-2", "m s^-2", "m·s⁻²", "m s⁻²", "m*s^-2"],
    description: "metres per second squared (SI), 1e5 mGal",
  },
  {
    modality: "gravity_gradient",
    symbol: "E",
    exponent: 0,
    aliases: ["E", "Eötvös", "Eotvos", "Eötvos", "Eotvös"],
    description: "Eötvös, 1e-9 s⁻²",
  },
  {
    modality: "gravity_gradient",
    symbol: "s⁻²",
    exponent: 9,
    aliases: ["s⁻²", "s^-2", "s-2", "1/s²", "1/s^2", "1/s2"],
    description: "per second squared (SI), 1e9 E",
  },
  {
    modality: "magnetic",
    symbol: "nT",
    exponent: 0,
    aliases: ["nT", "nanotesla"],
    description: "nanotesla",
  },
  {
    modality: "magnetic",
    symbol: "gamma",
    exponent: 0,
    aliases: ["gamma", "γ"],
    description: "gamma, = 1 nT",
  },
  {
    modality: "magnetic",
    symbol: "µT",
    exponent: 3,
    aliases: ["µT", "μT", "uT", "microtesla"],
    description: "microtesla, 1000 nT",
  },
];

/** Lower-cased NFC spelling with micro sign and Greek mu folded to the micro sign. */
function key(unit: string): string {
  return unit.trim().normalize("NFC").replaceAll("\u03bc", "\u00b5").toLowerCase();
}

const BY_KEY = new Map<string, UnitInfo>();
for (const def of DEFINITIONS) {
  for (const alias of def.aliases) {
    const k = key(alias);
    const clash = BY_KEY.get(k);
    if (clash && clash !== def) {
      throw new Error(`Unit alias "${alias}" is defined twice (${clash.symbol}, ${def.symbol})`);
    }
    BY_KEY.set(k, def);
  }
}

function isUnitModality(modality: string): modality is UnitModality {
  return (UNIT_MODALITIES as readonly string[]).includes(modality);
}

function symbolsOf(modality: UnitModality): string[] {
  return DEFINITIONS.filter((d) => d.modality === modality).map((d) => d.symbol);
}

function allKnownText(): string {
  return UNIT_MODALITIES.map((m) => `${m}: ${symbolsOf(m).join(", ")}`).join("; ");
}

/**
 * `modality` as a {@linkcode UnitModality}.
 *
 * @param modality e.g. `"gravity"`.
 * @returns The same string, typed.
 * @throws {UnitError} When the modality is unknown (the message names the known ones).
 *
 * @example Usage
 * ```ts
 * import { checkModality } from "./registry.ts";
 * checkModality("magnetic"); // "magnetic"
 * ```
 */
export function checkModality(modality: string): UnitModality {
  if (!isUnitModality(modality)) {
    throw new UnitError(
      `Unknown modality "${modality}"; expected one of ${UNIT_MODALITIES.join(", ")}`,
      { modality, known: [] },
    );
  }
  return modality;
}

/**
 * Looks a unit up by any accepted spelling. With `modality`, the unit must belong to it.
 *
 * @param unit The unit as written, e.g. `"uGal"`, `"Eotvos"`, `"gamma"`.
 * @param options.modality Restrict the look-up to this modality.
 * @returns The unit's registry entry.
 * @throws {UnitError} When the unit is unknown, or belongs to another modality than `modality`.
 *
 * @example Usage
 * ```ts
 * import { resolveUnit } from "./mod.ts";
 * resolveUnit("Eötvös").modality; // "gravity_gradient"
 * ```
 */
export function resolveUnit(unit: string, options: { modality?: string } = {}): UnitInfo {
  const modality = options.modality === undefined ? undefined : checkModality(options.modality);
  const info = typeof unit === "string" ? BY_KEY.get(key(unit)) : undefined;
  if (modality === undefined) {
    if (info) return info;
    throw new UnitError(
      `Unknown unit ${JSON.stringify(unit)} (any modality); known units: ${allKnownText()}`,
      { unit: String(unit), known: DEFINITIONS.map((d) => d.symbol) },
    );
  }
  const known = symbolsOf(modality);
  if (info && info.modality === modality) return info;
  const hint = info ? ` (it is a ${info.modality} unit)` : "";
  throw new UnitError(
    `Unknown unit ${
      JSON.stringify(unit)
    } for modality "${modality}"${hint}; known ${modality} units: ${known.join(", ")}`,
    { unit: String(unit), modality, known },
  );
}

/**
 * Whether `unit` (any accepted spelling) is a unit of `modality`. Never throws; an unknown
 * modality gives `false`.
 *
 * @param modality e.g. `"gravity"`.
 * @param unit e.g. `"uGal"`.
 * @returns `true` when {@linkcode resolveUnit} would accept it for that modality.
 *
 * @example Usage
 * ```ts
 * import { isKnownUnit } from "./mod.ts";
 * isKnownUnit("gravity", "µGal"); // true
 * isKnownUnit("gravity", "nT"); // false
 * ```
 */
export function isKnownUnit(modality: string, unit: string): boolean {
  const info = typeof unit === "string" ? BY_KEY.get(key(unit)) : undefined;
  return info !== undefined && info.modality === modality;
}

/**
 * The canonical spellings of the units of `modality`, canonical unit first.
 *
 * @param modality e.g. `"magnetic"`.
 * @returns e.g. `["nT", "gamma", "µT"]`.
 * @throws {UnitError} When the modality is unknown.
 *
 * @example Usage
 * ```ts
 * import { knownUnits } from "./mod.ts";
 * knownUnits("gravity"); // ["mGal", "µGal", "m/s²"]
 * ```
 */
export function knownUnits(modality: string): string[] {
  return symbolsOf(checkModality(modality));
}

/**
 * The unit GAM stores and processes values of `modality` in: `mGal`, `E` or `nT`.
 *
 * @param modality e.g. `"gravity"`.
 * @returns The canonical unit's symbol.
 * @throws {UnitError} When the modality is unknown.
 *
 * @example Usage
 * ```ts
 * import { canonicalUnit } from "./mod.ts";
 * canonicalUnit("magnetic"); // "nT"
 * ```
 */
export function canonicalUnit(modality: string): string {
  return symbolsOf(checkModality(modality))[0];
}

/**
 * The canonical spelling of a unit, e.g. `"uGal"` gives `"µGal"`, `"eotvos"` gives `"E"`.
 *
 * @param unit The unit as written.
 * @param options.modality Restrict the look-up to this modality.
 * @returns The canonical symbol.
 * @throws {UnitError} As {@linkcode resolveUnit}.
 *
 * @example Usage
 * ```ts
 * import { normalizeUnit } from "./mod.ts";
 * normalizeUnit("mgal", { modality: "gravity" }); // "mGal"
 * ```
 */
export function normalizeUnit(unit: string, options: { modality?: string } = {}): string {
  return resolveUnit(unit, options).symbol;
}
