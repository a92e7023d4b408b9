/**
 * The built-in source plugins: `synthetic`, `file`, `icgem` and `http`, each a module
 * `src/plugins/<id>/mod.ts` that imports nothing of GAM but the plugin API
 * (`@gam/pipeline/plugin`). `gam` runs them in sandboxed child processes, never in its own:
 * this surface names them and gives their module URLs, and loads none of their code.
 *
 * Their code, for running one in this process (tests, benchmarks, fixtures), is the
 * sub-surface `./in_process.ts`.
 *
 * @example Usage
 * ```ts
 * import { BUILTIN_PLUGINS, builtinPluginUrl, isBuiltinPlugin } from "./mod.ts";
 * console.assert(BUILTIN_PLUGINS.includes("synthetic") && isBuiltinPlugin("file"));
 * console.assert(builtinPluginUrl("http").endsWith("/src/plugins/http/mod.ts"));
 * ```
 *
 * @module
 */

/** The built-in plugin ids, found under `src/plugins/<id>/mod.ts`. */
export const BUILTIN_PLUGINS = ["synthetic", "file", "icgem", "http"] as const;

/** A built-in plugin id. */
export type BuiltinPluginId = typeof BUILTIN_PLUGINS[number];

/**
 * Whether `id` is a built-in plugin.
 *
 * @param id A plugin id (`source.plugin`).
 * @returns `true` for {@linkcode BUILTIN_PLUGINS}.
 *
 * @example Usage
 * ```ts
 * import { isBuiltinPlugin } from "./mod.ts";
 * console.assert(!isBuiltinPlugin("mine"));
 * ```
 */
export function isBuiltinPlugin(id: string): id is BuiltinPluginId {
  return (BUILTIN_PLUGINS as readonly string[]).includes(id);
}

/**
 * The module URL of a built-in plugin (what the sandbox loads).
 *
 * @param id A built-in plugin id.
 * @returns A `file:` URL.
 *
 * @example Usage
 * ```ts
 * import { builtinPluginUrl } from "./mod.ts";
 * console.assert(builtinPluginUrl("file").startsWith("file:"));
 * ```
 */
export function builtinPluginUrl(id: BuiltinPluginId): string {
  return new URL(`./${id}/mod.ts`, import.meta.url).href;
}
