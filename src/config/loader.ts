/**
 * Loads the effective configuration: files, profile, environment and flags, validated.
 *
 * Precedence, lowest first (each level overrides the ones before it):
 *
 * 1. **Built-in defaults** of the schema (`outputDir: out`, `retry.maxAttempts: 4`, ...).
 * 2. **Base file**: `config/ingestion.yaml`, or the file given as `configPath` (`--config`).
 * 3. **Profile**: `<profilesDir>/<name>.yaml` (default `profiles/` beside the base file), named
 *    by the `profile` option (`--profile`) or else the `GAM_PROFILE` environment variable,
 *    deep-merged over the base: mappings merge key by key, lists and scalars replace, `null`
 *    removes a key. A missing profile file is an error listing the available profiles.
 * 4. **Environment overrides**: `GAM__<SECTION>__<KEY>...=value`, e.g.
 *    `GAM__DEFAULTS__WORKERS=4`, `GAM__GRAVITY__RETRY__MAX_ATTEMPTS=5` (short form of
 *    `GAM__MODALITIES__GRAVITY__...`); see {@linkcode envOverrides}.
 * 5. **Command-line flags** (`--bbox`, `--workers`, `--output-dir`, `--log-level`, ...) passed
 *    as `overrides`; see {@linkcode cliOverrides}.
 *
 * The merged object is validated once by {@linkcode ConfigSchema}; every problem is reported
 * together in a {@linkcode ConfigError}, each with the file (or `env NAME` / `flag --name`),
 * YAML path, line, column, what was expected and what was received. An invalid configuration
 * is never returned. The returned configuration is deeply frozen.
 *
 * Paths in the configuration (outputDir, cacheDir, fromFile, plugin modules and permissions)
 * are relative to the working directory, as Deno's own permission flags are.
 *
 * @module
 */
import { ConfigError, type ConfigIssue } from "./config_error.ts";
import { ConfigSchema, type GamConfig, NAME_PATTERN } from "./schema.ts";
import { dirname, join as joinPath } from "node:path";
import { isRecord, type Layer, mergeLayers, parseYamlLayer, setAt } from "./_layers.ts";
import { errorMap, toConfigIssues } from "./_issues.ts";
import type { z } from "zod";
import { type ConfigOverride, envOverrides } from "./overrides.ts";

/** The base configuration file used when no `configPath` is given. */
export const DEFAULT_CONFIG_PATH = "config/ingestion.yaml";

/**
 * Largest configuration or profile file read, bytes (1 MiB; the shipped one is about 8 KB).
 * Checked with a stat before reading, so a huge file never reaches the YAML parser.
 *
 * @example Usage
 * ```ts
 * import { MAX_CONFIG_BYTES } from "./loader.ts";
 * MAX_CONFIG_BYTES; // 1048576
 * ```
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Options of {@linkcode loadConfig}. */
export interface LoadConfigOptions {
  /** The base file (`--config`). @default "config/ingestion.yaml" */
  configPath?: string;
  /** Profile name (`--profile`); when absent, `GAM_PROFILE` from `env`. @default undefined */
  profile?: string;
  /** Folder of profile files. @default "profiles" beside the base file */
  profilesDir?: string;
  /** The environment read for `GAM_PROFILE` and `GAM__*`. @default Deno.env.toObject() */
  env?: Record<string, string>;
  /** Command-line overrides, highest precedence (see `cliOverrides`). @default [] */
  overrides?: readonly ConfigOverride[];
  /** Largest file read, bytes. @default MAX_CONFIG_BYTES */
  maxBytes?: number;
}

/**
 * A loaded, valid configuration.
 *
 * @example Usage
 * ```ts
 * import type { LoadedConfig } from "./loader.ts";
 * const describe = (l: LoadedConfig) => `${l.sources.join(" + ")} (${l.hash.slice(0, 12)})`;
 * ```
 */
export interface LoadedConfig {
  /** The validated configuration, deeply frozen. */
  readonly config: GamConfig;
  /** sha256 (hex) of the canonical JSON of `config` (sorted keys; it holds no secrets). */
  readonly hash: string;
  /** The files read, base first then profile. */
  readonly sources: readonly string[];
  /** The profile applied, if any. */
  readonly profile?: string;
  /** Names of the environment variables and flags that overrode values, in order applied. */
  readonly overrides: readonly string[];
}

