/**
 * The ingestion service: `fetch(modality, bbox) -> RawData` through the provider configured
 * for the modality, under the modality's resilience policies, with validation, lifecycle
 * events, logs and metrics. It never reads the cache: fetch-through, and serving an expired
 * copy when the source is down ({@linkcode isSourceDown}), belong to `IngestionCache.getOrFetch`.
 *
 * @module
 */
import { type Bbox, checkBbox, ContractError, type RawData } from "../contracts/mod.ts";
import { rawDataChecksum } from "../contracts/checksum.ts";
import { rawDataBytes } from "../contracts/schemas.ts";
import { validateRawData } from "../contracts/schemas.ts";
import { ingestionCacheKey } from "./cache_key.ts";
import { childTraceparent, newTraceparent } from "../observability/mod.ts";
import {
  isRetryable,
  ModalityFetchError,
  PluginTimeoutError,
  UnknownModalityError,
} from "./errors.ts";
import { IngestionMetrics, type MetricsLike, noopMetrics } from "./metrics.ts";
import type { ProviderRequest } from "./plugin_api.ts";
import { CIRCUIT_STATE_VALUE } from "./metrics.ts";
import {
  DEFAULT_RESILIENCE,
  GuardError,
  ModalityGuard,
  type ResilienceSettings,
} from "./resilience.ts";

/**
 * A source of `RawData` for a modality: a sandboxed plugin or, in tests, a double.
 *
 * @example Usage
 * ```ts
 * import type { SourceProvider } from "./service.ts";
 * const p: SourceProvider = { id: "x", version: "1.0.0", fetch: () => Promise.reject(new Error()) };
 * ```
 */
export interface SourceProvider {
  /** Plugin id. */
  readonly id: string;
  /** Plugin version. */
  readonly version: string;
  /** What the plugin really is (module URL, module-graph hash); part of cache keys. */
  readonly identity?: PluginIdentity;
  /** Fetches data; must honour `request.signal`. */
  fetch(request: ProviderRequest): Promise<RawData>;
  /** Releases resources (plugin processes). */
  close?(): void | Promise<void>;
}

/**
 * A sandboxed plugin's identity beyond the id and version it claims: its resolved module URL and
 * the SHA-256 of its vetted module graph's sources.
 *
 * @example Usage
 * ```ts
 * import type { PluginIdentity } from "./service.ts";
 * const id: PluginIdentity = { module: "file:///p/mod.ts", graphHash: "sha256:00" };
 * ```
 */
export interface PluginIdentity {
  /** The resolved module URL. */
  module: string;
  /** `sha256:<hex>` of the module graph's sources. */
  graphHash: string;
  /** Integrity of each npm package of a registry-installed plugin, by `name@version`. */
  npmIntegrity?: Record<string, string>;
}

