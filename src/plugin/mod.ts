/**
 * The GAM plugin API, version {@linkcode PLUGIN_API_VERSION}: everything a source plugin may
 * use of GAM, and nothing of the host's internals. Import it as `@gam/pipeline/plugin` (the
 * `"./plugin"` export of the project's `deno.json`); the host maps that specifier to its own copy
 * of this module when it runs a plugin, as a peer dependency the host provides.
 *
 * - the manifest: {@linkcode PluginManifestSchema} and {@linkcode PluginManifest};
 * - the plugin's shape: {@linkcode PluginModule}, {@linkcode PluginOptions},
 *   {@linkcode SourcePlugin};
 * - the request and its context: {@linkcode FetchRequest} (modality, bbox, params, trace id,
 *   granted hosts, abort signal);
 * - `RawData` builders: {@linkcode pointsData}, {@linkcode gridData};
 * - HTTP that reaches only granted hosts, over HTTPS: {@linkcode fetchBytes};
 * - the errors a plugin may throw: {@linkcode SourceHttpError}, {@linkcode SourceNetworkError}
 *   (both retryable as their status says), {@linkcode InsecureUrlError}; any other `Error` fails
 *   the fetch, and is retried when it carries `retryable: true`.
 *
 * Readers of survey files (GDF, GeoTIFF, netCDF, delimited tables) and unit names are a second
 * entry point of the same API, `@gam/pipeline/plugin/readers`: they load the numeric core,
 * which a plugin that does not read files should not pay for at each start.
 *
 * Versioning: semver. A minor version adds (a field, a function); a major version removes or
 * changes. A plugin declares the version it was written against in `manifest.apiVersion`; a
 * host runs it when the major versions are equal and the plugin's minor is not above the
 * host's. A deprecated field keeps working, marked `@deprecated` with its replacement, until
 * the next major version (see the plugin guide).
 *
 * @example A complete plugin
 * ```ts
 * import {
 *   type FetchRequest, type PluginManifest, pointsData, type SourcePlugin,
 * } from "./mod.ts";
 * export const manifest: PluginManifest = {
 *   id: "centre", version: "1.0.0", apiVersion: "1.1.0", modalities: ["gravity"],
 *   description: "One point of 1 mGal at the centre of the box", licence: "CC0-1.0",
 *   citation: "none", permissions: { net: [], read: [] },
 * };
 * export function createPlugin(): SourcePlugin {
 *   return {
 *     fetch(req: FetchRequest) {
 *       const [w, s, e, n] = req.bbox;
 *       return Promise.resolve(pointsData(req, {
 *         manifest, units: "mGal", lon: [(w + e) / 2], lat: [(s + n) / 2], value: [1],
 *       }));
 *     },
 *   };
 * }
 * ```
 *
 * @module
 */
export {
  type FetchRequest,
  PLUGIN_API_VERSION,
  type PluginManifest,
  PluginManifestSchema,
  type PluginModule,
  type PluginOptions,
  type SourcePlugin,
} from "../ingestion/plugin_api.ts";
export {
  type CacheHint,
  gridData,
  type GridInput,
  type MetadataInput,
  type NumberArray,
  pointsData,
  type PointsInput,
  type RequestInput,
} from "./builders.ts";
export {
  checkSourceUrl,
  displayUrl,
  fetchBytes,
  type FetchBytesOptions,
  parseRetryAfter,
} from "../ingestion/http_source.ts";
export { InsecureUrlError, SourceHttpError, SourceNetworkError } from "../ingestion/errors.ts";
export type { Bbox } from "../contracts/bbox.ts";
export type { LineKind, RawData, RawGrid, RawPoints } from "../contracts/raw_data.ts";
