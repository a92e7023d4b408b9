/**
 * Overrides applied over the configuration files: environment variables
 * (`GAM__<SECTION>__<KEY>...`) and command-line flags. Each override is a path, a value and
 * the name of where it came from (`env GAM__DEFAULTS__WORKERS`, `flag --workers`), which
 * the loader quotes in errors. Values are validated by the same schema as the files.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";
import type { Bbox } from "../contracts/mod.ts";
import type { ConfigIssue } from "./config_error.ts";
import { getAt, isRecord, type Path } from "./_layers.ts";
import { TOP_LEVEL_KEYS } from "./schema.ts";

/**
 * One value to set in the merged configuration before validation.
 *
 * @example Usage
 * ```ts
 * import type { ConfigOverride } from "./overrides.ts";
 * const o: ConfigOverride = { path: ["defaults", "workers"], value: 4, source: "flag --workers" };
 * ```
 */
export interface ConfigOverride {
  /** Keys (and list indices) from the top of the configuration. */
  path: readonly (string | number)[];
  /** The value, before validation. */
  value: unknown;
  /** Where it came from, quoted in errors: `env NAME` or `flag --name`. */
  source: string;
}

/** Prefix of configuration environment variables. */
export const ENV_PREFIX = "GAM__";

/** Mappings whose keys are user-chosen names (kept lower case, not camelCased). */
const NAME_MAPS = new Set(["modalities", "auth"]);

function norm(s: string): string {
  return s.toLowerCase().replaceAll("_", "");
}

