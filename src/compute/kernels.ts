/**
 * The typed kernel boundary: every gam-core kernel is called with one options object whose field
 * names are the Rust parameter names in camelCase (`min_points` is `minPoints`), and its types
 * come from the generated wasm-bindgen declarations (`wasm/gam_core.d.ts`). The parameter names
 * and their order come from `wasm/gam_core_params.ts`, which `deno task build:wasm` writes from
 * those same declarations, so a name can never drift between the two sides: a wrong kernel name,
 * a missing or misspelt argument or an argument of the wrong type fails `deno check`, and an
 * untyped caller gets a `TypeError` naming it before the kernel runs.
 *
 * @example Calling a kernel on the calling thread
 * ```ts
 * import { callKernel } from "./kernels.ts";
 * import * as core from "./wasm/gam_core.js";
 * const mask = callKernel(core, "outliers_mad", {
 *   values: new Float64Array([1, 2, 1, 2, 50]),
 *   threshold: 3.5,
 * });
 * mask[4]; // 1
 * ```
 *
 * @module
 */
import type * as core from "./wasm/gam_core.js";
import { KERNEL_PARAMS } from "./wasm/gam_core_params.ts";

/**
 * The gam-core module's exports, as the generated declarations type them.
 *
 * @example Usage
 * ```ts
 * import type { CoreModule } from "./kernels.ts";
 * const version: ReturnType<CoreModule["core_version"]> = "0.1.0";
 * ```
 */
export type CoreModule = typeof core;

/**
 * Name of an exported gam-core kernel, e.g. `"grid_idw"`.
 *
 * @example Usage
 * ```ts
 * import type { KernelName } from "./kernels.ts";
 * const name: KernelName = "grid_idw";
 * ```
 */
export type KernelName = keyof typeof KERNEL_PARAMS;

/**
 * `snake_case` to `camelCase`, as Rust parameter names become option names
 * (`"max_iterations"` to `"maxIterations"`).
 *
 * @example Usage
 * ```ts
 * import type { CamelCase } from "./kernels.ts";
 * const name: CamelCase<"min_points"> = "minPoints";
 * ```
 */
export type CamelCase<S extends string> = S extends `${infer H}_${infer T}`
  ? `${H}${Capitalize<CamelCase<T>>}`
  : S;

type Params<K extends KernelName> = Parameters<CoreModule[K]>;
type Names<K extends KernelName> = typeof KERNEL_PARAMS[K];

/**
 * The options object of kernel `K`: one field per Rust parameter, named in camelCase, typed as
 * the declarations type that parameter.
 *
 * @example Usage
 * ```ts
 * import type { KernelArgs } from "./kernels.ts";
 * const args: KernelArgs<"outliers_zscore"> = { values: new Float64Array([1, 2]), threshold: 3 };
 * ```
 */
export type KernelArgs<K extends KernelName> = {
  [I in keyof Names<K> & `${number}` as CamelCase<Names<K>[I] & string>]: Params<K>[
    I & keyof Params<K>
  ];
};

/**
 * A result as it arrives back from a worker: typed arrays over a plain, transferable
 * `ArrayBuffer`; a wasm-bindgen class instance as the plain object of its getters (the worker
 * copies them out and frees the instance).
 */
type Transferred<T> = T extends Float64Array ? Float64Array<ArrayBuffer>
  : T extends Float32Array ? Float32Array<ArrayBuffer>
  : T extends Uint8Array ? Uint8Array<ArrayBuffer>
  : T extends { free(): void } ? { [P in Exclude<keyof T, "free" | symbol>]: Transferred<T[P]> }
  : T;

/**
 * What kernel `K` returns (typed arrays over a plain `ArrayBuffer`).
 *
 * @example Usage
 * ```ts
 * import type { KernelResult } from "./kernels.ts";
 * const mask: KernelResult<"outliers_mad"> = new Uint8Array(4);
 * ```
 */
export type KernelResult<K extends KernelName> = Transferred<ReturnType<CoreModule[K]>>;

/**
 * A table of kernels a worker runs: for each name, its options object and its result.
 * {@linkcode CoreKernels} is the gam-core one; a test worker adds its own entries.
 *
 * @example Usage
 * ```ts
 * import type { KernelTable } from "./kernels.ts";
 * type Echo = { __test_echo: { args: { value: number }; result: number } };
 * const table: KernelTable = {} as Echo;
 * ```
 */
