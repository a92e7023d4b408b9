/**
 * Secrets named by the configuration, read at the moment they are used.
 *
 * The configuration only says *where* a secret is (`auth: { icgem: { fromEnv: ICGEM_TOKEN } }`
 * or `{ fromFile: /run/secrets/icgem }`); {@linkcode resolveSecret} reads it on every call, so
 * a rotated key is picked up without a restart, and registers it with the observability
 * redactor so it is replaced by `[REDACTED]` in every log line and printed error. Errors name
 * the profile and the variable or file, never the value.
 *
 * @module
 */
import { registerSecret, SecretRegistrationError } from "../observability/mod.ts";
import type { GamConfig } from "./schema.ts";

/**
 * A secret that cannot be resolved: unknown profile, unset variable, unreadable or empty file.
 *
 * @example Usage
 * ```ts
 * import { SecretError } from "./secrets.ts";
 * const e = new SecretError("icgem", "environment variable ICGEM_TOKEN is not set");
 * e.message; // 'auth profile "icgem": environment variable ICGEM_TOKEN is not set'
 * ```
 */
export class SecretError extends Error {
  /** The auth profile asked for. */
  readonly profile: string;
  /**
   * @param profile The auth profile asked for.
   * @param problem What is wrong, without the secret.
   * @param options Standard error options (`cause`).
   */
  constructor(profile: string, problem: string, options?: ErrorOptions) {
    super(`auth profile "${profile}": ${problem}`, options);
    this.name = "SecretError";
    this.profile = profile;
  }
}

/** Options of {@linkcode resolveSecret} and {@linkcode resolveDatabaseUrl}. */
export interface SecretOptions {
  /** Reads an environment variable. @default Deno.env.get */
  getEnv?: (name: string) => string | undefined;
}

/**
 * Reads the secret of auth profile `profileName` now (environment variable, or file content
 * with surrounding whitespace trimmed) and registers it for redaction.
 *
 * @param config The configuration (only `auth` is used).
 * @param profileName A key of `config.auth`, e.g. the value of `source.auth`.
 * @param options Environment access, for tests.
 * @returns The secret.
 * @throws {SecretError} For an unknown profile, an unset or empty variable, a missing,
 *   unreadable or empty file, or a secret too short to be redacted safely.
 *
 * @example Usage
 * ```ts
 * import { resolveSecret } from "./secrets.ts";
 * const token = await resolveSecret(
 *   { auth: { icgem: { fromEnv: "ICGEM_TOKEN" } } },
 *   "icgem",
 *   { getEnv: () => "tok-123456" },
 * );
 * ```
 */
export async function resolveSecret(
  config: Pick<GamConfig, "auth">,
  profileName: string,
  options: SecretOptions = {},
): Promise<string> {
  const profile = Object.hasOwn(config.auth, profileName) ? config.auth[profileName] : undefined;
  if (profile === undefined) {
    const known = Object.keys(config.auth);
    throw new SecretError(
      profileName,
      `not defined under auth: (${known.length ? `defined: ${known.join(", ")}` : "none defined"})`,
    );
  }
  let value: string;
  if ("fromEnv" in profile) {
    const getEnv = options.getEnv ?? ((n: string) => Deno.env.get(n));
    const raw = getEnv(profile.fromEnv);
    if (raw === undefined || raw.trim() === "") {
      throw new SecretError(
        profileName,
        `environment variable ${profile.fromEnv} is ${raw === undefined ? "not set" : "empty"}`,
      );
    }
    value = raw.trim();
  } else {
    try {
      value = (await Deno.readTextFile(profile.fromFile)).trim();
    } catch (e) {
      const reason = e instanceof Deno.errors.NotFound ? "it does not exist" : (e as Error).name;
      throw new SecretError(profileName, `cannot read file ${profile.fromFile}: ${reason}`);
    }
    if (value === "") throw new SecretError(profileName, `file ${profile.fromFile} is empty`);
  }
  register(profileName, value);
  return value;
}

/**
 * The database URL to use now: `DATABASE_URL` from the environment when set (it may carry a
 * password), else `defaults.databaseUrl` of the configuration (never has one), else
 * `undefined` (use the embedded database). A password in the URL is registered for redaction.
 *
 * @param config The configuration (only `defaults.databaseUrl` is used).
 * @param options Environment access, for tests.
 * @returns The URL, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { resolveDatabaseUrl } from "./secrets.ts";
 * resolveDatabaseUrl({ defaults: { databaseUrl: undefined } } as never, { getEnv: () => undefined });
 * // undefined: the embedded database
 * ```
 */
export function resolveDatabaseUrl(
  config: { defaults: Pick<GamConfig["defaults"], "databaseUrl"> },
  options: SecretOptions = {},
): string | undefined {
  const getEnv = options.getEnv ?? ((n: string) => Deno.env.get(n));
  const url = getEnv("DATABASE_URL")?.trim() || config.defaults.databaseUrl;
  if (url === undefined) return undefined;
  try {
    const password = decodeURIComponent(new URL(url).password);
    if (password !== "") register("DATABASE_URL", password);
    const raw = new URL(url).password;
    if (raw !== "" && raw !== password) register("DATABASE_URL", raw);
  } catch (e) {
    if (e instanceof SecretError) throw e;
    // Not a URL (e.g. a libpq key=value string): protect it whole.
    register("DATABASE_URL", url);
  }
  return url;
}

function register(profile: string, value: string): void {
  try {
    registerSecret(value);
  } catch (e) {
    if (e instanceof SecretRegistrationError) {
      throw new SecretError(
        profile,
        "the secret is too short to be redacted safely from logs; refusing to use it",
        { cause: e },
      );
    }
    throw e;
  }
}