/** The logger shape the service uses (the one of `src/observability/` fits). */
export interface IngestionLogger {
  /** Debug line. */
  debug(msg: string, fields?: Record<string, unknown>): void;
  /** Info line. */
  info(msg: string, fields?: Record<string, unknown>): void;
  /** Warning line. */
  warn(msg: string, fields?: Record<string, unknown>): void;
  /** Error line. */
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Outcome of a fetch, in events, logs and the `outcome` metric label. */
export type FetchOutcome = "ok" | "error" | "invalid" | "rejected" | "circuit_open";

/**
 * Payload of the `preFetch` event.
 *
 * @example Usage
 * ```ts
 * import type { PreFetchEvent } from "./service.ts";
 * const e: PreFetchEvent = { correlationId: "c", modality: "gravity", plugin: "p", cacheKey: "k" };
 * ```
 */
export interface PreFetchEvent {
  /** Correlation id of the fetch (the plugin's `traceId`). */
  correlationId: string;
  /** W3C `traceparent` of the fetch (a child span of the run's). */
  traceparent?: string;
  /** Modality. */
  modality: string;
  /** Plugin id. */
  plugin: string;
  /** Ingestion cache key. */
  cacheKey: string;
  /** The plugin's version. */
  pluginVersion?: string;
  /** The plugin's identity (module URL, graph hash), when sandboxed. */
  identity?: PluginIdentity;
  /** The bbox requested, degrees. */
  bbox?: Bbox;
  /** The plugin params of the request. */
  params?: Record<string, unknown>;
}

/**
 * Payload of the `postFetch` event.
 *
 * @example Usage
 * ```ts
 * import type { PostFetchEvent } from "./service.ts";
 * ```
 */
export interface PostFetchEvent extends PreFetchEvent {
  /** Outcome. */
  outcome: FetchOutcome;
  /** Attempts made. */
  attempts: number;
  /** Duration, seconds. */
  durationSeconds: number;
  /** Canonical checksum of the data returned (ok). */
  checksum?: string;
  /** Bytes of the arrays returned (ok and stale). */
  bytes?: number;
  /** The error message (error outcomes). */
  error?: string;
}

/**
 * Result of {@linkcode IngestionService.fetch}.
 *
 * @example Usage
 * ```ts
 * import type { IngestionResult } from "./service.ts";
 * ```
 */
export interface IngestionResult {
  /** The validated data (with `metadata.checksum` set). */
  data: RawData;
  /** Cache key of the request. */
  cacheKey: string;
  /** Attempts made. */
  attempts: number;
  /** Correlation id of the fetch. */
  correlationId: string;
}

/** Options of {@linkcode IngestionService}. */
export interface IngestionServiceOptions {
  /** One provider per modality. */
  providers: ReadonlyMap<string, SourceProvider> | Record<string, SourceProvider>;
  /** Resilience settings per modality; missing modalities use {@linkcode DEFAULT_RESILIENCE}. */
  resilience?: Record<string, ResilienceSettings>;
  /** Logger. @default silent */
  logger?: IngestionLogger;
  /** Metrics registry. @default records nothing */
  metrics?: MetricsLike;
  /** Random source for the backoff jitter, in [0, 1). @default Math.random */
  random?: () => number;
  /** Tolerance of the bbox check, degrees. @default 1e-9 */
  bboxTolerance?: number;
}

/** Options of one {@linkcode IngestionService.fetch}. */
export interface FetchOptions {
  /** Plugin params. @default {} */
  params?: Record<string, unknown>;
  /** Cancels the fetch. */
  signal?: AbortSignal;
  /** Correlation id. @default a new random id */
  correlationId?: string;
  /**
   * The run's W3C `traceparent`: the fetch is a child span of it (same trace id), handed to
   * the plugin as `traceparent` and logged on the fetch's lines. @default a new trace
   */
  traceparent?: string;
  /**
   * The request's cache key when the caller already computed it with
   * {@linkcode IngestionService.cacheKey} (it names the fetch in events and logs).
   * @default computed here
   */
  cacheKey?: string;
}

type Listener<E> = (event: E) => void;

const silent: IngestionLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The ingestion service.
 *
 * @example Fetch with a test double
 * ```ts
 * import { IngestionService } from "./service.ts";
 * import { synthetic } from "../plugins/in_process.ts";
 * const plugin = synthetic.createPlugin();
 * const service = new IngestionService({
 *   providers: {
 *     gravity: {
 *       id: synthetic.manifest.id,
 *       version: synthetic.manifest.version,
 *       fetch: (r) =>
 *         plugin.fetch({
 *           ...r,
 *           traceId: r.traceId ?? "t",
 *           traceparent: r.traceparent ?? "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
 *           grantedHosts: [],
 *         }),
 *     },
 *   },
 * });
 * const { data } = await service.fetch("gravity", [16, -35, 17, -34]);
 * ```
 */
export class IngestionService {
  readonly #providers: Map<string, SourceProvider>;
  readonly #guards = new Map<string, ModalityGuard>();
  readonly #log: IngestionLogger;
  readonly #metrics: IngestionMetrics;
  readonly #tolerance: number;
  readonly #pre = new Set<Listener<PreFetchEvent>>();
  readonly #post = new Set<Listener<PostFetchEvent>>();

