/**
 * Observability for GAM: structured JSON logs with correlation ids, secret redaction, and
 * Prometheus metrics.
 *
 * - {@linkcode createLogger}: one JSON object per line to stderr (`time`, `level`, `msg`,
 *   `correlationId`, `component`, event fields), or `pretty` lines for a terminal; errors in
 *   fields are serialised with name, message and cause chain.
 * - {@linkcode registerSecret} / {@linkcode redact}: every log line, and every error message the
 *   CLI prints, has registered secrets replaced by `[REDACTED]`; credential-named fields
 *   (password, token, secret, apiKey, authorization...) are hidden whatever their value.
 * - {@linkcode newCorrelationId}: `run-20261125T171501Z-3f9a0c41b2d7`.
 * - {@linkcode runTraceparent} / {@linkcode childTraceparent}: W3C Trace Context, one trace per
 *   run (from `TRACEPARENT` when the submitting command set it), one span per fetch.
 * - {@linkcode MetricsRegistry} / {@linkcode defaultRegistry}: counters, gauges and histograms
 *   with labels, `gam_` names in base units, rendered in Prometheus text format 0.0.4.
 * - {@linkcode recordRunMetrics}: the metrics of `gam run` (modality outcomes, durations, last
 *   success, stage durations, peak memory).
 *
 * @example Logging a fetch and counting it
 * ```ts
 * import { createLogger, MetricsRegistry, newCorrelationId } from "./mod.ts";
 *
 * const log = createLogger({ level: "info", format: "json", component: "cli" });
 * const child = log.child({ component: "ingestion", correlationId: newCorrelationId("fetch") });
 * child.info("fetch done", { modality: "gravity", durationSeconds: 1.2 });
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
 * @example Redacting a secret in a CLI error message
 * ```ts
 * import { redact, registerSecret } from "./mod.ts";
 * registerSecret("tok_live_abc123");
 * console.error(redact("request failed: bad token tok_live_abc123")); // "... bad token [REDACTED]"
 * ```
 *
 * @module
 */
export {
  type ChildBindings,
  createLogger,
  LOG_LEVELS,
  type LogFields,
  type LogFormat,
  type Logger,
  LoggerConfigError,
  type LoggerOptions,
  type LogLevel,
  type LogThreshold,
  parseLogLevel,
  stderrSink,
} from "./logger.ts";
export {
  isSensitiveKey,
  MIN_SECRET_LENGTH,
  redact,
  REDACTED,
  redactFields,
  registerSecret,
  SecretRegistrationError,
  unregisterSecret,
} from "./redaction.ts";
export { errorMessage, escapeControlChars } from "./safe_text.ts";
export { CorrelationIdError, isCorrelationId, newCorrelationId } from "./correlation.ts";
export {
  childTraceparent,
  newTraceparent,
  parseTraceparent,
  runTraceparent,
  type TraceContext,
  traceIdOf,
  TraceparentError,
} from "./trace_context.ts";
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
} from "./metrics.ts";
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
