/**
 * Counting the gaps of a value array.
 *
 * @module
 */

/**
 * The number of NaN values (one comparison per value, where the preprocessing statistics also
 * update five moments): for when only the gaps matter.
 *
 * @param values Grid or point values.
 * @returns How many are NaN.
 *
 * @example Usage
 * ```ts
 * import { nanCount } from "./nan_count.ts";
 * console.assert(nanCount(new Float64Array([1, NaN, 3])) === 1);
 * ```
 */
export function nanCount(values: Float32Array | Float64Array): number {
  let nan = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== values[i]) nan++;
  return nan;
}
