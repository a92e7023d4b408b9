/**
 * Building the provider map from the configuration: one sandboxed plugin per enabled
 * modality, loaded on start (not per fetch). A modality whose plugin is refused is reported
 * in `failures` and the others go on.
 *
 * @module
 */
import type { GamConfig } from "../config/mod.ts";
import { resolveSecret } from "../config/mod.ts";
import { createHash } from "node:crypto";
import { canonicalJson } from "./cache_key.ts";
import { type LoadPluginOptions, resolvePluginModule, SandboxedPlugin } from "./sandbox.ts";
import type { SourceProvider } from "./service.ts";

/** Options of {@linkcode loadProviders}. */
export interface LoadProvidersOptions {
  /** Only these modalities. @default every enabled modality */
  modalities?: readonly string[];
  /** Base of relative module and permission paths. @default Deno.cwd() */
  baseDir?: string;
  /** Environment access for auth profiles (tests). @default Deno.env.get */
  getEnv?: (name: string) => string | undefined;
}

/** What {@linkcode loadProviders} returns. */
export interface LoadedProviders {
  /** A provider per modality that loaded. */
  providers: Map<string, SandboxedPlugin>;
  /** Why a modality's plugin was refused. */
  failures: Map<string, Error>;
}

/**
 * Loads the plugins of the configured modalities, each in its own sandbox.
 *
 * @example Usage
 * ```ts
 * import { loadProviders } from "./providers.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const { providers, failures } = await loadProviders((await loadConfig({ profile: "dev" })).config);
 * for (const plugin of providers.values()) await plugin.close();
 * failures.size; // 0: every configured plugin loaded
 * ```
 */
export async function loadProviders(
  config: Pick<GamConfig, "modalities" | "auth">,
  options: LoadProvidersOptions = {},
): Promise<LoadedProviders> {
  const providers = new Map<string, SandboxedPlugin>();
  const failures = new Map<string, Error>();
  await Promise.all(
    wanted(config, options).map(async ([modality]) => {
      try {
        const { load } = await prepare(config, modality, options);
        providers.set(modality, await SandboxedPlugin.load(load));
      } catch (e) {
        failures.set(modality, e as Error);
      }
    }),
  );
  return { providers, failures };
}

function wanted(config: Pick<GamConfig, "modalities">, options: LoadProvidersOptions) {
  return Object.entries(config.modalities).filter(([name, m]) =>
    options.modalities ? options.modalities.includes(name) : m.enabled
  );
}

/** The load options of a modality's plugin, and a key that changes when any of them does. */
async function prepare(
  config: Pick<GamConfig, "modalities" | "auth">,
  modality: string,
  options: LoadProvidersOptions,
): Promise<{ load: LoadPluginOptions; key: string }> {
  const baseDir = options.baseDir ?? Deno.cwd();
  const src = config.modalities[modality].source;
  const auth = src.auth === undefined
    ? undefined
    : await resolveSecret(config, src.auth, { getEnv: options.getEnv });
  const load: LoadPluginOptions = {
    plugin: src.plugin,
    module: resolvePluginModule(src.plugin, src.module, baseDir),
    modality,
    permissions: src.permissions,
    params: src.params as Record<string, unknown>,
    auth,
    allowInsecureHttp: src.allowInsecureHttp,
    limits: src.limits,
    baseDir,
    npmRegistry: src.registry,
  };
  // The secret enters the key as a hash: a rotated secret starts a new process.
  const secret = auth === undefined ? null : createHash("sha256").update(auth).digest("hex");
  const key = canonicalJson({ ...load, auth: secret }, "plugin options");
  return { load, key };
}

/** What {@linkcode PluginPool.load} returns. */
export interface PooledProviders {
  /** A provider per modality that loaded; closing it leaves the pooled process running. */
  providers: Map<string, SourceProvider>;
  /** Why a modality's plugin was refused. */
  failures: Map<string, Error>;
}

/**
 * Plugins kept warm between runs (`gam serve`): each modality's plugin process is started once
 * and reused by every run whose configuration of that source (module, grants, params, secret,
 * limits) is unchanged; a changed one replaces it. A crashed process is replaced at the next
 * fetch by the plugin itself.
 *
 * @example Usage
 * ```ts
 * import { PluginPool } from "./providers.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const { config } = await loadConfig({ profile: "dev" });
 * const pool = new PluginPool();
 * const { providers } = await pool.load(config); // same processes on the next call
 * await pool.close();
 * ```
 */
export class PluginPool {
  readonly #entries = new Map<string, { key: string; plugin: Promise<SandboxedPlugin> }>();

  /** The pooled plugin of a modality, if one is loaded (for tests and metrics). */
  async plugin(modality: string): Promise<SandboxedPlugin | undefined> {
    return await this.#entries.get(modality)?.plugin.catch(() => undefined);
  }

  /** Loads (or reuses) the plugins of the configured modalities. */
  async load(
    config: Pick<GamConfig, "modalities" | "auth">,
    options: LoadProvidersOptions = {},
  ): Promise<PooledProviders> {
    const providers = new Map<string, SourceProvider>();
    const failures = new Map<string, Error>();
    await Promise.all(
      wanted(config, options).map(async ([modality]) => {
        try {
          const { load, key } = await prepare(config, modality, options);
          let entry = this.#entries.get(modality);
          if (entry && entry.key !== key) {
            await entry.plugin.then((p) => p.close(), () => {});
            entry = undefined;
          }
          if (!entry) {
            entry = { key, plugin: SandboxedPlugin.load(load) };
            this.#entries.set(modality, entry);
          }
          const current = entry;
          const plugin = await current.plugin.catch((e) => {
            if (this.#entries.get(modality) === current) this.#entries.delete(modality);
            throw e;
          });
          providers.set(modality, {
            id: plugin.id,
            version: plugin.version,
            identity: plugin.identity,
            fetch: (request) => plugin.fetch(request),
          });
        } catch (e) {
          failures.set(modality, e as Error);
        }
      }),
    );
    return { providers, failures };
  }

  /**
   * Stops the pooled plugins of modalities not in `modalities` (after a configuration change
   * disabled or removed them).
   */
  async retain(modalities: readonly string[]): Promise<void> {
    const gone = [...this.#entries].filter(([m]) => !modalities.includes(m));
    for (const [m] of gone) this.#entries.delete(m);
    await Promise.all(gone.map(([, e]) => e.plugin.then((p) => p.close(), () => {})));
  }

  /** Stops every pooled plugin process. */
  async close(): Promise<void> {
    const all = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(all.map((e) => e.plugin.then((p) => p.close(), () => {})));
  }
}
