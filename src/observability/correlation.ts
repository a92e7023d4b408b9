/**
 * Correlation ids: one per run, one per fetch, carried in every log line as `correlationId`.
 *
 * @module
 */

/**
 * Thrown by {@linkcode newCorrelationId} for a prefix that is not a lower-case word.
 *
 * @example Usage
 * ```ts
 * import { CorrelationIdError, newCorrelationId } from "./correlation.ts";
 * try {
 *   newCorrelationId("Bad Prefix");
 * } catch (e) {
 *   if (e instanceof CorrelationIdError) console.log(e.message);
 * }
 * ```
 */
export class CorrelationIdError extends RangeError {
  /** @param message What was received and what was expected. */
  constructor(message: string) {
    super(message);
    this.name = "CorrelationIdError";
  }
}

const PREFIX = /^[a-z][a-z0-9_]{0,31}$/;

/**
 * Makes a new correlation id `<prefix>-<UTC time, yyyymmddThhmmssZ>-<12 random hex digits>`,
 * e.g. `run-20261125T171501Z-3f9a0c41b2d7`. The time makes ids sortable and readable; the 48
 * random bits (from `crypto.getRandomValues`) make them unique across processes.
 *
 * @param prefix What the id is for: `"run"` (default), `"fetch"`, `"serve"`...
 * @param options.now The time to stamp. @default new Date()
 * @returns The id.
 * @throws {CorrelationIdError} When `prefix` is not 1 to 32 of `[a-z0-9_]`, starting with a letter.
 *
 * @example Usage
 * ```ts
 * import { newCorrelationId } from "./correlation.ts";
 * const runId = newCorrelationId(); // "run-20261125T171501Z-3f9a0c41b2d7"
 * const fetchId = newCorrelationId("fetch");
 * ```
 */
export function newCorrelationId(prefix = "run", options: { now?: Date } = {}): string {
  if (typeof prefix !== "string" || !PREFIX.test(prefix)) {
    throw new CorrelationIdError(
      `Correlation id prefix must be 1 to 32 of [a-z0-9_] starting with a letter, got ${
        JSON.stringify(prefix)
      }`,
    );
  }
  const now = options.now ?? new Date();
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${prefix}-${stamp}-${hex}`;
}

/**
 * Whether `value` looks like an id made by {@linkcode newCorrelationId}.
 *
 * @param value Any value.
 * @returns `true` for `<prefix>-<yyyymmddThhmmssZ>-<12 hex>`.
 *
 * @example Usage
 * ```ts
 * import { isCorrelationId, newCorrelationId } from "./correlation.ts";
 * isCorrelationId(newCorrelationId("fetch")); // true
 * ```
 */
export function isCorrelationId(value: unknown): value is string {
  return typeof value === "string" &&
    /^[a-z][a-z0-9_]{0,31}-\d{8}T\d{6}Z-[0-9a-f]{12}$/.test(value);
}
