/**
 * Structured logging: one JSON object per line to stderr (or an injected sink), with `time`
 * (ISO 8601 UTC), `level`, `msg`, `correlationId`, `component` and the event's own fields.
 * Every line is passed through {@linkcode redact} after serialisation, and fields whose key
 * names a credential are hidden first ({@linkcode redactFields}). A `pretty` format gives one
 * readable line per event for terminals.
 *
 * @module
 */
import { escapeControlChars } from "./safe_text.ts";
import { redact, redactFields } from "./redaction.ts";
import { toJsonSafe } from "./_serialize.ts";

/**
 * The log levels, least severe first.
 *
 * @example Usage
 * ```ts
 * import { LOG_LEVELS } from "./logger.ts";
 * console.log(LOG_LEVELS.join("|")); // "debug|info|warn|error"
 * ```
 */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/**
 * One of {@linkcode LOG_LEVELS}.
 *
 * @example Usage
 * ```ts
 * import type { LogLevel } from "./logger.ts";
 * const level: LogLevel = "warn";
 * ```
 */
export type LogLevel = typeof LOG_LEVELS[number];

/**
 * A threshold: a level, or `"silent"` to log nothing.
 *
 * @example Usage
 * ```ts
 * import type { LogThreshold } from "./logger.ts";
 * const quiet: LogThreshold = "silent";
 * ```
 */
export type LogThreshold = LogLevel | "silent";

/**
 * The output format: `json` (one object per line, the default) or `pretty` (for a TTY).
 *
 * @example Usage
 * ```ts
 * import type { LogFormat } from "./logger.ts";
 * const format: LogFormat = Deno.stderr.isTerminal() ? "pretty" : "json";
 * ```
 */
export type LogFormat = "json" | "pretty";

/**
 * Event fields: any JSON-like values; errors, dates, typed arrays, maps and bigints are
 * serialised sensibly.
 *
 * @example Usage
 * ```ts
 * import type { LogFields } from "./logger.ts";
 * const fields: LogFields = { modality: "gravity", durationSeconds: 1.2 };
 * ```
 */
export type LogFields = Record<string, unknown>;

/**
 * Thrown by {@linkcode createLogger} and {@linkcode parseLogLevel} for an unknown level or
 * format.
 *
 * @example Usage
 * ```ts
 * import { LoggerConfigError, parseLogLevel } from "./logger.ts";
 * try {
 *   parseLogLevel("verbose");
 * } catch (e) {
 *   if (e instanceof LoggerConfigError) console.log(e.message);
 * }
 * ```
 */
export class LoggerConfigError extends RangeError {
  /** @param message What was received and what was expected. */
  constructor(message: string) {
    super(message);
    this.name = "LoggerConfigError";
  }
}

/**
 * Parses a log threshold, e.g. from `--log-level` (case-insensitive).
 *
 * @param value `debug`, `info`, `warn`, `error` or `silent`.
 * @param where Where the value came from, for the error message. @default "log level"
 * @returns The threshold.
 * @throws {LoggerConfigError} For anything else.
 *
 * @example Usage
 * ```ts
 * import { parseLogLevel } from "./logger.ts";
 * parseLogLevel("WARN"); // "warn"
 * ```
 */
export function parseLogLevel(value: string, where = "log level"): LogThreshold {
  const v = typeof value === "string" ? value.trim().toLowerCase() : value;
  if (v === "silent" || (LOG_LEVELS as readonly unknown[]).includes(v)) return v as LogThreshold;
  throw new LoggerConfigError(
    `Invalid ${where} ${JSON.stringify(value)}; expected one of ${LOG_LEVELS.join(", ")}, silent`,
  );
}

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Lowest level written. @default "info" */
  level?: LogThreshold;
  /** Output format. @default "json" */
  format?: LogFormat;
  /** The component writing, e.g. `"cli"`, `"ingestion"`. @default "gam" */
  component?: string;
  /** The run's (or fetch's) correlation id. @default undefined (omitted from lines) */
  correlationId?: string;
  /** Fields added to every line. @default {} */
  fields?: LogFields;
  /**
   * Receives each finished line (already redacted, without the trailing newline).
   * @default a synchronous write of the line and "\n" to stderr
   */
  sink?: (line: string) => void;
  /** Include stacks of logged errors (name, message and cause chain are always included). @default false */
  errorStacks?: boolean;
  /** The clock, for tests. @default () => new Date() */
  now?: () => Date;
}

/** Bindings of {@linkcode Logger.child}. */
export interface ChildBindings {
  /** Replaces the component. */
  component?: string;
  /** Replaces the correlation id. */
  correlationId?: string;
  /** Any other field to add to every line of the child. */
  [field: string]: unknown;
}

/**
 * A structured logger. Made by {@linkcode createLogger}.
 *
 * @example Usage
 * ```ts
 * import { createLogger } from "./logger.ts";
 * const log = createLogger({ component: "cli" });
 * log.info("fetch done", { modality: "gravity", durationSeconds: 1.2 });
 * ```
 */
export interface Logger {
  /** The threshold of this logger. */
  readonly level: LogThreshold;
  /** The component of this logger. */
  readonly component: string;
  /** The correlation id of this logger, if any. */
  readonly correlationId: string | undefined;
  /** Whether a line at `level` would be written. */
  isLevelEnabled(level: LogLevel): boolean;
  /** Logs at debug level. */
  debug(msg: string, fields?: LogFields): void;
  /** Logs at info level. */
  info(msg: string, fields?: LogFields): void;
  /** Logs at warn level. */
  warn(msg: string, fields?: LogFields): void;
  /** Logs at error level. */
  error(msg: string, fields?: LogFields): void;
  /** Logs at `level`. */
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  /** A logger writing to the same sink with the same threshold, with these bindings added. */
  child(bindings: ChildBindings): Logger;
}

