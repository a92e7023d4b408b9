/**
 * Errors of the ingestion service and its plugins. Each names the plugin and the modality
 * involved, and says whether a retry could help ({@linkcode isRetryable}).
 *
 * @module
 */

/**
 * A plugin was refused at load: its import had side effects or threw, its manifest is invalid,
 * its API version is incompatible, it does not serve the modality, or it asks for permissions
 * the configuration does not grant. `reason` says which.
 *
 * @example Usage
 * ```ts
 * import { PluginLoadError } from "./errors.ts";
 * const e = new PluginLoadError("evil", "side-effect", "it read /etc/passwd at import time");
 * e.message; // 'Plugin "evil" was refused: it read /etc/passwd at import time'
 * ```
 */
export class PluginLoadError extends Error {
  /** The plugin id (or module specifier when the manifest was not readable). */
  readonly plugin: string;
  /** Which check failed. */
  readonly reason:
    | "import"
    | "side-effect"
    | "manifest"
    | "api-version"
    | "modality"
    | "permissions"
    | "identity"
    | "factory";
  /**
   * @param plugin Plugin id or specifier.
   * @param reason Which check failed.
   * @param detail What was found and what was expected.
   */
  constructor(plugin: string, reason: PluginLoadError["reason"], detail: string) {
    super(`Plugin "${plugin}" was refused: ${detail}`);
    this.name = "PluginLoadError";
    this.plugin = plugin;
    this.reason = reason;
  }
}

/**
 * A plugin tried something its sandbox does not allow (read a path, read an environment
 * variable, write, spawn a process, contact a host) during a fetch.
 *
 * @example Usage
 * ```ts
 * import { PluginPermissionError } from "./errors.ts";
 * const e = new PluginPermissionError("evil", "read", 'Requires read access to "/etc/passwd"');
 * e.permission; // "read"
 * ```
 */
export class PluginPermissionError extends Error {
  /** The plugin id. */
  readonly plugin: string;
  /** The permission it lacked: `read`, `write`, `net`, `env`, `run`, `ffi`, `sys` or `unknown`. */
  readonly permission: string;
  /**
   * @param plugin Plugin id.
   * @param permission The permission it lacked.
   * @param detail The runtime's message.
   */
  constructor(plugin: string, permission: string, detail: string) {
    super(
      `Plugin "${plugin}" was denied ${permission} access (not granted in its configuration ` +
        `permissions): ${detail}`,
    );
    this.name = "PluginPermissionError";
    this.plugin = plugin;
    this.permission = permission;
  }
}

/**
 * A plugin's fetch failed with an error of its own (not a permission, HTTP or network error).
 *
 * @example Usage
 * ```ts
 * import { PluginError } from "./errors.ts";
 * new PluginError("file", "RangeError", "no rows inside the bbox");
 * ```
 */
export class PluginError extends Error implements Retryable {
  /** The plugin id. */
  readonly plugin: string;
  /** The name of the error the plugin threw. */
  readonly remoteName: string;
  /** Whether the plugin marked the error retryable (`retryable: true`). */
  readonly retryable: boolean;
  /**
   * @param plugin Plugin id.
   * @param remoteName Name of the error thrown inside the plugin.
   * @param detail Its message.
   * @param retryable Whether a retry may help. @default false
   */
  constructor(plugin: string, remoteName: string, detail: string, retryable = false) {
    super(`Plugin "${plugin}" failed: ${remoteName}: ${detail}`);
    this.name = "PluginError";
    this.plugin = plugin;
    this.remoteName = remoteName;
    this.retryable = retryable;
  }
}

/**
 * A plugin did not answer within the attempt's timeout; its process was stopped and is replaced
 * at the next fetch.
 *
 * @example Usage
 * ```ts
 * import { PluginTimeoutError } from "./errors.ts";
 * new PluginTimeoutError("slow", 2000);
 * ```
 */
