/**
 * Prometheus metrics for GAM, the sub-surface of `src/observability/` that loads prom-client
 * (about 0.07 s of CPU, so commands that record no metric do not load it).
 *
 * - {@linkcode MetricsRegistry} / {@linkcode defaultRegistry}: counters, gauges and histograms
 *   with labels, `gam_` names in base units, rendered in Prometheus text format 0.0.4.
 * - {@linkcode pushMetrics} / {@linkcode writeMetricsFile}: a one-shot command's metrics, pushed
 *   to a Pushgateway or written to a file for node_exporter's textfile collector.
 * - {@linkcode recordRunMetrics}: the metrics of `gam run` (modality outcomes, durations, last
 *   success, stage durations, peak memory).
 * - {@linkcode serveProbes} / {@linkcode probeResponse}: `/healthz`, `/readyz` and `/metrics` of a
 *   long-running process.
 *
 * @example Counting fetches and timing them
 * ```ts
 * import { MetricsRegistry } from "./mod.ts";
 *
 * const reg = new MetricsRegistry();
 * const fetches = reg.counter({
 *   name: "gam_ingestion_fetch_total",
 *   help: "Fetches by modality, plugin and outcome.",
 *   labelNames: ["modality", "plugin", "outcome"],
 * });
 * fetches.inc({ modality: "gravity", plugin: "synthetic", outcome: "ok" });
 * const dur = reg.histogram({
 *   name: "gam_ingestion_fetch_duration_seconds",
 *   help: "Duration of one fetch in seconds.",
 *   labelNames: ["modality"],
 *   buckets: [0.1, 0.5, 1, 5, 30],
 * });
 * dur.observe({ modality: "gravity" }, 0.42);
 * console.log(await reg.render());
 * ```
 *
 * @module
 */
export {
  Counter,
  DEFAULT_SECONDS_BUCKETS,
  defaultRegistry,
  exponentialBuckets,
  Gauge,
  type GaugeOptions,
  Histogram,
  type HistogramOptions,
  type Labels,
  MetricError,
  type MetricOptions,
  MetricsRegistry,
  type UpdateArgs,
} from "./registry.ts";
export {
  MetricsPushError,
  pushGroupUrl,
  pushMetrics,
  type PushMetricsOptions,
  writeMetricsFile,
} from "./export_metrics.ts";
export {
  lastSuccessGauge,
  type ModalityRunRecord,
  peakResidentBytes,
  recordRunMetrics,
} from "./run_metrics.ts";
export { parseListen, probeResponse, type ProbeServerOptions, serveProbes } from "./probes.ts";
