/**
 * The process-wide secret registry. Every log line (after JSON serialisation, so nested fields
 * are covered) and every user-facing error message passes through {@linkcode redact}, which
 * replaces each registered secret with `[REDACTED]`. The config's secret loader registers each
 * secret it reads with {@linkcode registerSecret}.
 *
 * Log fields whose key names a credential (password, token, secret, apiKey, authorization,
 * cookie, credential, private key) are replaced whatever their value, by
 * {@linkcode redactFields}.
 *
 * @module
 */

/**
 * The text that replaces a secret.
 *
 * @example Usage
 * ```ts
 * import { REDACTED } from "./redaction.ts";
 * console.log(REDACTED); // "[REDACTED]"
 * ```
 */
export const REDACTED = "[REDACTED]";

/**
 * The shortest secret {@linkcode registerSecret} accepts: shorter values would match ordinary
 * text everywhere.
 *
 * @example Usage
 * ```ts
 * import { MIN_SECRET_LENGTH } from "./redaction.ts";
 * console.log(MIN_SECRET_LENGTH); // 4
 * ```
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * Thrown by {@linkcode registerSecret} for a value that cannot be redacted safely. The message
 * never contains the value.
 *
 * @example Usage
 * ```ts
 * import { registerSecret, SecretRegistrationError } from "./redaction.ts";
 * try {
 *   registerSecret("ab");
 * } catch (e) {
 *   if (e instanceof SecretRegistrationError) console.log(e.message);
 * }
 * ```
 */
export class SecretRegistrationError extends RangeError {
  /** @param message What was wrong with the value, never the value itself. */
  constructor(message: string) {
    super(message);
    this.name = "SecretRegistrationError";
  }
}

/** Registered secret -> number of registrations. */
const secrets = new Map<string, number>();
let pattern: RegExp | undefined;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&");
}

/** The forms a secret can take in our output: raw, JSON-escaped, URL-encoded. */
function variants(secret: string): string[] {
  const out = new Set([secret, JSON.stringify(secret).slice(1, -1)]);
  try {
    out.add(encodeURIComponent(secret));
  } catch {
    // Lone surrogates cannot be URL-encoded; the raw form is still covered.
  }
  return [...out];
}

function rebuild(): void {
  const all = new Set<string>();
  for (const s of secrets.keys()) for (const v of variants(s)) all.add(v);
  // Longest first, so a secret containing another is replaced whole.
  const sorted = [...all].sort((a, b) => b.length - a.length);
  pattern = sorted.length ? new RegExp(sorted.map(escapeRegExp).join("|"), "g") : undefined;
}

/**
 * Registers a secret so that {@linkcode redact} removes it from all output from now on. Also
 * covers its JSON-escaped and URL-encoded forms. Registering the same value twice is counted;
 * it stays registered until unregistered as many times.
 *
 * @param value The secret (an API key, a password, a token).
 * @throws {SecretRegistrationError} When `value` is not a string or is shorter than
 *   {@linkcode MIN_SECRET_LENGTH} characters.
 *
 * @example Usage
 * ```ts
 * import { redact, registerSecret, unregisterSecret } from "./redaction.ts";
 * registerSecret("s3cr3t-key");
 * redact("key=s3cr3t-key"); // "key=[REDACTED]"
 * unregisterSecret("s3cr3t-key");
 * ```
 */
export function registerSecret(value: string): void {
  if (typeof value !== "string") {
    throw new SecretRegistrationError(
      `registerSecret() expects a string, got ${value === null ? "null" : typeof value}`,
    );
  }
  if (value.length < MIN_SECRET_LENGTH) {
    throw new SecretRegistrationError(
      `registerSecret() needs a secret of at least ${MIN_SECRET_LENGTH} characters, ` +
        `got one of ${value.length}; such a short value cannot be redacted safely`,
    );
  }
  secrets.set(value, (secrets.get(value) ?? 0) + 1);
  if (secrets.get(value) === 1) rebuild();
}

/**
 * Undoes one {@linkcode registerSecret} of `value` (for example after a key was rotated).
 * Unknown values are ignored.
 *
 * @param value The secret registered earlier.
 * @returns `true` when the value is no longer registered at all.
 *
 * @example Usage
 * ```ts
 * import { registerSecret, unregisterSecret } from "./redaction.ts";
 * registerSecret("old-key-123");
 * unregisterSecret("old-key-123"); // true
 * ```
 */
export function unregisterSecret(value: string): boolean {
  const n = secrets.get(value);
  if (n === undefined) return true;
  if (n > 1) {
    secrets.set(value, n - 1);
    return false;
  }
  secrets.delete(value);
  rebuild();
  return true;
}

/**
 * Replaces every registered secret in `text` with `[REDACTED]`, and the password of any URL
 * written `scheme://user:password@host`.
 *
 * @param text Any output text: a serialised log line, an error message.
 * @returns The text with secrets replaced.
 *
 * @example Usage
 * ```ts
 * import { redact, registerSecret } from "./redaction.ts";
 * registerSecret("hunter22");
 * redact("login failed for password hunter22"); // "login failed for password [REDACTED]"
 * ```
 */
export function redact(text: string): string {
  let out = String(text).replace(URL_PASSWORD, `$1${REDACTED}@`);
  if (pattern !== undefined) out = out.replace(pattern, REDACTED);
  return out;
}

/** The password part of `scheme://user:password@host`. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/?#@"'\\]*:)[^\s/?#@"'\\]+@/gi;

const SENSITIVE_KEY =
  /(password|passwd|passphrase|secret|token|apikey|accesskey|authorization|auth|cookie|credentials?|privatekey|sessionid)$/;

/**
 * Whether a field named `key` holds a credential: its name, lower-cased and without `_`, `-`
 * and `.`, ends with password, passwd, passphrase, secret, token, apikey, accesskey,
 * authorization, auth, cookie, credential(s), privatekey or sessionid. (`tokenBucket` and
 * `authProfile` are not sensitive; `accessToken` and `x-api-key` are.)
 *
 * @param key A field name.
 * @returns `true` when the value should be hidden.
 *
 * @example Usage
 * ```ts
 * import { isSensitiveKey } from "./redaction.ts";
 * isSensitiveKey("apiKey"); // true
 * isSensitiveKey("modality"); // false
 * ```
 */
export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key.toLowerCase().replace(/[-_.]/g, ""));
}

/**
 * Returns a copy of `value` in which the value of every sensitive key
 * ({@linkcode isSensitiveKey}), at any depth of plain objects, arrays and maps, is `[REDACTED]`.
 * Other values are returned as they are (not copied).
 *
 * @param value Log fields or any JSON-like value.
 * @returns The value with sensitive fields replaced.
 *
 * @example Usage
 * ```ts
 * import { redactFields } from "./redaction.ts";
 * redactFields({ user: "ada", auth: { password: "pw" } }); // { user: "ada", auth: "[REDACTED]" }
 * ```
 */
export function redactFields<T>(value: T): T {
  return walk(value, new WeakSet()) as T;
}

function walk(value: unknown, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, seen));
  if (value instanceof Map) {
    return new Map(
      [...value].map((
        [k, v],
      ) => [k, typeof k === "string" && isSensitiveKey(k) ? REDACTED : walk(v, seen)]),
    );
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSensitiveKey(k) ? REDACTED : walk(v, seen);
  return out;
}