export class PluginTimeoutError extends Error {
  /** The plugin id. */
  readonly plugin: string;
  /** The timeout, milliseconds. */
  readonly timeoutMs: number;
  /**
   * @param plugin Plugin id.
   * @param timeoutMs The per-attempt timeout that expired, milliseconds.
   */
  constructor(plugin: string, timeoutMs: number) {
    super(
      `Plugin "${plugin}" did not answer within ${timeoutMs} ms (timeoutMs); ` +
        `its process was stopped and is replaced at the next fetch`,
    );
    this.name = "PluginTimeoutError";
    this.plugin = plugin;
    this.timeoutMs = timeoutMs;
  }
}

/** Which limit a crashed plugin process hit (see {@linkcode PluginCrashedError}). */
export type CrashLimit = "heap" | "memory" | "cpu" | "timeout" | "protocol" | "exit";

/**
 * A plugin's child process died or was stopped: it exceeded its V8 heap (`heap`, from
 * `source.limits.heapMb`), its memory (`memory`: the OS data limit `source.limits.memoryMb`, or
 * an allocation refused under it), its CPU time (`cpu`, `source.limits.cpuSeconds`), it did not
 * stop after an aborted fetch or load (`timeout`), it broke the message framing (`protocol`), or
 * it exited on its own (`exit`, with the exit code or signal). Only this plugin's fetches fail;
 * the next fetch starts a fresh process.
 *
 * @example Usage
 * ```ts
 * import { PluginCrashedError } from "./errors.ts";
 * const e = new PluginCrashedError("hog", "heap", "it exceeded its V8 heap limit of 256 MiB");
 * e.limit; // "heap"
 * ```
 */
export class PluginCrashedError extends Error implements Retryable {
  /** The plugin id. */
  readonly plugin: string;
  /** The limit hit. */
  readonly limit: CrashLimit;
  /** Exit code, when the process exited. */
  readonly code: number | undefined;
  /** Signal that ended the process, when one did. */
  readonly signal: string | undefined;
  /** Whether a retry may help: never for a limit, once for a plain exit. */
  readonly retryable: boolean;
  /**
   * @param plugin Plugin id.
   * @param limit The limit hit.
   * @param detail What happened, with the limit's value and its config key.
   * @param status Exit code and signal.
   */
  constructor(
    plugin: string,
    limit: CrashLimit,
    detail: string,
    status: { code?: number; signal?: string } = {},
  ) {
    super(`Plugin "${plugin}" crashed: ${detail}`);
    this.name = "PluginCrashedError";
    this.plugin = plugin;
    this.limit = limit;
    this.code = status.code;
    this.signal = status.signal;
    this.retryable = false;
  }
}

/** The size limits of what a plugin returns (config `source.limits`). */
export type SizeLimit = "maxMessageBytes" | "maxPoints" | "maxMetadataBytes" | "maxStringLength";

/**
 * A plugin returned more than its size limits allow; the message was refused before its body
 * was read (`maxMessageBytes`) or before anything was built from it (the others).
 *
 * @example Usage
 * ```ts
 * import { PluginLimitError } from "./errors.ts";
 * const e = new PluginLimitError("big", "maxStringLength", 200_000_000, 65536, "a string");
 * e.limit; // "maxStringLength"
 * ```
 */
export class PluginLimitError extends RangeError {
  /** The plugin id. */
  readonly plugin: string;
  /** The limit (its key under `source.limits`). */
  readonly limit: SizeLimit;
  /** The size found (bytes, elements or characters). */
  readonly found: number;
  /** The limit's value. */
  readonly max: number;
  /**
   * @param plugin Plugin id.
   * @param limit Which limit.
   * @param found The size found.
   * @param max The limit's value.
   * @param what What was too large.
   */
  constructor(plugin: string, limit: SizeLimit, found: number, max: number, what: string) {
    super(
      `Plugin "${plugin}" returned too much: ${what} of ${found}, above source.limits.${limit} ` +
        `= ${max}`,
    );
    this.name = "PluginLimitError";
    this.plugin = plugin;
    this.limit = limit;
    this.found = found;
    this.max = max;
  }
}

