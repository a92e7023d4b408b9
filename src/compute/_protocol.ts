/**
 * Messages between {@linkcode WorkerPool} and `worker.ts`. Private to `src/compute/`.
 *
 * @module
 */

/** A job posted to a worker: call wasm export `kernel` with its options object `args`. */
export interface JobMessage {
  /** Pool-unique job id. */
  id: number;
  /** Name of the exported kernel. */
  kernel: string;
  /** The kernel's options object (see `kernels.ts`): numbers, strings, typed arrays. */
  args: Record<string, unknown>;
  /**
   * The job's cancel flag (element 0 of an `Int32Array` over a `SharedArrayBuffer`; the pool
   * stores 1 when the job's signal aborts), watched by the kernel while it runs (gam-core's
   * `watch_cancel`): the long kernels stop at their next check with a "cancelled" error.
   */
  cancel?: Int32Array;
}

/** A worker's reply. */
export type ReplyMessage =
  | { id: number; ok: true; value: unknown }
  | {
    id: number;
    ok: false;
    /** Error class name in the worker (`Error`, `RuntimeError`, ...). */
    name: string;
    message: string;
    /** The wasm instance trapped: the worker must be replaced. */
    fatal: boolean;
    /** The kernel failed after its cancel flag was set: it stopped on the request. */
    cancelled?: boolean;
  };

/**
 * Buffers of the typed arrays in `value` (top level, arrays, plain-object fields), deduplicated;
 * used as the transfer list of a reply. Views that do not cover their whole buffer are left
 * out (they could be views into wasm memory, which must never be detached).
 */
export function transferablesOf(value: unknown, out: Set<ArrayBuffer> = new Set()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    const buf = value.buffer;
    if (
      buf instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === buf.byteLength
    ) {
      out.add(buf);
    }
  } else if (Array.isArray(value)) {
    for (const v of value) transferablesOf(v, out);
  } else if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) transferablesOf(v, out);
  }
  return [...out];
}
