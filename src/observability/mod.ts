/**
 * Observability for GAM, the light part every command loads: structured JSON logs with
 * correlation ids, secret redaction, safe text for messages, and W3C trace context. The Prometheus
 * metrics (which load prom-client, about 0.07 s of CPU) are the sub-surface `./metrics/mod.ts`.
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
 * - {@linkcode errorMessage} / {@linkcode escapeControlChars}: an error's message, and text with
 *   control characters escaped, safe to print.
 *
 * @example Logging a fetch
 * ```ts
 * import { createLogger, newCorrelationId } from "./mod.ts";
 *
 * const log = createLogger({ level: "info", format: "json", component: "cli" });
 * const child = log.child({ component: "ingestion", correlationId: newCorrelationId("fetch") });
 * child.info("fetch done", { modality: "gravity", durationSeconds: 1.2 });
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
  collectRunLog,
  openLogFile,
  openRunLog,
  type RunLog,
  type RunLogLine,
  RunLogNotFoundError,
} from "./run_log.ts";
