/**
 * The source-plugin API of GAM, version {@linkcode PLUGIN_API_VERSION}: what a plugin module
 * exports and what the ingestion service asks of it. Plugins import these through the public
 * plugin API, `@gam/pipeline/plugin` (`src/plugin/mod.ts`), never from here.
 *
 * A plugin is an ES module exporting
 * - `manifest`: a {@linkcode PluginManifest} (validated with {@linkcode PluginManifestSchema}),
 * - `createPlugin(options)`: a factory returning a {@linkcode SourcePlugin}.
 *
 * Importing the module must have no side effects. The plugin runs in its own process holding
 * exactly the permissions the configuration grants; a module that touches anything ungranted at
 * import time is refused. Its module graph may import only files of its own package folder and
 * remote modules of its granted import hosts (checked before anything runs).
 *
 * @example A complete plugin module
 * ```ts
 * import type { PluginManifest, SourcePlugin } from "./plugin_api.ts";
 * export const manifest: PluginManifest = {
 *   id: "constant", version: "1.0.0", apiVersion: "1.0.0", modalities: ["gravity"],
 *   description: "One point of 1 mGal at the centre of the box", licence: "CC0-1.0",
 *   citation: "none", permissions: { net: [], read: [] },
 * };
 * export function createPlugin(): SourcePlugin {
 *   return {
 *     fetch(req) {
 *       const [w, s, e, n] = req.bbox;
 *       return Promise.resolve({
 *         source: { plugin: manifest.id, version: manifest.version }, modality: req.modality,
 *         kind: "points", bbox: req.bbox, units: "mGal", crs: "EPSG:4326",
 *         metadata: { retrievedAt: new Date().toISOString(), licence: "CC0-1.0", citation: "none" },
 *         points: { lon: new Float64Array([(w + e) / 2]), lat: new Float64Array([(s + n) / 2]),
 *           value: new Float64Array([1]) },
 *       });
 *     },
 *   };
 * }
 * ```
 *
 * @module
 */
import { z } from "zod";
import type { Bbox } from "../contracts/mod.ts";
import type { RawData } from "../contracts/mod.ts";

/**
 * The plugin API version this host implements (semver). A plugin is compatible when its
 * `apiVersion` has the same major version and a minor version not above this one.
 *
 * @example Usage
 * ```ts
 * import { PLUGIN_API_VERSION } from "./plugin_api.ts";
 * console.log(PLUGIN_API_VERSION); // "1.2.0"
 * ```
 */
export const PLUGIN_API_VERSION = "1.2.0";

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const ID = /^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$/;
const HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:]+\])(?::\d{1,5})?$/i;

/**
 * The zod schema of a plugin manifest.
 *
 * @example Usage
 * ```ts
 * import { PluginManifestSchema } from "./plugin_api.ts";
 * PluginManifestSchema.safeParse({ id: "x" }).success; // false
 * ```
 */
export const PluginManifestSchema = z.strictObject({
  /** Plugin id: lower case, digits, `-` or `_` between words (`"icgem"`, `"my-survey"`). */
  id: z.string().regex(ID, 'expected a lower-case id such as "my-survey"'),
  /** Plugin version (semver). Part of every cache key. */
  version: z.string().regex(SEMVER, 'expected a semver version such as "1.2.0"'),
  /** The plugin API version the plugin was written against (semver). */
  apiVersion: z.string().regex(SEMVER, 'expected a semver version such as "1.0.0"'),
  /** Modalities the plugin can serve, e.g. `["gravity"]`. */
  modalities: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/, "expected a lower-case modality"))
    .min(1, "expected at least one modality"),
  /** One-sentence description. */
  description: z.string().min(1),
  /** Licence of the data it serves (SPDX id or words). */
  licence: z.string().min(1),
  /** How to cite the data it serves. */
  citation: z.string().min(1),
  /** DOI of the data it serves (or of the service's reference paper), when there is one. */
  doi: z.string().regex(/^10\.\d{4,9}\/\S+$/, "expected a DOI such as 10.5880/icgem.2015.1")
    .optional(),
  /** Permissions the plugin needs; each must be granted by the configuration. */
  permissions: z.strictObject({
    /** Network hosts (`host` or `host:port`) the plugin contacts. */
    net: z.array(z.string().regex(HOST, "expected a host or host:port")).default([]),
    /** File-system paths the plugin reads (files or folders). */
    read: z.array(z.string().min(1)).default([]),
  }),
});

/**
 * A plugin manifest. See {@linkcode PluginManifestSchema}.
 *
 * @example Usage
 * ```ts
 * import type { PluginManifest } from "./plugin_api.ts";
 * const m: PluginManifest = {
 *   id: "x", version: "1.0.0", apiVersion: "1.0.0", modalities: ["gravity"], description: "d",
 *   licence: "CC0-1.0", citation: "c", permissions: { net: [], read: [] },
 * };
 * ```
 */
export type PluginManifest = z.infer<typeof PluginManifestSchema>;

/**
 * One fetch request handed to a plugin.
 *
 * @example Usage
 * ```ts
 * import type { FetchRequest } from "./plugin_api.ts";
 * const req: FetchRequest = {
 *   modality: "gravity", bbox: [16, -35, 33, -22], params: {}, traceId: "fetch-1",
 *   traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
 *   grantedHosts: [], correlationId: "fetch-1", signal: new AbortController().signal,
 * };
 * ```
 */