const RANK: Record<LogThreshold, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };
const RESERVED = new Set(["time", "level", "msg"]);

const encoder = new TextEncoder();

/**
 * Writes `line` and a newline to stderr synchronously (so lines are never interleaved or lost
 * at exit). A closed stderr is ignored.
 *
 * @param line One finished log line.
 *
 * @example Usage
 * ```ts
 * import { stderrSink } from "./logger.ts";
 * stderrSink('{"level":"info","msg":"hello"}');
 * ```
 */
export function stderrSink(line: string): void {
  const bytes = encoder.encode(line + "\n");
  try {
    let off = 0;
    while (off < bytes.length) off += Deno.stderr.writeSync(bytes.subarray(off));
  } catch (e) {
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
  }
}

interface State {
  threshold: number;
  level: LogThreshold;
  format: LogFormat;
  sink: (line: string) => void;
  stacks: boolean;
  now: () => Date;
}

/**
 * Creates a logger.
 *
 * @param options Level, format, component, correlation id, fields, sink.
 * @returns The logger.
 * @throws {LoggerConfigError} For an unknown level or format.
 *
 * @example JSON lines to stderr
 * ```ts
 * import { createLogger } from "./logger.ts";
 * import { newCorrelationId } from "./correlation.ts";
 * const log = createLogger({ level: "info", format: "json", component: "cli" });
 * const child = log.child({ component: "ingestion", correlationId: newCorrelationId("fetch") });
 * child.info("fetch done", { modality: "gravity", durationSeconds: 1.2 });
 * // {"time":"2026-11-25T17:15:01.123Z","level":"info","msg":"fetch done",
 * //  "correlationId":"fetch-20261125T171501Z-3f9a0c41b2d7","component":"ingestion",
 * //  "modality":"gravity","durationSeconds":1.2}
 * ```
 *
 * @example Capturing lines in a test
 * ```ts
 * import { createLogger } from "./logger.ts";
 * const lines: string[] = [];
 * const log = createLogger({ level: "debug", sink: (l) => lines.push(l) });
 * log.debug("hello");
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = parseLogLevel(options.level ?? "info", "logger level");
  const format = options.format ?? "json";
  if (format !== "json" && format !== "pretty") {
    throw new LoggerConfigError(
      `Invalid log format ${JSON.stringify(format)}; expected "json" or "pretty"`,
    );
  }
  const state: State = {
    threshold: RANK[level],
    level,
    format,
    sink: options.sink ?? stderrSink,
    stacks: options.errorStacks ?? false,
    now: options.now ?? (() => new Date()),
  };
  return new LoggerImpl(
    state,
    options.component ?? "gam",
    options.correlationId,
    options.fields ?? {},
  );
}

class LoggerImpl implements Logger {
  readonly #state: State;
  readonly component: string;
  readonly correlationId: string | undefined;
  readonly #fields: LogFields;

  constructor(
    state: State,
    component: string,
    correlationId: string | undefined,
    fields: LogFields,
  ) {
    this.#state = state;
    this.component = component;
    this.correlationId = correlationId;
    this.#fields = fields;
  }

  get level(): LogThreshold {
    return this.#state.level;
  }

  isLevelEnabled(level: LogLevel): boolean {
    return RANK[level] >= this.#state.threshold;
  }

  debug(msg: string, fields?: LogFields): void {
    this.log("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log("error", msg, fields);
  }

  log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (!(RANK[level] >= this.#state.threshold)) return;
    const s = this.#state;
    const record: Record<string, unknown> = {
      time: s.now().toISOString(),
      level,
      msg: String(msg),
    };
    const merged: LogFields = { ...this.#fields, ...fields };
    let correlationId = this.correlationId;
    let component = this.component;
    if (typeof merged.correlationId === "string") correlationId = merged.correlationId;
    if (typeof merged.component === "string") component = merged.component;
    delete merged.correlationId;
    delete merged.component;
    if (correlationId !== undefined) record.correlationId = correlationId;
    record.component = component;
    const safe = redactFields(toJsonSafe(merged, { stacks: s.stacks })) as Record<string, unknown>;
    for (const [k, v] of Object.entries(safe)) {
      record[RESERVED.has(k) ? `field_${k}` : k] = v;
    }
    const line = s.format === "json" ? JSON.stringify(record) : pretty(record);
    s.sink(redact(line));
  }

  child(bindings: ChildBindings): Logger {
    const { component, correlationId, ...fields } = bindings;
    return new LoggerImpl(
      this.#state,
      typeof component === "string" ? component : this.component,
      typeof correlationId === "string" ? correlationId : this.correlationId,
      { ...this.#fields, ...fields },
    );
  }
}

/** `12:00:01.123 INFO  ingestion [fetch-…] fetch done modality=gravity durationSeconds=1.2` */
function pretty(record: Record<string, unknown>): string {
  const { time, level, msg, correlationId, component, ...rest } = record;
  const parts = [
    String(time).slice(11, 23),
    String(level).toUpperCase().padEnd(5),
    String(component),
  ];
  if (correlationId !== undefined) parts.push(`[${correlationId}]`);
  parts.push(escapeControlChars(String(msg)));
  for (const [k, v] of Object.entries(rest)) {
    // JSON escapes control characters; a bare value is used only when it has none.
    const text = typeof v === "string" && /^[^\s"=\p{Cc}\p{Cf}]+$/u.test(v) ? v : JSON.stringify(v);
    parts.push(`${escapeControlChars(k)}=${text}`);
  }
  return parts.join(" ");
}