/**
 * Reads, merges and validates the configuration (see the module documentation for the
 * precedence).
 *
 * @param options Files, profile, environment and overrides.
 * @returns The effective configuration with its hash and sources.
 * @throws {ConfigError} For a missing file or profile, a YAML syntax error, an unusable
 *   environment variable, or any schema violation; all issues are listed together.
 *
 * @example Load with the dev profile and a flag
 * ```ts
 * import { cliOverrides, loadConfig } from "./mod.ts";
 * const { config, hash } = await loadConfig({
 *   profile: "dev",
 *   overrides: cliOverrides({ workers: "2" }),
 * });
 * console.log(config.defaults.workers, hash);
 * ```
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const configPath = options.configPath ?? DEFAULT_CONFIG_PATH;
  const env = options.env ?? Deno.env.toObject();
  const sources = [configPath];
  const maxBytes = options.maxBytes ?? MAX_CONFIG_BYTES;
  let layer = await readLayer(configPath, "configuration file", maxBytes);
  if (!isRecord(layer.value)) {
    throw new ConfigError([{
      file: configPath,
      path: "",
      line: 1,
      column: 1,
      message: `expected a mapping with version, defaults and modalities, got ${
        layer.value === null || layer.value === undefined ? "an empty file" : typeof layer.value
      }`,
    }]);
  }

  const profile = options.profile ?? (env.GAM_PROFILE || undefined);
  if (profile !== undefined) {
    const via = options.profile !== undefined ? "--profile" : "GAM_PROFILE";
    const dir = options.profilesDir ?? joinPath(dirname(configPath), "profiles");
    if (!NAME_PATTERN.test(profile)) {
      throw new ConfigError([{
        file: via,
        path: "",
        message: `expected a profile name in lower snake case, got "${profile}"`,
      }]);
    }
    const file = joinPath(dir, `${profile}.yaml`);
    if (!(await exists(file))) {
      const available = await listProfiles(dir);
      throw new ConfigError([{
        file: via,
        path: "",
        message: `profile "${profile}" not found: no file ${file}; available profiles: ${
          available.length ? available.join(", ") : `none (${dir} has no .yaml files)`
        }`,
        expected: available.length ? `one of ${available.join(", ")}` : undefined,
        received: profile,
      }]);
    }
    const over = await readLayer(file, "profile file", maxBytes);
    if (over.value !== null && over.value !== undefined) {
      if (!isRecord(over.value)) {
        throw new ConfigError([{
          file,
          path: "",
          line: 1,
          column: 1,
          message: `expected a mapping of overrides, got ${typeof over.value}`,
        }]);
      }
      layer = mergeLayers(layer, over);
    }
    sources.push(file);
  }

  const { overrides: fromEnv, issues: envIssues } = envOverrides(env, layer.value);
  if (envIssues.length > 0) throw new ConfigError(envIssues);
  const applied: string[] = [];
  for (const o of [...fromEnv, ...(options.overrides ?? [])]) {
    setAt(layer, o.path, o.value, { file: o.source });
    applied.push(o.source.replace(/^(env|flag) /, ""));
  }

  const result = ConfigSchema.safeParse(layer.value, { error: errorMap, reportInput: true });
  if (!result.success) {
    throw new ConfigError(
      sortIssues(toConfigIssues(result.error.issues, layer.value, layer.origins), sources),
    );
  }
  const serverIssue = queueModeProblem(result.data, env);
  if (serverIssue !== undefined) {
    throw new ConfigError(toConfigIssues([serverIssue], layer.value, layer.origins));
  }
  const config = deepFreeze(result.data);
  return Object.freeze({
    config,
    hash: await configHash(config),
    sources: Object.freeze(sources),
    ...(profile !== undefined ? { profile } : {}),
    overrides: Object.freeze(applied),
  });
}

/**
 * Queue mode keeps its jobs in the PostgreSQL server: with the embedded database (neither
 * `DATABASE_URL` nor `defaults.databaseUrl`) it cannot work, which is a configuration error.
 */