  /** @param options Providers, resilience, logger, metrics. */
  constructor(options: IngestionServiceOptions) {
    this.#providers = options.providers instanceof Map
      ? new Map(options.providers)
      : new Map(Object.entries(options.providers));
    this.#log = options.logger ?? silent;
    this.#metrics = new IngestionMetrics(options.metrics ?? noopMetrics);
    this.#tolerance = options.bboxTolerance ?? 1e-9;
    for (const modality of this.#providers.keys()) {
      const settings = options.resilience?.[modality] ?? DEFAULT_RESILIENCE;
      this.#guards.set(modality, this.#makeGuard(modality, settings, options.random));
    }
  }

  #makeGuard(modality: string, settings: ResilienceSettings, random?: () => number) {
    const m = this.#metrics;
    m.circuitState.set({ modality }, CIRCUIT_STATE_VALUE.closed);
    return new ModalityGuard(settings, {
      random,
      hooks: {
        onRetry: (attempt, delayMs, error) => {
          m.retries.inc({ modality });
          this.#log.warn("ingestion attempt failed; retrying", {
            modality,
            attempt,
            delayMs,
            error: errorText(error),
          });
        },
        onCircuitChange: (from, to) => {
          m.circuitTransitions.inc({ modality, from, to });
          m.circuitState.set({ modality }, CIRCUIT_STATE_VALUE[to]);
          this.#log.warn("circuit breaker changed state", { modality, from, to });
        },
        onBulkheadReject: () => m.bulkheadRejections.inc({ modality }),
        onRateLimited: () => m.rateLimited.inc({ modality }),
      },
    });
  }

  /** The modalities that have a provider. */
  get modalities(): string[] {
    return [...this.#providers.keys()];
  }

  /** The circuit state of a modality. */
  circuitState(modality: string): string {
    return this.#guardFor(modality).circuitState;
  }

  /**
   * Subscribes to `preFetch` or `postFetch`. Returns an unsubscribe function. A listener that
   * throws is logged and ignored.
   */
  on(event: "preFetch", listener: Listener<PreFetchEvent>): () => void;
  on(event: "postFetch", listener: Listener<PostFetchEvent>): () => void;
  on(event: "preFetch" | "postFetch", listener: Listener<never>): () => void {
    const set = (event === "preFetch" ? this.#pre : this.#post) as Set<Listener<never>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * The ingestion cache key of a request of `modality` with `params`: the one place it is
   * computed from the provider's id, version and identity ({@linkcode ingestionCacheKey}).
   */
  cacheKey(modality: string, bbox: Bbox, params: Record<string, unknown> = {}): string {
    const p = this.#providerFor(modality);
    return ingestionCacheKey({
      plugin: p.id,
      version: p.version,
      modality,
      bbox,
      params,
      identity: p.identity,
    });
  }

  /**
   * Fetches `modality` for `bbox`.
   *
   * @returns The validated data, its cache key, the attempts made.
   * @throws {UnknownModalityError} when no provider serves the modality.
   * @throws {BboxError} for an invalid bbox.
   * @throws {ContractError} when the plugin returned invalid data (counted, never cached).
   * @throws {ModalityFetchError} when the fetch failed (`sourceDown` when the source is
   * unreachable, the case where a cache may serve an expired copy instead).
   */
  async fetch(modality: string, bbox: Bbox, options: FetchOptions = {}): Promise<IngestionResult> {
    const provider = this.#providerFor(modality);
    const guard = this.#guardFor(modality);
    checkBbox(bbox, "bbox");
    const params = options.params ?? {};
    const correlationId = options.correlationId ?? `fetch-${crypto.randomUUID()}`;
    const traceparent = options.traceparent === undefined
      ? newTraceparent()
      : childTraceparent(options.traceparent);
    const cacheKey = options.cacheKey ?? this.cacheKey(modality, bbox, params);
    const plugin = provider.id;
    const base = { correlationId, traceparent, modality, plugin, cacheKey };
    const started = performance.now();
    this.#emit(this.#pre, {
      ...base,
      pluginVersion: provider.version,
      ...(provider.identity ? { identity: provider.identity } : {}),
      bbox,
      params,
    });
    this.#log.info("ingestion fetch start", base);

    const finish = (
      outcome: FetchOutcome,
      attempts: number,
      extra: { checksum?: string; error?: string; bytes?: number },
    ) => {
      const durationSeconds = (performance.now() - started) / 1000;
      this.#metrics.fetchTotal.inc({ modality, plugin, outcome });
      this.#metrics.fetchDuration.observe({ modality, plugin }, durationSeconds);
      const fields = { ...base, attempt: attempts, outcome, durationSeconds, ...extra };
      if (outcome === "ok") this.#log.info("ingestion fetch end", fields);
      else this.#log.error("ingestion fetch end", fields);
      this.#emit(this.#post, { ...base, outcome, attempts, durationSeconds, ...extra });
    };

    let raw: unknown;
    let attempts = 0;
    try {
      const r = await guard.run(
        ({ signal }) =>
          provider.fetch({
            modality,
            bbox,
            params,
            traceId: correlationId,
            traceparent,
            correlationId,
            signal,
          }),
        {
          signal: options.signal,
          onTimeout: () => new PluginTimeoutError(plugin, guard.settings.timeoutMs),
        },
      );
      raw = r.value;
      attempts = r.attempts;
    } catch (e) {
      const g = e as GuardError;
      attempts = g.attempts ?? 0;
      const cause = g.cause ?? e;
      const sourceDown = g.kind === "circuit_open" || (g.kind === "error" && isRetryable(cause));
      const outcome: FetchOutcome = g.kind === "rejected"
        ? "rejected"
        : g.kind === "circuit_open"
        ? "circuit_open"
        : "error";
      if (cause instanceof ContractError) {
        finish("invalid", attempts, { error: cause.message });
        throw cause;
      }
      const err = new ModalityFetchError(
        modality,
        plugin,
        g instanceof GuardError ? g.message : errorText(cause),
        attempts,
        { cause, sourceDown },
      );
      finish(outcome, attempts, { error: err.message });
      throw err;
    }

    let data: RawData;
    try {
      data = this.#validate(raw, modality, bbox, provider);
    } catch (e) {
      finish("invalid", attempts, { error: errorText(e) });
      throw e;
    }
    finish("ok", attempts, { checksum: data.metadata.checksum, bytes: rawDataBytes(data) });
    return { data, cacheKey, attempts, correlationId };
  }

  /** Closes every provider (stops plugin processes). */
  async close(): Promise<void> {
    for (const p of this.#providers.values()) await p.close?.();
  }

  #validate(raw: unknown, modality: string, bbox: Bbox, provider: SourceProvider): RawData {
    const where = `plugin "${provider.id}"`;
    const data = validateRawData(raw, { tolerance: this.#tolerance, where });
    const issues: string[] = [];
    if (data.modality !== modality) {
      issues.push(`modality: expected "${modality}" (requested), got "${data.modality}"`);
    }
    if (data.source.plugin !== provider.id || data.source.version !== provider.version) {
      issues.push(
        `source: expected ${provider.id}@${provider.version}, got ` +
          `${data.source.plugin}@${data.source.version}`,
      );
    }
    if (data.bbox.some((v, i) => Math.abs(v - bbox[i]) > this.#tolerance)) {
      issues.push(
        `bbox: expected the requested [${bbox.join(", ")}], got [${data.bbox.join(", ")}]`,
      );
    }
    const checksum = rawDataChecksum(data);
    if (data.metadata.checksum !== undefined && data.metadata.checksum !== checksum) {
      issues.push(
        `metadata.checksum: ${data.metadata.checksum} does not match the data (${checksum})`,
      );
    }
    if (issues.length > 0) throw new ContractError("RawData", issues, where);
    data.metadata.checksum = checksum;
    return data;
  }

  #providerFor(modality: string): SourceProvider {
    const p = this.#providers.get(modality);
    if (!p) throw new UnknownModalityError(modality, [...this.#providers.keys()]);
    return p;
  }

  #guardFor(modality: string): ModalityGuard {
    this.#providerFor(modality);
    return this.#guards.get(modality)!;
  }

  #emit<E>(set: Set<Listener<E>>, event: E): void {
    for (const l of set) {
      try {
        l(event);
      } catch (e) {
        this.#log.warn("ingestion event listener threw", { error: errorText(e) });
      }
    }
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
