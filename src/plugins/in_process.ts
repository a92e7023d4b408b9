/**
 * The built-in plugins' code, for running one in this process: tests, benchmarks and fixture
 * generators call `createPlugin()` directly (no sandbox) or use the synthetic model. `gam`
 * itself never imports this: it runs plugins in sandboxes (see `./mod.ts`).
 *
 * @example A synthetic survey without a sandbox
 * ```ts
 * import { mulberry32, synthetic } from "./in_process.ts";
 * console.assert(synthetic.manifest.id === "synthetic");
 * const plugin = synthetic.createPlugin();
 * await plugin.close?.();
 * console.assert(mulberry32(1)() === mulberry32(1)());
 * ```
 *
 * @module
 */
export * as file from "./file/mod.ts";
export * as http from "./http/mod.ts";
export * as icgem from "./icgem/mod.ts";
export * as synthetic from "./synthetic/mod.ts";
export { mulberry32 } from "./synthetic/model.ts";