function queueModeProblem(
  config: GamConfig,
  env: Record<string, string>,
): z.core.$ZodIssue | undefined {
  if (config.execution.mode !== "queue") return undefined;
  if ((env.DATABASE_URL ?? "").trim() !== "" || config.defaults.databaseUrl !== undefined) {
    return undefined;
  }
  return {
    code: "custom",
    path: ["execution", "mode"],
    input: "queue",
    message: 'execution.mode "queue" keeps its jobs in a PostgreSQL server, but none is ' +
      "configured (the embedded database cannot be shared by workers): set DATABASE_URL to " +
      "the server's URL (postgres://user@host:5432/gam), or use mode local",
  };
}

/**
 * sha256 (hex) of the canonical JSON encoding of a configuration: object keys sorted, no
 * whitespace. Two configurations with equal values have equal hashes whatever the key order
 * or formatting of their files.
 *
 * @param config A validated configuration.
 * @returns 64 hex digits.
 *
 * @example Usage
 * ```ts
 * import { configHash } from "./loader.ts";
 * const a = await configHash({ b: 1, a: 2 } as never);
 * const b = await configHash({ a: 2, b: 1 } as never);
 * a === b; // true
 * ```
 */
export async function configHash(config: GamConfig): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(config));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (isRecord(v)) {
    return `{${
      Object.keys(v).sort().filter((k) => v[k] !== undefined)
        .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(",")
    }}`;
  }
  return JSON.stringify(v) ?? "null";
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v)) deepFreeze(child);
  }
  return v;
}

function sortIssues(issues: ConfigIssue[], sources: string[]): ConfigIssue[] {
  const rank = (f: string) => {
    const i = sources.indexOf(f);
    return i === -1 ? sources.length : i;
  };
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) =>
      rank(a.issue.file) - rank(b.issue.file) ||
      (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) ||
      (a.issue.column ?? 0) - (b.issue.column ?? 0) || a.i - b.i
    )
    .map((x) => x.issue);
}

async function readLayer(file: string, what: string, maxBytes: number): Promise<Layer> {
  const refuse = (message: string, cause?: unknown) =>
    new ConfigError([{ file, path: "", message }], cause === undefined ? undefined : { cause });
  let text: string;
  try {
    // Size first: a huge file must not reach the parser (50 MB of YAML exhausts the heap).
    const info = await Deno.stat(file);
    if (!info.isFile) throw refuse(`cannot read ${what}: not a regular file`);
    if (info.size > maxBytes) throw refuse(tooLarge(what, info.size, maxBytes));
    using f = await Deno.open(file);
    // At most one byte past the limit: a file that grew since the stat is refused too.
    const buf = new Uint8Array(maxBytes + 1);
    let n = 0;
    for (let r; n < buf.length && (r = await f.read(buf.subarray(n))) !== null;) n += r;
    if (n > maxBytes) throw refuse(tooLarge(what, n, maxBytes));
    text = new TextDecoder().decode(buf.subarray(0, n));
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const reason = e instanceof Deno.errors.NotFound ? "no such file" : (e as Error).message;
    throw refuse(`cannot read ${what}: ${reason}`, e);
  }
  return parseYamlLayer(text, file);
}

function tooLarge(what: string, size: number, maxBytes: number): string {
  return `${what} is ${size} bytes, above the limit of ${maxBytes} bytes ` +
    `(${(maxBytes / 1024 / 1024).toFixed(maxBytes % (1024 * 1024) ? 2 : 0)} MiB) for a ` +
    `configuration file; a configuration this large is a mistake or an attack`;
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await Deno.stat(file)).isFile;
  } catch {
    return false;
  }
}

/**
 * Names of the profiles in `dir` (files `<name>.yaml`), sorted.
 *
 * @param dir The profiles folder, e.g. `config/profiles`.
 * @returns Profile names, empty when the folder is missing.
 *
 * @example Usage
 * ```ts
 * import { listProfiles } from "./loader.ts";
 * await listProfiles("config/profiles"); // ["ci", "dev", "prod"]
 * ```
 */
export async function listProfiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".yaml")) names.push(e.name.slice(0, -".yaml".length));
    }
  } catch {
    return [];
  }
  return names.sort();
}
