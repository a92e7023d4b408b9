/**
 * W3C Trace Context (`traceparent`, https://www.w3.org/TR/trace-context/): one trace per
 * submitted run, carried from the submitting command (the `TRACEPARENT` environment variable,
 * as OpenTelemetry's environment carrier names it) into every log line of the run and, as a
 * child span per fetch, into the plugin's request and the source's HTTP request header.
 *
 * A `traceparent` is `00-<trace-id: 32 hex>-<parent-id: 16 hex>-<flags: 2 hex>`, lower case;
 * neither id may be all zeros.
 *
 * @module
 */

/**
 * Thrown by {@linkcode parseTraceparent} for a value that is not a version-00 `traceparent`.
 *
 * @example Usage
 * ```ts
 * import { parseTraceparent, TraceparentError } from "./trace_context.ts";
 * try {
 *   parseTraceparent("00-xyz-1-01");
 * } catch (e) {
 *   if (e instanceof TraceparentError) console.log(e.message);
 * }
 * ```
 */
export class TraceparentError extends SyntaxError {
  /**
   * @param value The value received.
   * @param where Where it came from (e.g. `TRACEPARENT`).
   */
  constructor(readonly value: string, where: string) {
    super(
      `Invalid traceparent ${JSON.stringify(value)} in ${where}; expected ` +
        `"00-<32 lower-case hex, not all zero>-<16 lower-case hex, not all zero>-<2 hex>" ` +
        `(W3C Trace Context)`,
    );
    this.name = "TraceparentError";
  }
}

/** The parts of a `traceparent`. */
export interface TraceContext {
  /** 32 lower-case hex digits: the whole trace (one submitted run). */
  traceId: string;
  /** 16 lower-case hex digits: the span that made the request. */
  spanId: string;
  /** 2 hex digits; `01` = sampled. */
  flags: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function hex(bytes: number): string {
  for (;;) {
    const b = crypto.getRandomValues(new Uint8Array(bytes));
    if (b.some((x) => x !== 0)) return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  }
}

/**
 * Parses a version-00 `traceparent`.
 *
 * @param value The header or variable value.
 * @param where Where it came from, for the message. @default "traceparent"
 * @returns Its trace id, span id and flags.
 * @throws {TraceparentError} For anything else (also all-zero ids).
 *
 * @example Usage
 * ```ts
 * import { parseTraceparent } from "./trace_context.ts";
 * const t = parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
 * console.log(t.traceId); // "4bf92f3577b34da6a3ce929d0e0e4736"
 * ```
 */
export function parseTraceparent(value: string, where = "traceparent"): TraceContext {
  const m = typeof value === "string" ? TRACEPARENT.exec(value.trim()) : null;
  if (!m || /^0+$/.test(m[1]) || /^0+$/.test(m[2])) throw new TraceparentError(value, where);
  return { traceId: m[1], spanId: m[2], flags: m[3] };
}

/**
 * A new trace: a random trace id and span id, sampled.
 *
 * @returns A `traceparent`.
 *
 * @example Usage
 * ```ts
 * import { newTraceparent } from "./trace_context.ts";
 * console.log(newTraceparent()); // "00-<32 hex>-<16 hex>-01"
 * ```
 */
export function newTraceparent(): string {
  return `00-${hex(16)}-${hex(8)}-01`;
}

/**
 * A child span of `parent`: the same trace id and flags, a new span id.
 *
 * @param parent A valid `traceparent`.
 * @returns The child's `traceparent`.
 * @throws {TraceparentError} When `parent` is not valid.
 *
 * @example Usage
 * ```ts
 * import { childTraceparent, newTraceparent, traceIdOf } from "./trace_context.ts";
 * const run = newTraceparent();
 * console.log(traceIdOf(childTraceparent(run)) === traceIdOf(run)); // true
 * ```
 */
export function childTraceparent(parent: string): string {
  const t = parseTraceparent(parent);
  return `00-${t.traceId}-${hex(8)}-${t.flags}`;
}

/**
 * The trace id of a `traceparent`.
 *
 * @throws {TraceparentError} When `traceparent` is not valid.
 *
 * @example Usage
 * ```ts
 * import { traceIdOf } from "./trace_context.ts";
 * traceIdOf("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
 * // "4bf92f3577b34da6a3ce929d0e0e4736"
 * ```
 */
export function traceIdOf(traceparent: string): string {
  return parseTraceparent(traceparent).traceId;
}

/**
 * The run's `traceparent`: a child span of the submitting command's `TRACEPARENT` (environment)
 * when it is set, else a new trace.
 *
 * @param getEnv Reads the environment. @default Deno.env.get
 * @returns The `traceparent` of the run.
 * @throws {TraceparentError} When `TRACEPARENT` is set but not valid.
 *
 * @example Usage
 * ```ts
 * import { runTraceparent } from "./trace_context.ts";
 * const tp = runTraceparent((n) =>
 *   n === "TRACEPARENT" ? "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" : undefined
 * );
 * console.log(tp.slice(3, 35)); // "4bf92f3577b34da6a3ce929d0e0e4736"
 * ```
 */
export function runTraceparent(
  getEnv: (name: string) => string | undefined = (n) => Deno.env.get(n),
): string {
  const given = getEnv("TRACEPARENT");
  if (given === undefined || given === "") return newTraceparent();
  parseTraceparent(given, "the TRACEPARENT environment variable");
  return childTraceparent(given.trim());
}