/**
 * An HTTP source answered with an error status. 408, 429 and 5xx are retryable; for 429 and
 * 503 `retryAfterMs` carries the server's `Retry-After`.
 *
 * @example Usage
 * ```ts
 * import { SourceHttpError } from "./errors.ts";
 * const e = new SourceHttpError(429, "https://example.org/x", 2000);
 * e.retryable; // true
 * ```
 */
export class SourceHttpError extends Error implements Retryable {
  /** HTTP status. */
  readonly status: number;
  /** The URL requested (credentials removed). */
  readonly url: string;
  /** The server's Retry-After, milliseconds, when given. */
  readonly retryAfterMs: number | undefined;
  /** Whether a retry may help (408, 429, 5xx). */
  readonly retryable: boolean;
  /**
   * @param status HTTP status.
   * @param url The URL requested.
   * @param retryAfterMs Retry-After in milliseconds, if the server sent one.
   */
  constructor(status: number, url: string, retryAfterMs?: number) {
    const after = retryAfterMs === undefined ? "" : ` (Retry-After ${retryAfterMs} ms)`;
    super(`HTTP ${status} from ${url}${after}`);
    this.name = "SourceHttpError";
    this.status = status;
    this.url = url;
    this.retryAfterMs = retryAfterMs;
    this.retryable = status === 408 || status === 429 || status >= 500;
  }
}

/**
 * The connection to a source failed or its body was cut short: retryable.
 *
 * @example Usage
 * ```ts
 * import { SourceNetworkError } from "./errors.ts";
 * new SourceNetworkError("https://example.org/x", "body ended after 10 of 100 bytes");
 * ```
 */
export class SourceNetworkError extends Error implements Retryable {
  /** The URL requested. */
  readonly url: string;
  /** Always `true`. */
  readonly retryable = true;
  /**
   * @param url The URL requested.
   * @param detail What failed.
   */
  constructor(url: string, detail: string, options?: ErrorOptions) {
    super(`Network error for ${url}: ${detail}`, options);
    this.name = "SourceNetworkError";
    this.url = url;
  }
}

/**
 * A URL uses plain `http:` for a host not listed in `allowInsecureHttp`, or a scheme other
 * than `https:`/`http:`.
 *
 * @example Usage
 * ```ts
 * import { InsecureUrlError } from "./errors.ts";
 * new InsecureUrlError("http://example.org/x");
 * ```
 */
export class InsecureUrlError extends TypeError {
  /** The URL refused. */
  readonly url: string;
  /** @param url The URL refused. */
  constructor(url: string) {
    super(
      `Refusing ${url}: sources must use https; plain http is allowed only for hosts listed ` +
        `in the modality's source.allowInsecureHttp`,
    );
    this.name = "InsecureUrlError";
    this.url = url;
  }
}

/**
 * The fetch of a modality failed after the resilience policies. `cause` holds the last error;
 * `sourceDown` says whether the source itself is unreachable (retries exhausted on a retryable
 * error, or the circuit breaker open): only then may a cache serve an expired copy instead
 * ({@linkcode isSourceDown}).
 *
 * @example Usage
 * ```ts
 * import { ModalityFetchError } from "./errors.ts";
 * const e = new ModalityFetchError("gravity", "icgem", "retries exhausted after 3 attempts", 3, {
 *   sourceDown: true,
 * });
 * console.assert(e.sourceDown);
 * ```
 */
export class ModalityFetchError extends Error {
  /** The modality. */
  readonly modality: string;
  /** The plugin id. */
  readonly plugin: string;
  /** Attempts made (0 when none was allowed, e.g. breaker open). */
  readonly attempts: number;
  /** The source is unreachable (retryable failures exhausted, or the circuit open). */
  readonly sourceDown: boolean;
  /**
   * @param modality The modality.
   * @param plugin The plugin id.
   * @param detail Why it failed.
   * @param attempts Attempts made.
   * @param options `cause`, and `sourceDown` (@default false).
   */
  constructor(
    modality: string,
    plugin: string,
    detail: string,
    attempts: number,
    options?: ErrorOptions & { sourceDown?: boolean },
  ) {
    super(`Fetching ${modality} from plugin "${plugin}" failed: ${detail}`, options);
    this.name = "ModalityFetchError";
    this.modality = modality;
    this.plugin = plugin;
    this.attempts = attempts;
    this.sourceDown = options?.sourceDown ?? false;
  }
}

