/**
 * The error every unit look-up and conversion throws.
 *
 * @module
 */

/**
 * Thrown for an unknown unit, an unknown modality, or a conversion between units of different
 * modalities (including acceleration to gradient). The message names the unit received, the
 * modality and the known units, so it can be shown to a user as is.
 *
 * @example Usage
 * ```ts
 * import { convert, UnitError } from "./mod.ts";
 * try {
 *   convert(1, "mGal", "nT");
 * } catch (e) {
 *   if (e instanceof UnitError) console.log(e.message);
 * }
 * ```
 */
export class UnitError extends RangeError {
  /** The unit string received (as given), or `undefined` when the modality itself was wrong. */
  readonly unit: string | undefined;
  /** The modality the unit was looked up in, or `undefined` when any modality was allowed. */
  readonly modality: string | undefined;
  /** The canonical spellings of the units that would have been accepted. */
  readonly known: readonly string[];

  /**
   * @param message The full user-facing message.
   * @param details The unit received, the modality and the known units.
   */
  constructor(
    message: string,
    details: { unit?: string; modality?: string; known: readonly string[] },
  ) {
    super(message);
    this.name = "UnitError";
    this.unit = details.unit;
    this.modality = details.modality;
    this.known = details.known;
  }
}
