/**
 * Grid values on shared memory: the readers put a grid there when asked (`readGrid`'s
 * `shared`), and the FFT's split keeps its intermediate spectra there, so that workers read
 * them without a copy while the calling thread reads them too.
 *
 * @module
 */

/**
 * A `Float64Array` of `n` zeros on a new `SharedArrayBuffer`.
 *
 * @param n Number of values.
 *
 * @example Usage
 * ```ts
 * import { sharedFloat64Array } from "./shared_array.ts";
 * const values = sharedFloat64Array(4);
 * values.buffer instanceof SharedArrayBuffer; // true
 * ```
 */
export function sharedFloat64Array(n: number): Float64Array<SharedArrayBuffer> {
  return new Float64Array(new SharedArrayBuffer(n * Float64Array.BYTES_PER_ELEMENT));
}
