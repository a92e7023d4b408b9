/**
 * Releasing a buffer at once: the GeoTIFF and Zarr readers release each decoded block or chunk
 * once it is placed in the grid, and the compute worker a job's argument buffers once the
 * kernel has copied them into its memory.
 *
 * @module
 */

/**
 * Detaches `view`'s buffer when the view covers all of it (a buffer of its own), so its memory
 * goes back now rather than at a later collection: a 4096² grid read as 64 chunks of 1 MiB,
 * or 4096 deflate strips, left to the collector raised the read's peak by 30-50 MiB. A view
 * into a larger or shared buffer, or one already transferred to a worker, is left alone.
 *
 * @param view A block or chunk whose values were placed and are no longer read.
 *
 * @example Usage
 * ```ts
 * import { releaseBuffer } from "./release_buffer.ts";
 * const chunk = new Uint8Array(1 << 20);
 * releaseBuffer(chunk);
 * chunk.byteLength; // 0
 * ```
 */
export function releaseBuffer(view: ArrayBufferView): void {
  const buffer = view.buffer;
  if (
    buffer instanceof ArrayBuffer && !buffer.detached && view.byteOffset === 0 &&
    view.byteLength === buffer.byteLength
  ) {
    buffer.transfer(0);
  }
}
