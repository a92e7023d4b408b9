/**
 * The configuration of a long-running process (`gam serve`): loaded once, watched, and swapped
 * atomically when a valid edit lands.
 *
 * - {@linkcode ConfigService.current} returns an immutable snapshot. Work takes one snapshot
 *   when it starts and keeps it to the end; the next unit of work sees the new one.
 * - The base and profile files are watched (their folders, so editors that save by rename are
 *   seen). After `service.reloadDebounceMs` of quiet, the files' bytes are hashed: unchanged
 *   bytes do nothing; changed bytes are loaded and validated exactly as at start.
 * - A valid edit whose effective configuration differs is swapped in and announced to
 *   {@linkcode ConfigService.onChange} listeners; `gam_config_reloads_total` is incremented and
 *   `gam_config_info{hash}` follows the current hash.
 * - An invalid edit keeps the running configuration, logs an error with every issue and
 *   increments `gam_config_reload_failures_total`.
 *
 * @module
 */
import { resolve } from "node:path";
import { createLogger, type Logger } from "../observability/mod.ts";
import { defaultRegistry, type MetricsRegistry } from "../observability/metrics/mod.ts";
import { ConfigError, formatIssue } from "./config_error.ts";
import { loadConfig, type LoadConfigOptions, type LoadedConfig } from "./loader.ts";

/** Options of {@linkcode ConfigService.start}. */
export interface ConfigServiceOptions extends LoadConfigOptions {
  /** Where reloads are logged. @default a JSON logger with component "config" */
  logger?: Logger;
  /** Where reload metrics are registered. @default defaultRegistry */
  metrics?: MetricsRegistry;
  /** Quiet time after a file event before reloading, milliseconds. @default service.reloadDebounceMs */
  debounceMs?: number;
  /** Watch the files; `false` leaves reloading to {@linkcode ConfigService.reload}. @default true */
  watch?: boolean;
}

/**
 * What a reload did: `changed` (new configuration swapped in), `unchanged` (same bytes or same
 * effective configuration), `invalid` (kept the old one; `error` says why).
 */
export interface ReloadResult {
  /** The outcome. */
  outcome: "changed" | "unchanged" | "invalid";
  /** The configuration in force after the reload. */
  current: LoadedConfig;
  /** Why the new files were refused (`invalid` only). */
  error?: Error;
}

/**
 * A watched, hot-reloaded configuration.
 *
 * @example Usage
 * ```ts
 * import { ConfigService } from "./config_service.ts";
 * const service = await ConfigService.start({ profile: "dev" });
 * service.onChange((next) => console.log("now", next.hash));
 * const snapshot = service.current(); // use it for one unit of work
 * service.close();
 * ```
 */
