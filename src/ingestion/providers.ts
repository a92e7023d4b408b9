/**
 * Building the provider map from the configuration: one sandboxed plugin per enabled
 * modality, loaded on start (not per fetch). A modality whose plugin is refused is reported
 * in `failures` and the others go on.
 *
 * @module
 */
import type { GamConfig } from "../config/mod.ts";
import { resolveSecret } from "../config/mod.ts";
import { resolvePluginModule, SandboxedPlugin } from "./sandbox.ts";

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
 * ```ts ignore
 * import { loadProviders } from "./providers.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const { providers, failures } = await loadProviders((await loadConfig()).config);
 * ```
 */
export async function loadProviders(
  config: Pick<GamConfig, "modalities" | "auth">,
  options: LoadProvidersOptions = {},
): Promise<LoadedProviders> {
  const providers = new Map<string, SandboxedPlugin>();
  const failures = new Map<string, Error>();
  const baseDir = options.baseDir ?? Deno.cwd();
  const wanted = Object.entries(config.modalities).filter(([name, m]) =>
    options.modalities ? options.modalities.includes(name) : m.enabled
  );
  await Promise.all(wanted.map(async ([modality, m]) => {
    try {
      const src = m.source;
      const auth = src.auth === undefined
        ? undefined
        : await resolveSecret(config, src.auth, { getEnv: options.getEnv });
      const plugin = await SandboxedPlugin.load({
        plugin: src.plugin,
        module: resolvePluginModule(src.plugin, src.module, baseDir),
        modality,
        permissions: src.permissions,
        params: src.params as Record<string, unknown>,
        auth,
        allowInsecureHttp: src.allowInsecureHttp,
        baseDir,
      });
      providers.set(modality, plugin);
    } catch (e) {
      failures.set(modality, e as Error);
    }
  }));
  return { providers, failures };
}