/**
 * No provider is configured for the modality.
 *
 * @example Usage
 * ```ts
 * import { UnknownModalityError } from "./errors.ts";
 * new UnknownModalityError("seismic", ["gravity", "magnetic"]);
 * ```
 */
export class UnknownModalityError extends RangeError {
  /** The modality asked for. */
  readonly modality: string;
  /**
   * @param modality The modality asked for.
   * @param known The modalities that have providers.
   */
  constructor(modality: string, known: readonly string[]) {
    super(
      `No source is configured for modality "${modality}" (configured: ${
        known.join(", ") || "none"
      })`,
    );
    this.name = "UnknownModalityError";
    this.modality = modality;
  }
}

/**
 * The contract every retryable failure shares, ingestion's (`SourceHttpError`,
 * `SourceNetworkError`, `PluginError`, ...) and the object store's (`StorageError`,
 * `ObjectChecksumError` of `src/storage/`): whether another attempt could help and, when the
 * server said, how long to wait. The resilience policies read it through
 * {@linkcode isRetryable} and {@linkcode retryAfterOf}, whatever the error's class.
 *
 * An interface, not a base class: each error keeps its closest built-in parent and the order
 * of its fields in the JSON logs.
 *
 * @example Usage
 * ```ts
 * import { isRetryable, type Retryable } from "./errors.ts";
 * class BusyError extends Error implements Retryable {
 *   readonly retryable = true;
 * }
 * isRetryable(new BusyError("busy")); // true
 * ```
 */
export interface Retryable {
  /** Whether another attempt could succeed. */
  readonly retryable: boolean;
  /** The server's Retry-After, milliseconds, when it gave one. */
  readonly retryAfterMs?: number;
}

/**
 * Whether a retry could cure `error`: network errors, HTTP 408/429/5xx, timeouts, and errors
 * carrying `retryable: true`. Not HTTP 4xx, contract errors, permission errors or bugs.
 *
 * @example Usage
 * ```ts
 * import { isRetryable, SourceHttpError } from "./errors.ts";
 * isRetryable(new SourceHttpError(503, "https://x")); // true
 * isRetryable(new SourceHttpError(404, "https://x")); // false
 * ```
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof PluginTimeoutError) return true;
  if (typeof error === "object" && error !== null && "retryable" in error) {
    return (error as Partial<Retryable>).retryable === true;
  }
  return false;
}

/**
 * The rule for serving stale data: an expired cached copy may stand in for a fetch only when
 * the source is down, that is the fetch failed with a {@linkcode ModalityFetchError} whose
 * `sourceDown` is set (retries exhausted on a retryable error such as HTTP 503 or a timeout,
 * or the circuit breaker open). Never for invalid data, a refused request (HTTP 4xx, bulkhead),
 * a cancelled run or a plugin that could not run.
 *
 * @example Usage
 * ```ts
 * import { isSourceDown, ModalityFetchError } from "./errors.ts";
 * isSourceDown(new ModalityFetchError("gravity", "p", "down", 3, { sourceDown: true })); // true
 * isSourceDown(new TypeError("bug")); // false
 * ```
 */
export function isSourceDown(error: unknown): boolean {
  return error instanceof ModalityFetchError && error.sourceDown;
}

/**
 * The server's Retry-After carried by `error`, milliseconds, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { retryAfterOf, SourceHttpError } from "./errors.ts";
 * retryAfterOf(new SourceHttpError(429, "https://x", 1000)); // 1000
 * ```
 */
export function retryAfterOf(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "retryAfterMs" in error) {
    const v = (error as { retryAfterMs: unknown }).retryAfterMs;
    return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined;
  }
  return undefined;
}
