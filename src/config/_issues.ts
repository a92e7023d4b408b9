/**
 * Private: turns zod issues into {@linkcode ConfigIssue}s with file, line, column, expected and
 * received, and suggests the closest known key for an unknown one.
 *
 * @module
 */
import type { z } from "zod";
import { isSensitiveKey } from "../observability/mod.ts";
import type { ConfigIssue } from "./config_error.ts";
import { displayPath, getAt, locate, type Origin, type Path } from "./_layers.ts";

/** Paths whose values are never echoed in messages (they may hold secrets). */
function isSensitive(path: Path): boolean {
  return path[0] === "auth" || path.includes("databaseUrl") ||
    path.some((p) => typeof p === "string" && isSensitiveKey(p));
}

/** Renders a received value briefly: strings quoted, mappings by their keys. */
export function renderValue(v: unknown, path: Path): string {
  if (v === undefined) return "nothing (the key is missing)";
  if (isSensitive(path) && (typeof v === "string" || typeof v === "number")) {
    return "a value (not shown)";
  }
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) {
    const json = isSensitive(path) ? "" : JSON.stringify(v);
    return json !== "" && json.length <= 60 ? json : `a list of ${v.length} items`;
  }
  if (typeof v === "object") {
    const keys = Object.keys(v as object);
    return keys.length === 0 ? "an empty mapping" : `a mapping with keys ${keys.join(", ")}`;
  }
  return String(v);
}

/** Levenshtein distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

/** The closest of `known` to `key`, if close enough to be a likely typo. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dist = distance(key.toLowerCase(), k.toLowerCase());
    if (dist < bestD) [best, bestD] = [k, dist];
  }
  if (best === undefined) return undefined;
  const close = bestD <= Math.max(2, Math.floor(key.length * 0.45));
  const prefix = known.find((k) =>
    Math.min(k.length, key.length) >= 4 &&
    (k.toLowerCase().startsWith(key.toLowerCase()) || key.toLowerCase().startsWith(k.toLowerCase()))
  );
  return close ? best : prefix;
}

const KNOWN_PREFIX = "\u0000known:";

/**
 * The per-parse zod error map of the loader: unknown-key issues carry the object's known keys
 * (for suggestions); other generic issues get an "expected" phrase.
 */
export const errorMap: z.core.$ZodErrorMap = (iss) => {
  if (iss.code === "unrecognized_keys") {
    const shape = (iss.inst as { shape?: Record<string, unknown> } | undefined)?.shape;
    return KNOWN_PREFIX + JSON.stringify(shape ? Object.keys(shape) : []);
  }
  if (iss.code === "invalid_type") {
    if (iss.expected === "object" || iss.expected === "record") return "a mapping";
    if (iss.expected === "array") return "a list";
    return `a ${iss.expected}`;
  }
  return undefined;
};

const EXPECTED_CODES = new Set([
  "invalid_type",
  "too_small",
  "too_big",
  "invalid_value",
  "invalid_format",
  "invalid_union",
  "not_multiple_of",
  "invalid_key",
]);

/**
 * Converts zod issues on `input` into configuration issues located through `origins`.
 *
 * @param issues `error.issues` of a failed parse.
 * @param input The object that was parsed (to render received values).
 * @param origins Where each path was written.
 */
export function toConfigIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  origins: Map<string, Origin>,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const iss of issues) {
    const path = iss.path.filter((p): p is string | number => typeof p !== "symbol");
    if (iss.code === "unrecognized_keys") {
      const known: string[] = iss.message.startsWith(KNOWN_PREFIX)
        ? JSON.parse(iss.message.slice(KNOWN_PREFIX.length))
        : [];
      for (const key of iss.keys) {
        const full = [...path, key];
        const hint = suggest(key, known);
        out.push({
          ...locate(origins, full),
          path: displayPath(full),
          message: `unknown key "${key}"` + (hint ? ` (did you mean "${hint}"?)` : "") +
            (known.length ? `; expected one of: ${known.join(", ")}` : ""),
          expected: known.length ? `one of: ${known.join(", ")}` : undefined,
          received: key,
        });
      }
      continue;
    }
    const isKeyIssue = iss.code === "invalid_key";
    const received = renderValue(isKeyIssue ? path.at(-1) : getAt(input, path), path);
    const phraseIsExpected = EXPECTED_CODES.has(iss.code) ||
      (iss.code === "custom" && (iss.params as { expected?: boolean } | undefined)?.expected);
    let expected = iss.message;
    if (isKeyIssue) {
      const inner = (iss as z.core.$ZodIssueInvalidKey).issues[0]?.message;
      expected = inner ?? expected;
    }
    const message = phraseIsExpected
      ? (isKeyIssue
        ? `expected ${expected} as a key, got ${received}`
        : `expected ${expected}, got ${received}`)
      : iss.message;
    out.push({
      ...locate(origins, path),
      path: displayPath(path),
      message,
      ...(phraseIsExpected ? { expected, received } : {}),
    });
  }
  return out;
}