export class ConfigService {
  #current: LoadedConfig;
  #contentHash: string;
  readonly #options: ConfigServiceOptions;
  readonly #log: Logger;
  readonly #changeListeners = new Set<(next: LoadedConfig, previous: LoadedConfig) => void>();
  readonly #reloadListeners = new Set<(result: ReloadResult) => void>();
  readonly #failures;
  readonly #successes;
  readonly #info;
  #watcher: Deno.FsWatcher | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    loaded: LoadedConfig,
    contentHash: string,
    options: ConfigServiceOptions,
  ) {
    this.#current = loaded;
    this.#contentHash = contentHash;
    this.#options = options;
    this.#log = options.logger ?? createLogger({ component: "config" });
    const reg = options.metrics ?? defaultRegistry;
    this.#failures = reg.counter({
      name: "gam_config_reload_failures_total",
      help: "Configuration reloads refused because the edited files were invalid.",
    });
    this.#successes = reg.counter({
      name: "gam_config_reloads_total",
      help: "Configuration reloads that swapped in a new effective configuration.",
    });
    this.#info = reg.gauge({
      name: "gam_config_info",
      help: "1 for the hash of the configuration in force, 0 for earlier ones.",
      labelNames: ["hash"],
    });
    this.#info.set({ hash: loaded.hash }, 1);
  }

  /**
   * Loads the configuration (throwing if it is invalid: a service never starts on a bad file)
   * and starts watching its files.
   *
   * @param options Loader options plus logger, metrics, debounce and watch switch.
   * @returns The running service.
   * @throws {ConfigError} When the configuration is invalid at start.
   *
   * @example Usage
   * ```ts
   * import { ConfigService } from "./config_service.ts";
   * const service = await ConfigService.start({ configPath: "config/ingestion.yaml" });
   * service.close();
   * ```
   */
  static async start(options: ConfigServiceOptions = {}): Promise<ConfigService> {
    const loaded = await loadConfig(options);
    const contentHash = await hashFiles(loaded.sources);
    const service = new ConfigService(loaded, contentHash, options);
    if (options.watch ?? true) service.#watch();
    service.#log.info("configuration loaded", {
      hash: loaded.hash,
      sources: loaded.sources,
      overrides: loaded.overrides,
    });
    return service;
  }

  /**
   * The configuration in force: an immutable snapshot, safe to keep for a whole unit of work.
   *
   * @example Usage
   * ```ts
   * import { ConfigService } from "./config_service.ts";
   * const service = await ConfigService.start({ profile: "dev", watch: false });
   * const { config, hash } = service.current();
   * service.close();
   * ```
   */
  current(): LoadedConfig {
    return this.#current;
  }

  /**
   * Calls `listener(next, previous)` after each swap.
   *
   * @param listener Called synchronously after the swap; its errors are logged, not thrown.
   * @returns A function that removes the listener.
   *
   * @example Usage
   * ```ts
   * import { ConfigService } from "./config_service.ts";
   * const service = await ConfigService.start({ profile: "dev", watch: false });
   * const off = service.onChange((next) => console.log(next.hash));
   * off();
   * service.close();
   * ```
   */
  onChange(listener: (next: LoadedConfig, previous: LoadedConfig) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /**
   * Calls `listener(result)` after every reload attempt, whatever its outcome.
   *
   * @param listener Receives the {@linkcode ReloadResult}.
   * @returns A function that removes the listener.
   *
   * @example Usage
   * ```ts
   * import { ConfigService } from "./config_service.ts";
   * const service = await ConfigService.start({ profile: "dev", watch: false });
   * service.onReload((r) => console.log(r.outcome));
   * service.close();
   * ```
   */
  onReload(listener: (result: ReloadResult) => void): () => void {
    this.#reloadListeners.add(listener);
    return () => this.#reloadListeners.delete(listener);
  }

  /**
   * Reloads now (as a file change would, without the debounce). Reloads never overlap.
   *
   * @returns What the reload did.
   *
   * @example Usage
   * ```ts
   * import { ConfigService } from "./config_service.ts";
   * const service = await ConfigService.start({ profile: "dev", watch: false });
   * const result = await service.reload(); // e.g. on SIGHUP
   * result.outcome; // "unchanged": the files did not change
   * service.close();
   * ```
   */
  reload(): Promise<ReloadResult> {
    const run = this.#queue.then(() => this.#reloadNow());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Stops watching. The last snapshot stays readable.
   *
   * @example Usage
   * ```ts
   * import { ConfigService } from "./config_service.ts";
   * const service = await ConfigService.start({ profile: "dev", watch: false });
   * service.close();
   * ```
   */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      this.#watcher?.close();
    } catch {
      // already closed
    }
    this.#watcher = undefined;
  }

  /** Same as {@linkcode close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  async #reloadNow(): Promise<ReloadResult> {
    const previous = this.#current;
    let contentHash: string;
    try {
      contentHash = await hashFiles(previous.sources);
    } catch (e) {
      return this.#refuse(e as Error);
    }
    if (contentHash === this.#contentHash) {
      return this.#emit({ outcome: "unchanged", current: previous });
    }
    this.#contentHash = contentHash;
    let next: LoadedConfig;
    try {
      next = await loadConfig(this.#options);
    } catch (e) {
      return this.#refuse(e as Error);
    }
    if (next.hash === previous.hash) {
      this.#log.debug("configuration files changed, effective configuration did not", {
        hash: next.hash,
      });
      return this.#emit({ outcome: "unchanged", current: previous });
    }
    this.#current = next;
    this.#successes.inc();
    this.#info.set({ hash: previous.hash }, 0);
    this.#info.set({ hash: next.hash }, 1);
    this.#log.info("configuration reloaded", {
      previousHash: previous.hash,
      hash: next.hash,
      sources: next.sources,
    });
    for (const listener of this.#changeListeners) {
      try {
        listener(next, previous);
      } catch (e) {
        this.#log.error("configuration change listener failed", { error: e });
      }
    }
    return this.#emit({ outcome: "changed", current: next });
  }

  #refuse(error: Error): ReloadResult {
    this.#failures.inc();
    this.#log.error("configuration reload refused; keeping the configuration in force", {
      hash: this.#current.hash,
      issues: error instanceof ConfigError ? error.issues.map(formatIssue) : [error.message],
    });
    return this.#emit({ outcome: "invalid", current: this.#current, error });
  }

  #emit(result: ReloadResult): ReloadResult {
    for (const listener of this.#reloadListeners) {
      try {
        listener(result);
      } catch (e) {
        this.#log.error("configuration reload listener failed", { error: e });
      }
    }
    return result;
  }

  #watch(): void {
    const files = new Set(this.#current.sources.map((f) => resolve(f)));
    const dirs = [...new Set([...files].map((f) => resolve(f, "..")))];
    const watcher = Deno.watchFs(dirs, { recursive: false });
    this.#watcher = watcher;
    const delay = this.#options.debounceMs ?? this.#current.config.service.reloadDebounceMs;
    (async () => {
      try {
        for await (const event of watcher) {
          if (this.#closed) break;
          if (!event.paths.some((p) => files.has(resolve(p)))) continue;
          if (this.#timer !== undefined) clearTimeout(this.#timer);
          this.#timer = setTimeout(() => {
            this.#timer = undefined;
            if (!this.#closed) this.reload();
          }, delay);
        }
      } catch (e) {
        if (!this.#closed) this.#log.error("configuration watcher stopped", { error: e });
      }
    })();
  }
}

async function hashFiles(files: readonly string[]): Promise<string> {
  const parts: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const f of files) {
    parts.push(enc.encode(`\u0000${f}\u0000`), await Deno.readFile(f));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