function camel(seg: string): string {
  return seg.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function parseEnvValue(text: string, lastKey: string): unknown {
  if (lastKey === "bbox" && /^[^[\]]*,[^[\]]*$/.test(text)) {
    return text.split(",").map((s) => (s.trim() === "" ? NaN : Number(s.trim())));
  }
  return parseYaml(text);
}

/**
 * Turns `GAM__...` environment variables into overrides. The first segment is a top-level
 * section (`DEFAULTS`, `SERVICE`, `AUTH`, `MODALITIES`) or, as a short form, the name of a
 * modality (`GAM__GRAVITY__RETRY__MAX_ATTEMPTS` means `modalities.gravity.retry.maxAttempts`).
 * SNAKE_CASE segments map to the existing key that matches ignoring case and underscores,
 * else to camelCase (`MAX_ATTEMPTS` to `maxAttempts`); modality and auth profile names stay
 * lower snake case. Values are YAML scalars or flow collections (`5`, `true`, `"7d"`,
 * `[a, b]`); `GAM__DEFAULTS__BBOX=10,45,11,46` is accepted too. Variables are applied in
 * name order.
 *
 * @param env The environment, e.g. `Deno.env.toObject()`.
 * @param current The merged file configuration, used to resolve names.
 * @returns Overrides, and issues for variables that cannot be mapped or parsed.
 *
 * @example Usage
 * ```ts
 * import { envOverrides } from "./overrides.ts";
 * const { overrides } = envOverrides(
 *   { GAM__GRAVITY__RETRY__MAX_ATTEMPTS: "5" },
 *   { modalities: { gravity: {} } },
 * );
 * overrides[0].path; // ["modalities", "gravity", "retry", "maxAttempts"]
 * ```
 */
export function envOverrides(
  env: Record<string, string>,
  current: unknown,
): { overrides: ConfigOverride[]; issues: ConfigIssue[] } {
  const overrides: ConfigOverride[] = [];
  const issues: ConfigIssue[] = [];
  const names = Object.keys(env).filter((n) => n.startsWith(ENV_PREFIX)).sort();
  for (const name of names) {
    const source = `env ${name}`;
    const segs = name.slice(ENV_PREFIX.length).split("__");
    if (segs.some((s) => s === "")) {
      issues.push({
        file: source,
        path: "",
        message: `expected GAM__SECTION__KEY with single words or SNAKE_CASE between "__", ` +
          `got "${name}"`,
      });
      continue;
    }
    const path: (string | number)[] = [];
    const first = segs[0].toLowerCase();
    const modalities = getAt(current, ["modalities"]);
    if ((TOP_LEVEL_KEYS as readonly string[]).includes(first)) {
      path.push(first);
    } else if (isRecord(modalities) && first in modalities) {
      path.push("modalities", first);
    } else {
      issues.push({
        file: source,
        path: "",
        message: `"${segs[0]}" is neither a section (${
          TOP_LEVEL_KEYS.map((k) => k.toUpperCase()).join(", ")
        }) nor a modality defined in the configuration`,
      });
      continue;
    }
    if (path.length + segs.length - 1 < 2) {
      issues.push({
        file: source,
        path: path.join("."),
        message: "expected a key below the section, e.g. GAM__DEFAULTS__WORKERS",
      });
      continue;
    }
    for (const seg of segs.slice(1)) {
      const parent = getAt(current, path);
      const existing = isRecord(parent)
        ? Object.keys(parent).find((k) => norm(k) === norm(seg))
        : undefined;
      if (existing !== undefined) path.push(existing);
      else if (path.length === 1 && NAME_MAPS.has(String(path[0]))) path.push(seg.toLowerCase());
      else if (path.length === 2 && path[0] === "execution" && path[1] === "profiles") {
        path.push(seg.toLowerCase()); // profile names are user-chosen, like modality names
      } else if (Array.isArray(parent) && /^\d+$/.test(seg)) path.push(Number(seg));
      else path.push(camel(seg));
    }
    try {
      overrides.push({ path, value: parseEnvValue(env[name], String(path.at(-1))), source });
    } catch (e) {
      issues.push({
        file: source,
        path: path.join("."),
        message: `expected a YAML value, got a syntax error: ${
          (e as Error).message.split("\n")[0]
        }`,
      });
    }
  }
  return { overrides, issues };
}

/**
 * Command-line flags that override the configuration. Text values are accepted as given on
 * the command line and converted (`"4"` to 4, `"10,45,11,46"` to a box); validation is the
 * schema's, so errors name the flag.
 *
 * @example Usage
 * ```ts
 * import type { CliFlags } from "./overrides.ts";
 * const flags: CliFlags = { bbox: "10,45,11,46", workers: "2" };
 * ```
 */
export interface CliFlags {
  /** `--bbox minLon,minLat,maxLon,maxLat`: `defaults.bbox`. */
  bbox?: string | Bbox;
  /** `--workers N`: `defaults.workers`. */
  workers?: string | number;
  /** `--output-dir DIR`: `defaults.outputDir`. */
  outputDir?: string;
  /** `--cache-dir DIR`: `defaults.cacheDir`. */
  cacheDir?: string;
  /** `--log-level LEVEL`: `defaults.logLevel`. */
  logLevel?: string;
  /** `--log-format json|pretty`: `defaults.logFormat`. */
  logFormat?: string;
  /** `--mode local|queue`: `execution.mode`. */
  mode?: string;
}

const FLAG_PATHS: Record<keyof CliFlags, [flag: string, path: Path]> = {
  bbox: ["--bbox", ["defaults", "bbox"]],
  workers: ["--workers", ["defaults", "workers"]],
  outputDir: ["--output-dir", ["defaults", "outputDir"]],
  cacheDir: ["--cache-dir", ["defaults", "cacheDir"]],
  logLevel: ["--log-level", ["defaults", "logLevel"]],
  logFormat: ["--log-format", ["defaults", "logFormat"]],
  mode: ["--mode", ["execution", "mode"]],
};

/**
 * Turns command-line flags into overrides (the highest precedence).
 *
 * @param flags Flag values; `undefined` ones are skipped.
 * @returns One override per given flag, with `source` `flag --name`.
 *
 * @example Usage
 * ```ts
 * import { cliOverrides } from "./overrides.ts";
 * cliOverrides({ workers: "4" }); // [{ path: ["defaults", "workers"], value: 4, source: "flag --workers" }]
 * ```
 */
export function cliOverrides(flags: CliFlags): ConfigOverride[] {
  const out: ConfigOverride[] = [];
  for (const key of Object.keys(FLAG_PATHS) as (keyof CliFlags)[]) {
    const raw = flags[key];
    if (raw === undefined) continue;
    const [flag, path] = FLAG_PATHS[key];
    let value: unknown = raw;
    if (key === "bbox" && typeof raw === "string") {
      value = raw.split(",").map((s) => (s.trim() === "" ? NaN : Number(s.trim())));
    } else if (key === "workers" && typeof raw === "string" && raw.trim() !== "") {
      value = Number.isFinite(Number(raw)) ? Number(raw) : raw;
    }
    out.push({ path, value, source: `flag ${flag}` });
  }
  return out;
}
