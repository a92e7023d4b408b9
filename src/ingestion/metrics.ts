/**
 * The ingestion metrics, registered on any registry with the GAM metrics shape
 * (`counter`/`gauge`/`histogram({name, help, labelNames, buckets})` returning objects with
 * `inc`/`set`/`observe(labels, value)`), such as the one in `src/observability/`.
 *
 * Metrics:
 * - `gam_ingestion_fetch_total{modality,plugin,outcome}`: fetches by outcome
 *   (`ok`, `error`, `invalid`, `rejected`, `circuit_open`).
 * - `gam_ingestion_fetch_duration_seconds{modality,plugin}`: histogram of fetch durations.
 * - `gam_ingestion_retries_total{modality}`: retries (attempts after the first).
 * - `gam_ingestion_circuit_state{modality}`: 0 closed, 1 open, 2 half-open.
 * - `gam_ingestion_circuit_transitions_total{modality,from,to}`.
 * - `gam_ingestion_bulkhead_rejections_total{modality}`.
 * - `gam_ingestion_rate_limited_total{modality}`: requests that waited for a token.
 *
 * @module
 */

/** Label values of one sample. */
export type Labels = Record<string, string>;

/** Definition of a metric. */
export interface MetricDefinition {
  /** Prometheus name. */
  name: string;
  /** Help text. */
  help: string;
  /** Label names. */
  labelNames?: readonly string[];
  /** Histogram bucket upper bounds (histograms only). */
  buckets?: readonly number[];
}

/**
 * The registry shape the ingestion service needs.
 *
 * @example Usage
 * ```ts
 * import { type MetricsLike, noopMetrics } from "./metrics.ts";
 * const m: MetricsLike = noopMetrics;
 * ```
 */
export interface MetricsLike {
  /** Registers (or returns) a counter. */
  counter(def: MetricDefinition): { inc(labels: Labels, value?: number): void };
  /** Registers (or returns) a gauge. */
  gauge(def: MetricDefinition): { set(labels: Labels, value: number): void };
  /** Registers (or returns) a histogram. */
  histogram(def: MetricDefinition): { observe(labels: Labels, value: number): void };
}

/**
 * A registry that records nothing.
 *
 * @example Usage
 * ```ts
 * import { noopMetrics } from "./metrics.ts";
 * noopMetrics.counter({ name: "x_total", help: "x" }).inc({});
 * ```
 */
export const noopMetrics: MetricsLike = {
  counter: () => ({ inc() {} }),
  gauge: () => ({ set() {} }),
  histogram: () => ({ observe() {} }),
};

/** Circuit states as gauge values. */
export const CIRCUIT_STATE_VALUE = { closed: 0, open: 1, half_open: 2, isolated: 3 } as const;

/**
 * The ingestion metrics, created on a registry.
 *
 * @example Usage
 * ```ts
 * import { IngestionMetrics, noopMetrics } from "./metrics.ts";
 * const m = new IngestionMetrics(noopMetrics);
 * m.fetchTotal.inc({ modality: "gravity", plugin: "synthetic", outcome: "ok" });
 * ```
 */
export class IngestionMetrics {
  /** `gam_ingestion_fetch_total`. */
  readonly fetchTotal: ReturnType<MetricsLike["counter"]>;
  /** `gam_ingestion_fetch_duration_seconds`. */
  readonly fetchDuration: ReturnType<MetricsLike["histogram"]>;
  /** `gam_ingestion_retries_total`. */
  readonly retries: ReturnType<MetricsLike["counter"]>;
  /** `gam_ingestion_circuit_state`. */
  readonly circuitState: ReturnType<MetricsLike["gauge"]>;
  /** `gam_ingestion_circuit_transitions_total`. */
  readonly circuitTransitions: ReturnType<MetricsLike["counter"]>;
  /** `gam_ingestion_bulkhead_rejections_total`. */
  readonly bulkheadRejections: ReturnType<MetricsLike["counter"]>;
  /** `gam_ingestion_rate_limited_total`. */
  readonly rateLimited: ReturnType<MetricsLike["counter"]>;

  /** @param registry Where to register. */
  constructor(registry: MetricsLike) {
    this.fetchTotal = registry.counter({
      name: "gam_ingestion_fetch_total",
      help: "Ingestion fetches by modality, plugin and outcome",
      labelNames: ["modality", "plugin", "outcome"],
    });
    this.fetchDuration = registry.histogram({
      name: "gam_ingestion_fetch_duration_seconds",
      help: "Duration of ingestion fetches including retries, seconds",
      labelNames: ["modality", "plugin"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    });
    this.retries = registry.counter({
      name: "gam_ingestion_retries_total",
      help: "Ingestion attempts retried after a retryable failure",
      labelNames: ["modality"],
    });
    this.circuitState = registry.gauge({
      name: "gam_ingestion_circuit_state",
      help: "Circuit breaker state per modality (0 closed, 1 open, 2 half-open)",
      labelNames: ["modality"],
    });
    this.circuitTransitions = registry.counter({
      name: "gam_ingestion_circuit_transitions_total",
      help: "Circuit breaker state transitions",
      labelNames: ["modality", "from", "to"],
    });
    this.bulkheadRejections = registry.counter({
      name: "gam_ingestion_bulkhead_rejections_total",
      help: "Fetches rejected because the bulkhead and its queue were full",
      labelNames: ["modality"],
    });
    this.rateLimited = registry.counter({
      name: "gam_ingestion_rate_limited_total",
      help: "Requests that waited for a rate-limit token",
      labelNames: ["modality"],
    });
  }
}
