/**
 * Ingestion: `fetch(modality, bbox) -> RawData` through sandboxed source plugins under the
 * modality's resilience policies.
 *
 * - {@linkcode IngestionService}: the service (provider map injected; validation, events,
 *   logs, metrics). It never reads the cache: `IngestionCache.getOrFetch` owns fetch-through
 *   and serves an expired copy only when {@linkcode isSourceDown}.
 * - {@linkcode SandboxedPlugin}: a plugin in its own child process with exactly the granted
 *   permissions; {@linkcode loadProviders} builds the provider map from the configuration.
 * - Plugin API types ({@linkcode PluginManifest}, {@linkcode SourcePlugin}, ...) for authors.
 *
 * @example Fetch the synthetic survey through its sandbox
 * ```ts
 * import { IngestionService, loadProviders } from "./mod.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const { config } = await loadConfig({ profile: "dev" });
 * const { providers } = await loadProviders(config);
 * const service = new IngestionService({ providers, resilience: config.modalities });
 * const { data } = await service.fetch("gravity", config.defaults.bbox);
 * await service.close();
 * ```
 *
 * @module
 */
export * from "./plugin_api.ts";
export * from "./errors.ts";
export * from "./cache_key.ts";
export * from "./http_source.ts";
export * from "./rate_limiter.ts";
export * from "./resilience.ts";
export * from "./metrics.ts";
export * from "./permissions.ts";
export * from "./service.ts";
export * from "./sandbox.ts";
export * from "./providers.ts";
export * from "./module_graph.ts";
