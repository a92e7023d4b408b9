/**
 * Testing a plugin as GAM runs it, for plugin authors' own tests: `@gam/pipeline/plugin/testing`.
 * {@linkcode runPlugin} loads the plugin in the real sandbox (module-graph vetting, its own
 * process holding exactly the given permissions, the handshake) and fetches once through the
 * ingestion service, so the data is validated exactly as in a run. This entry point is the
 * host's, for tests: a plugin's own modules may not import it (the vetting refuses them).
 *
 * @module
 */
import type { Bbox, RawData } from "../contracts/mod.ts";
import {
  DEFAULT_RESILIENCE,
  IngestionService,
  type PermissionGrant,
  type PluginManifest,
  probePlugin,
  SandboxedPlugin,
} from "../ingestion/mod.ts";

/** Options of {@linkcode runPlugin}. */
export interface RunPluginOptions {
  /** The bbox to fetch, `[minLon, minLat, maxLon, maxLat]`, degrees. */
  bbox: Bbox;
  /** The modality. @default the manifest's first */
  modality?: string;
  /** Plugin params. @default {} */
  params?: Record<string, unknown>;
  /**
   * The permissions granted. @default exactly what the manifest requests (`net`, `read`)
   */
  permissions?: PermissionGrant;
  /** Hosts it may reach over plain http (a loopback test server). @default [] */
  allowInsecureHttp?: readonly string[];
  /** Time allowed for the fetch, ms. @default 60000 */
  timeoutMs?: number;
  /**
   * The run's working folder (the plugin process's too; base of relative read paths). It may
   * not be the plugin's package folder, which is where a plugin's tests usually run.
   * @default a new empty temporary folder, removed afterwards
   */
  baseDir?: string;
}

/** What {@linkcode runPlugin} returns. */
export interface PluginRun {
  /** The data, validated against the `RawData` contract. */
  data: RawData;
  /** The validated manifest. */
  manifest: PluginManifest;
  /** Module URL and SHA-256 of the vetted module graph. */
  identity: { module: string; graphHash: string };
}

/**
 * Loads a plugin in the sandbox and fetches once (one attempt: the first error is thrown).
 *
 * @param module The plugin's module URL (`new URL("./mod.ts", import.meta.url)`).
 * @param options The bbox, modality, params and grant.
 * @returns The validated data, the manifest and the plugin's identity.
 * @throws {PluginLoadError} when the sandbox refuses the plugin.
 * @throws {ModalityFetchError} when the fetch fails; `cause` holds the plugin's error.
 *
 * A plugin's test that fetches over HTTP serves its data itself (`allowInsecureHttp` for the
 * loopback server): src/cli/commands/plugin_init_test.ts runs the scaffolded plugin's test.
 *
 * @example The repository's synthetic plugin, through the real sandbox
 * ```ts
 * import { runPlugin } from "./testing.ts";
 * const { data, manifest } = await runPlugin(
 *   new URL("../plugins/synthetic/mod.ts", import.meta.url),
 *   { bbox: [10, 45, 10.2, 45.2], modality: "gravity", params: { seed: 7 } },
 * );
 * console.assert(manifest.modalities.includes("gravity") && data.modality === "gravity");
 * ```
 */
export async function runPlugin(
  module: string | URL,
  options: RunPluginOptions,
): Promise<PluginRun> {
  const url = String(module);
  const baseDir = options.baseDir ?? await Deno.makeTempDir({ prefix: "gam-plugin-run-" });
  try {
    const { manifest } = await probePlugin({
      plugin: url.split("/").pop() ?? url,
      module: url,
      permissions: { import: options.permissions?.import ?? [] },
      baseDir,
    });
    const modality = options.modality ?? manifest.modalities[0];
    const plugin = await SandboxedPlugin.load({
      plugin: manifest.id,
      module: url,
      modality,
      permissions: options.permissions ?? manifest.permissions,
      params: options.params ?? {},
      allowInsecureHttp: options.allowInsecureHttp,
      baseDir,
    });
    const service = new IngestionService({
      providers: { [modality]: plugin },
      resilience: {
        [modality]: {
          ...DEFAULT_RESILIENCE,
          timeoutMs: options.timeoutMs ?? 60_000,
          retry: { ...DEFAULT_RESILIENCE.retry, maxAttempts: 1 },
        },
      },
    });
    try {
      const { data } = await service.fetch(modality, options.bbox, { params: options.params });
      return { data, manifest, identity: plugin.identity };
    } finally {
      await service.close();
    }
  } finally {
    if (options.baseDir === undefined) await Deno.remove(baseDir, { recursive: true });
  }
}
