/**
 * Human-written quantities in the configuration: durations (`"7d"`, `"12h"`, `"1h30m"`) and
 * byte sizes (`"2GiB"`, `"500MB"`). Both also accept a plain non-negative number, taken in the
 * base unit (seconds, bytes).
 *
 * @module
 */

const DURATION_UNITS: Record<string, number> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  w: 604800,
};

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * Parses a duration into seconds. Text is one or more `<number><unit>` parts with units `ms`,
 * `s`, `m` (minutes), `h`, `d`, `w`, e.g. `"7d"`, `"12h"`, `"1h30m"`, `"250ms"`; a plain
 * number is already seconds. Returns `undefined` for anything else (never throws), so zod
 * schemas can report the problem at the right place.
 *
 * @param value Text or number.
 * @returns Seconds (>= 0), or `undefined` when `value` is not a duration.
 *
 * @example Usage
 * ```ts
 * import { parseDuration } from "./quantities.ts";
 * parseDuration("7d"); // 604800
 * parseDuration("1h30m"); // 5400
 * parseDuration("soon"); // undefined
 * ```
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(text)) return undefined;
  let seconds = 0;
  for (const part of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) {
    seconds += Number(part[1]) * DURATION_UNITS[part[2]];
  }
  return seconds;
}

/**
 * Parses a byte size into bytes: a non-negative integer, or text `<number><unit>` with
 * decimal (`kB`, `MB`, `GB`, `TB`, powers of 1000) or binary (`KiB`, `MiB`, `GiB`, `TiB`,
 * powers of 1024) units, case-insensitive, e.g. `"2GiB"`, `"500MB"`, `"1.5 GB"`. The result is
 * rounded down to whole bytes. Returns `undefined` for anything else (never throws).
 *
 * @param value Text or number.
 * @returns Bytes (integer >= 0), or `undefined` when `value` is not a byte size.
 *
 * @example Usage
 * ```ts
 * import { parseByteSize } from "./quantities.ts";
 * parseByteSize("2GiB"); // 2147483648
 * parseByteSize("500MB"); // 500000000
 * parseByteSize(4096); // 4096
 * ```
 */
export function parseByteSize(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  }
  if (typeof value !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(value.trim());
  if (!m) return undefined;
  const factor = BYTE_UNITS[(m[2] || "b").toLowerCase()];
  if (factor === undefined) return undefined;
  const bytes = Math.floor(Number(m[1]) * factor);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
