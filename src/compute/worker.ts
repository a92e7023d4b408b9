/**
 * Compute worker entry point: instantiates the gam-core WebAssembly module once (when the module
 * is imported) and runs the kernels {@linkcode WorkerPool} posts to it. Results are posted back
 * with their typed arrays transferred, not copied.
 *
 * A kernel that throws (bad argument) is reported as an ordinary error; a WebAssembly trap
 * (`RuntimeError`, e.g. a Rust panic under `panic = "abort"`) is reported as fatal, since the
 * instance's memory may be inconsistent afterwards, and the pool replaces this worker.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import * as core from "./wasm/gam_core.js";
import { type JobMessage, type ReplyMessage, transferablesOf } from "./_protocol.ts";
import { kernelArgList } from "./kernels.ts";
import { releaseBuffer } from "../formats/release_buffer.ts";

const kernels = core as unknown as Record<string, (...args: unknown[]) => unknown>;

/**
 * A wasm-bindgen class instance (has `free` and a `__wbg_ptr`) becomes a plain object of its
 * getters' values, and is freed; everything else passes through.
 */
function plain(value: unknown): unknown {
  if (value === null || typeof value !== "object" || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map(plain);
  const obj = value as Record<string, unknown> & { free?: () => void };
  if (typeof obj.free === "function" && "__wbg_ptr" in obj) {
    const out: Record<string, unknown> = {};
    const proto = Object.getPrototypeOf(obj);
    for (const [key, desc] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      if (desc.get) out[key] = plain(obj[key]);
    }
    obj.free();
    return out;
  }
  return value;
}

/** Calls `kernel` with `list`, watching `cancel` (when given) while it runs. */
function call(kernel: string, list: unknown[], cancel: Int32Array | undefined): unknown {
  if (cancel === undefined) return kernels[kernel](...list);
  core.watch_cancel(cancel);
  try {
    return kernels[kernel](...list);
  } finally {
    try {
      core.watch_cancel(undefined);
    } catch {
      // Only after a trap, whose RuntimeError propagates (the pool replaces this worker).
    }
  }
}

self.onmessage = (event: MessageEvent<JobMessage>) => {
  const { id, kernel, args, cancel } = event.data;
  let reply: ReplyMessage;
  try {
    // Throws a TypeError for a name that is not a kernel or options that are not its own.
    const list = kernelArgList(kernel, args);
    const value = plain(call(kernel, list, cancel));
    // The arguments' buffers are this worker's own and, unless the result holds them (a
    // `&mut` slice is copied back into its argument), dead once the kernel has copied them
    // into its memory: freed now, not at a later collection (see releaseBuffer).
    const kept = new Set(transferablesOf(value));
    for (const arg of list) {
      if (ArrayBuffer.isView(arg) && !kept.has(arg.buffer as ArrayBuffer)) releaseBuffer(arg);
    }
    self.postMessage({ id, ok: true, value } satisfies ReplyMessage, transferablesOf(value));
    return;
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply = {
      id,
      ok: false,
      name: err.name,
      message: err.message,
      fatal: e instanceof WebAssembly.RuntimeError,
      cancelled: cancel !== undefined && Atomics.load(cancel, 0) !== 0,
    };
  }
  self.postMessage(reply);
};
