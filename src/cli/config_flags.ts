/**
 * The configuration flags shared by commands that run on the configuration (`--config`,
 * `--profile` and the overrides `--bbox`, `--workers`, `--output-dir`, `--log-level`), and the
 * one way to turn them into a loaded configuration.
 *
 * @module
 */
import { cliOverrides, loadConfig, type LoadedConfig } from "../config/mod.ts";
import type { FlagSpec } from "./command.ts";

/**
 * Flag specs of the configuration flags, for `parseFlags`.
 *
 * @example Usage
 * ```ts
 * import { CONFIG_FLAGS } from "./config_flags.ts";
 * import { parseFlags } from "./command.ts";
 * parseFlags(["--profile", "dev"], { ...CONFIG_FLAGS });
 * ```
 */
export const CONFIG_FLAGS = {
  config: { type: "string" },
  profile: { type: "string" },
  bbox: { type: "string" },
  workers: { type: "string" },
  "output-dir": { type: "string" },
  "log-level": { type: "string" },
} as const satisfies FlagSpec;

/**
 * Loads the configuration with the precedence of `src/config/loader.ts` (defaults < file <
 * profile < environment < these flags). Absent flags change nothing.
 *
 * @example Usage
 * ```ts
 * import { loadConfigFromFlags } from "./config_flags.ts";
 * // const loaded = await loadConfigFromFlags({ profile: "dev" });
 * ```
 */
export function loadConfigFromFlags(values: Record<string, unknown>): Promise<LoadedConfig> {
  const text = (
    name: string,
  ) => (typeof values[name] === "string" ? values[name] as string : undefined);
  return loadConfig({
    configPath: text("config"),
    profile: text("profile"),
    overrides: cliOverrides({
      bbox: text("bbox"),
      workers: text("workers"),
      outputDir: text("output-dir"),
      logLevel: text("log-level"),
      mode: text("mode"),
    }),
  });
}
