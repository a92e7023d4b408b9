/**
 * The error of an invalid configuration: every problem found, each with the file, the YAML
 * path, the line and column, what was expected and what was received.
 *
 * @module
 */
import { escapeControlChars } from "../observability/mod.ts";

/**
 * One problem in a configuration.
 *
 * @example Usage
 * ```ts
 * import type { ConfigIssue } from "./config_error.ts";
 * const issue: ConfigIssue = {
 *   file: "config/ingestion.yaml", path: "modalities.gravity.retry.maxAttempts",
 *   line: 14, column: 7, message: "expected an integer >= 1, got 0",
 *   expected: "an integer >= 1", received: "0",
 * };
 * ```
 */
export interface ConfigIssue {
  /**
   * Where the offending value came from: a file path, `env GAM__...` for an environment
   * override, `flag --workers` for a CLI flag, or `defaults` for a built-in default.
   */
  file: string;
  /** Dotted path of the offending key, e.g. `"modalities.gravity.retry.maxAttempts"`. */
  path: string;
  /** 1-based line in `file`, when `file` is a file. */
  line?: number;
  /** 1-based column in `file`, when `file` is a file. */
  column?: number;
  /** The whole problem in words, e.g. `"expected an integer >= 1, got 0"`. */
  message: string;
  /** What would have been accepted, e.g. `"an integer >= 1"`, when it can be said. */
  expected?: string;
  /** The value received, rendered as YAML-ish text, when there was one. */
  received?: string;
}

/**
 * Renders one issue as `file:line:column path: message`.
 *
 * @example Usage
 * ```ts
 * import { formatIssue } from "./config_error.ts";
 * formatIssue({ file: "a.yaml", path: "defaults.workers", line: 3, column: 12,
 *   message: "expected an integer >= 1, got 0" });
 * // "a.yaml:3:12 defaults.workers: expected an integer >= 1, got 0"
 * ```
 */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined
    ? issue.file
    : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  // Keys and values come from the file: control characters in them are shown escaped.
  return escapeControlChars(
    issue.path === "" ? `${where}: ${issue.message}` : `${where} ${issue.path}: ${issue.message}`,
  );
}

/**
 * An invalid configuration. The message has a summary line followed by one line per issue
 * (see {@linkcode formatIssue}); `issues` holds them as data. The loader throws it instead of
 * ever returning an invalid configuration.
 *
 * @example Usage
 * ```ts
 * import { ConfigError } from "./config_error.ts";
 * const e = new ConfigError([{ file: "a.yaml", path: "version", line: 1, column: 10,
 *   message: "expected 1, got 2", expected: "1", received: "2" }]);
 * e.message; // "invalid configuration (1 issue):\n  a.yaml:1:10 version: expected 1, got 2"
 * ```
 */
export class ConfigError extends Error {
  /** Every problem found, in document order where known. */
  readonly issues: readonly ConfigIssue[];
  /**
   * @param issues The problems found (at least one).
   * @param options Standard error options (`cause`).
   */
  constructor(issues: readonly ConfigIssue[], options?: ErrorOptions) {
    const n = issues.length;
    super(
      `invalid configuration (${n} issue${n === 1 ? "" : "s"}):\n` +
        issues.map((i) => `  ${formatIssue(i)}`).join("\n"),
      options,
    );
    this.name = "ConfigError";
    this.issues = issues;
  }
}
