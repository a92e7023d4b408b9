/**
 * Inflating the compressed blocks of grid files (GeoTIFF deflate strips and tiles, Zarr gzip
 * chunks) in the Rust core: `zlib-rs` with the checksums verified, the TIFF predictor undone,
 * float32 samples out (`inflate_float32_blocks`, `crates/gam-core/src/codecs/`). On a worker
 * pool when one is given, so that the file's runs inflate on the workers while the calling
 * thread reads the next runs and places the samples; else on the calling thread's instance.
 *
 * On a 4096 x 4096 band of 4096 one-row deflate strips with `PREDICTOR=3` (52 MB): 0.20 s on
 * one thread against 0.36 s for `node:zlib`'s `inflateSync` plus the predictor in TypeScript.
 *
 * @module
 */
// Only the wasm bundle and types from src/compute/: src/formats/ is part of the plugin API,
// whose module graph may reach src/compute/wasm/ and nothing else there.
import type { CoreModule, KernelArgs, KernelResult } from "../compute/kernels.ts";
import type { WorkerPool } from "../compute/pool.ts";

let core: Promise<CoreModule> | undefined;

/**
 * Most bytes one call inflates to: 1 GiB, the kernels' own bound. Callers check a block's
 * declared size against it before they put the size in a `Uint32Array` (where a larger one
 * would wrap) or allocate anything.
 *
 * @example Usage
 * ```ts
 * import { MAX_INFLATE_BYTES } from "./inflate.ts";
 * MAX_INFLATE_BYTES; // 1073741824
 * ```
 */
export const MAX_INFLATE_BYTES = 1 << 30;

/**
 * The inflating kernels: `inflate_blocks` returns the blocks' bytes (Zarr chunks of any data
 * type), `inflate_float32_blocks` their float32 samples with a TIFF predictor undone.
 *
 * @example Usage
 * ```ts
 * import type { InflateKernel } from "./inflate.ts";
 * const kernel: InflateKernel = "inflate_blocks";
 * ```
 */
export type InflateKernel = "inflate_blocks" | "inflate_float32_blocks";

/**
 * Inflates a run of consecutive compressed blocks with `kernel`: `args.run`, the blocks;
 * `args.lengths`, their byte counts; for `inflate_blocks`, `args.sizes`, the bytes each
 * inflates to; for `inflate_float32_blocks`, `args.rows` of `args.width` float32 samples each
 * and `args.predictor`, the TIFF predictor (1 none, 2 horizontal, 3 floating point);
 * `args.gzip`, gzip streams (else zlib). With a `pool`, `args.run`'s buffer is transferred to
 * the worker (detached here): give it a buffer of its own.
 *
 * @param kernel Which kernel.
 * @param args Its options.
 * @param pool Workers to inflate on; the calling thread when absent.
 * @returns The blocks' bytes or samples, block after block.
 * @throws {Error} (a `ComputeError` on a pool) whose message starts with `block K of the run`
 *   for a block that is damaged, fails its checksum or does not inflate to its size: see
 *   {@linkcode damagedBlock}.
 *
 * @example Usage
 * ```ts
 * import { deflateSync } from "node:zlib";
 * import { inflate } from "./inflate.ts";
 * const run = deflateSync(new Uint8Array(new Float32Array([1.5, -2]).buffer));
 * const samples = await inflate("inflate_float32_blocks", {
 *   run, lengths: new Uint32Array([run.length]), rows: new Uint32Array([1]),
 *   width: 2, predictor: 1, gzip: false,
 * });
 * // samples: Float32Array [1.5, -2]
 * ```
 */
export async function inflate<K extends InflateKernel>(
  kernel: K,
  args: KernelArgs<K>,
  pool?: WorkerPool,
): Promise<KernelResult<K>> {
  if (pool !== undefined) {
    const { run } = args as KernelArgs<InflateKernel>;
    const transfer = run instanceof Uint8Array ? [run.buffer as ArrayBuffer] : [];
    return await pool.run({ kernel, args } as { kernel: K; args: KernelArgs<K> }, { transfer });
  }
  const wasm = await (core ??= import("../compute/wasm/gam_core.js"));
  if (kernel === "inflate_blocks") {
    const { run, lengths, sizes, gzip } = args as KernelArgs<"inflate_blocks">;
    return wasm.inflate_blocks(run, lengths, sizes, gzip) as KernelResult<K>;
  }
  const { run, lengths, rows, width, predictor, gzip } = args as KernelArgs<
    "inflate_float32_blocks"
  >;
  return wasm.inflate_float32_blocks(
    run,
    lengths,
    rows,
    width,
    predictor,
    gzip,
  ) as KernelResult<K>;
}

/**
 * Which block of a run failed, and why, from an error of {@linkcode inflate}
 * (the kernel names it as `block K of the run <reason>`), or `undefined` for any other error
 * (a lost worker, an argument error).
 *
 * @example Usage
 * ```ts
 * import { damagedBlock } from "./inflate.ts";
 * damagedBlock(new Error("block 3 of the run fails its checksum"));
 * // { index: 3, reason: "fails its checksum" }
 * ```
 */
export function damagedBlock(error: unknown): { index: number; reason: string } | undefined {
  const m = /block (\d+) of the run (.*)$/s.exec(error instanceof Error ? error.message : "");
  return m ? { index: Number(m[1]), reason: m[2] } : undefined;
}