export type KernelTable = { [name: string]: { args: object; result: unknown } };

/**
 * The kernels of the gam-core wasm module, typed from its generated declarations.
 *
 * @example Usage
 * ```ts
 * import type { CoreKernels } from "./kernels.ts";
 * const args: CoreKernels["core_version"]["args"] = {};
 * ```
 */
export type CoreKernels = {
  [K in KernelName]: { args: KernelArgs<K>; result: KernelResult<K> };
};

/**
 * `snake_case` to `camelCase` at run time (the value-level {@linkcode CamelCase}).
 *
 * @example Usage
 * ```ts
 * import { camelCase } from "./kernels.ts";
 * camelCase("max_iterations"); // "maxIterations"
 * ```
 */
export function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const OPTION_NAMES: ReadonlyMap<string, readonly string[]> = new Map(
  Object.entries(KERNEL_PARAMS).map(([kernel, names]) => [kernel, names.map(camelCase)]),
);

/**
 * The option names of `kernel` in call order, or `undefined` for a name that is not a kernel.
 *
 * @example Usage
 * ```ts
 * import { kernelOptionNames } from "./kernels.ts";
 * kernelOptionNames("hampel"); // ["values", "lineIds", "halfWindow", "threshold"]
 * ```
 */
export function kernelOptionNames(kernel: string): readonly string[] | undefined {
  return OPTION_NAMES.get(kernel);
}

/**
 * The positional argument list of a kernel call from its options object, for an untyped caller
 * (the worker, which receives the name and options in a message).
 *
 * @param kernel The kernel's name.
 * @param args Its options object.
 * @throws {TypeError} when `kernel` is not a gam-core kernel, an option is missing or
 *   `undefined` (wasm-bindgen would turn it into 0 silently), or an option is not one of the
 *   kernel's.
 *
 * @example Usage
 * ```ts
 * import { kernelArgList } from "./kernels.ts";
 * kernelArgList("outliers_iqr", { threshold: 1.5, values: [1, 2, 3] }); // [[1, 2, 3], 1.5]
 * ```
 */
export function kernelArgList(kernel: string, args: Record<string, unknown>): unknown[] {
  const names = OPTION_NAMES.get(kernel);
  if (names === undefined) {
    throw new TypeError(
      `Unknown kernel "${kernel}": expected one of ${[...OPTION_NAMES.keys()].join(", ")}`,
    );
  }
  if (args === null || typeof args !== "object") {
    throw new TypeError(`Kernel ${kernel} takes an options object, received ${typeof args}`);
  }
  for (const key of Object.keys(args)) {
    if (!names.includes(key)) {
      throw new TypeError(
        `Kernel ${kernel} has no option "${key}"; its options are ${names.join(", ") || "(none)"}`,
      );
    }
  }
  return names.map((name) => {
    if (args[name] === undefined) {
      throw new TypeError(`Kernel ${kernel} needs option "${name}", received undefined`);
    }
    return args[name];
  });
}

/**
 * Calls `kernel` of a gam-core module instance with its options object (on the calling
 * thread; {@linkcode WorkerPool.run} does the same in a worker).
 *
 * @param module The instantiated gam-core module (`import * as core from "./wasm/gam_core.js"`).
 * @param kernel The kernel's name.
 * @param args Its options object.
 * @returns What the kernel returns.
 * @throws {TypeError} for an unknown kernel or a missing or foreign option (see
 *   {@linkcode kernelArgList}); the kernel's own `Error` for an invalid value.
 *
 * @example Usage
 * ```ts
 * import { callKernel } from "./kernels.ts";
 * import * as core from "./wasm/gam_core.js";
 * callKernel(core, "core_version", {}); // e.g. "0.1.0"
 * ```
 */
export function callKernel<K extends KernelName>(
  module: CoreModule,
  kernel: K,
  args: KernelArgs<K>,
): KernelResult<K> {
  const list = kernelArgList(kernel, args as Record<string, unknown>);
  const fn = module[kernel] as unknown as (...a: unknown[]) => KernelResult<K>;
  return fn(...list);
}
