/**
 * How the CLI turns an error into the one line a person reads.
 *
 * @module
 */
import { UsageError } from "./command.ts";
// From the files rather than the folders' mod.ts: those load zod and prom-client (~70 ms), and
// every command loads this module at start.
import { BboxError } from "../contracts/mod.ts";
import { redact } from "../observability/mod.ts";
import { errorMessage, escapeControlChars } from "../observability/mod.ts";

/**
 * The error's message followed by its causes (`message: cause: cause`), secrets redacted and
 * control characters escaped (messages quote input files: an ANSI escape in a CSV header must
 * not reach the terminal). A thrown value that is not an `Error` is shown by its `message` or
 * as JSON, never as `[object Object]`.
 *
 * @example Usage
 * ```ts
 * import { describeError } from "./report_error.ts";
 * describeError(new Error("outer", { cause: new Error("inner") })); // "outer: inner"
 * ```
 */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && depth < 5; depth++) {
    const msg = errorMessage(e);
    if (!parts.some((p) => p.includes(msg))) parts.push(msg);
    e = e instanceof Error ? e.cause : undefined;
  }
  return escapeControlChars(redact(parts.join(": ")), { keepLineBreaks: true });
}

/** Errors in the configuration (file, profile, environment or pipeline definition). */
const CONFIG_ERRORS = new Set(["ConfigError", "PipelineSyntaxError", "PipelineDefinitionError"]);

/**
 * Whether the error means "the command line or configuration is wrong" (exit status 2).
 *
 * @example Usage
 * ```ts
 * import { isUsageLike } from "./report_error.ts";
 * isUsageLike(new RangeError("x")); // false
 * ```
 */
export function isUsageLike(error: unknown): boolean {
  return error instanceof UsageError || error instanceof BboxError ||
    (error instanceof Error && CONFIG_ERRORS.has(error.name)) ||
    // A server database not migrated to this version: the deployment's order is wrong.
    (error instanceof Error && error.name === "PendingMigrationsError") ||
    // TRACEPARENT set by the submitting command, but not W3C Trace Context.
    (error instanceof Error && error.name === "TraceparentError") ||
    // --color other than blue or green.
    (error instanceof Error && error.name === "ColorError");
}