export interface FetchRequest {
  /** The modality asked for; one of the manifest's modalities. */
  modality: string;
  /** `[minLon, minLat, maxLon, maxLat]`, degrees, validated. Returned data must lie inside. */
  bbox: Bbox;
  /** Plugin parameters from the configuration (JSON values). */
  params: Record<string, unknown>;
  /**
   * Trace id of this fetch (the run's logs and the run manifest carry the same id): put it in
   * your log lines. Since API 1.1.0.
   */
  traceId: string;
  /**
   * The W3C Trace Context header of this fetch (`00-<trace id>-<span id>-<flags>`): the trace of
   * the run (or queued job) that asked for the data, with a span of its own. Send it as the
   * `traceparent` request header of the requests you make for this fetch, so the source's logs
   * can be joined to ours (the built-in HTTP plugins do). Since API 1.2.0.
   */
  traceparent: string;
  /**
   * The network hosts (`host` or `host:port`) this plugin process was granted
   * (`source.permissions.net`); every other host is refused by the runtime. Since API 1.1.0.
   */
  grantedHosts: readonly string[];
  /**
   * The same value as {@linkcode FetchRequest.traceId}.
   *
   * @deprecated Since API 1.1.0: use `traceId`. Removed in API 2.0.0.
   */
  correlationId: string;
  /** Aborted when the attempt times out or the run is cancelled; stop work promptly. */
  signal: AbortSignal;
}

/**
 * What the host passes to a provider's `fetch`: a {@linkcode FetchRequest} whose `traceId` may
 * be left out (it defaults to `correlationId`), whose `traceparent` may be left out (a new
 * trace) and whose `grantedHosts` the sandbox fills in from the grant.
 *
 * @example Usage
 * ```ts
 * import type { ProviderRequest } from "./plugin_api.ts";
 * const req: ProviderRequest = {
 *   modality: "gravity", bbox: [16, -35, 33, -22], params: {}, correlationId: "fetch-1",
 *   signal: new AbortController().signal,
 * };
 * ```
 */
export type ProviderRequest =
  & Omit<FetchRequest, "traceId" | "grantedHosts" | "traceparent">
  & Partial<Pick<FetchRequest, "traceId" | "grantedHosts" | "traceparent">>;

/**
 * Options given to `createPlugin`.
 *
 * @example Usage
 * ```ts
 * import type { PluginOptions } from "./plugin_api.ts";
 * const o: PluginOptions = { params: { model: "EIGEN-6C4" }, allowInsecureHttp: [] };
 * ```
 */
export interface PluginOptions {
  /** Plugin parameters from the configuration (also passed on every request). */
  params: Record<string, unknown>;
  /**
   * The resolved secret of the modality's auth profile (an API key or token), when one is
   * configured. Never log it; the host redacts it from everything it prints.
   */
  auth?: string;
  /** Hosts for which plain `http:` is allowed (loopback test servers); HTTPS otherwise. */
  allowInsecureHttp: readonly string[];
  /**
   * A folder the plugin may write (and read): created by the host for the plugin's process and
   * removed when that process ends. The only place a sandboxed plugin can write.
   */
  scratchDir?: string;
}

/**
 * What `createPlugin` returns.
 *
 * @example Usage
 * ```ts
 * import type { SourcePlugin } from "./plugin_api.ts";
 * const p: SourcePlugin = { fetch: () => Promise.reject(new Error("not implemented")) };
 * ```
 */
export interface SourcePlugin {
  /**
   * Fetches data for the request. Resolves to a `RawData` whose bbox is the request's bbox
   * and whose points (or grid extent) lie inside it. Throw `SourceHttpError` or
   * `SourceNetworkError` (from `http_source.ts`) for failures a retry may cure.
   */
  fetch(request: FetchRequest): Promise<RawData>;
  /** Releases resources (optional). */
  close?(): void | Promise<void>;
}

/**
 * The shape of a plugin module.
 *
 * @example Usage
 * ```ts
 * import type { PluginModule } from "./plugin_api.ts";
 * // const mod = (await import("./my_plugin.ts")) as PluginModule;
 * ```
 */
export interface PluginModule {
  /** The manifest. */
  manifest: PluginManifest;
  /** The factory. */
  createPlugin(options: PluginOptions): SourcePlugin | Promise<SourcePlugin>;
}

/**
 * Why a plugin's `apiVersion` is incompatible with this host, or `undefined` when it is
 * compatible (same major version, minor not above the host's).
 *
 * @param apiVersion The plugin's `apiVersion`.
 * @param host The host's version. @default PLUGIN_API_VERSION
 *
 * @example Usage
 * ```ts
 * import { apiVersionProblem } from "./plugin_api.ts";
 * apiVersionProblem("2.0.0"); // "plugin API 2.0.0 is not compatible with host API 1.1.0 ..."
 * ```
 */
export function apiVersionProblem(
  apiVersion: string,
  host: string = PLUGIN_API_VERSION,
): string | undefined {
  const [pMaj, pMin] = apiVersion.split(".").map(Number);
  const [hMaj, hMin] = host.split(".").map(Number);
  if (pMaj === hMaj && pMin <= hMin) return undefined;
  return `plugin API ${apiVersion} is not compatible with host API ${host} ` +
    `(expected ${hMaj}.x with minor <= ${hMin})`;
}
