/**
 * Turns log field values into JSON-safe values: errors become `{name, message, ...props,
 * cause}` chains (never only a stack), typed arrays a short summary, non-finite numbers
 * strings, bigints strings, dates ISO strings, maps objects, sets arrays, cycles
 * `"[Circular]"`. Depth is bounded.
 *
 * @module
 */

const MAX_DEPTH = 8;
const MAX_CAUSES = 8;

/** Options for {@linkcode toJsonSafe}. */
export interface SerializeOptions {
  /** Include `stack` on serialised errors (in addition to name and message). */
  stacks: boolean;
}

/** Serialises an error and its cause chain. */
export function serializeError(
  error: Error,
  options: SerializeOptions,
  depth = 0,
  seen: WeakSet<object> = new WeakSet(),
): Record<string, unknown> {
  seen.add(error);
  const out: Record<string, unknown> = {
    name: error.name,
    message: error.message,
  };
  for (const [k, v] of Object.entries(error)) {
    if (k === "name" || k === "message" || k === "stack" || k === "cause") continue;
    out[k] = toJsonSafe(v, options, depth + 1, seen);
  }
  if (error instanceof AggregateError) {
    out.errors = error.errors.map((e) => toJsonSafe(e, options, depth + 1, seen));
  }
  if (options.stacks && error.stack) out.stack = error.stack;
  if ("cause" in error && error.cause !== undefined) {
    out.cause = depth >= MAX_CAUSES
      ? "[cause chain truncated]"
      : seen.has(error.cause as object)
      ? "[Circular]"
      : toJsonSafe(error.cause, options, depth + 1, seen);
  }
  return out;
}

/** Converts `value` to something `JSON.stringify` renders faithfully. */
export function toJsonSafe(
  value: unknown,
  options: SerializeOptions,
  depth = 0,
  seen: WeakSet<object> = new WeakSet(),
): unknown {
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "bigint":
      return value.toString();
    case "undefined":
      return undefined;
    case "function":
      return `[Function ${value.name || "anonymous"}]`;
    case "symbol":
      return value.toString();
    case "string":
    case "boolean":
      return value;
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) return "[Circular]";
  if (obj instanceof Error) return serializeError(obj, options, depth, seen);
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? "Invalid Date" : obj.toISOString();
  if (ArrayBuffer.isView(obj)) {
    const len = "length" in obj ? (obj as { length: number }).length : obj.byteLength;
    return `[${obj.constructor.name}(${len})]`;
  }
  if (obj instanceof URL) {
    return obj.password
      ? `${obj.protocol}//${obj.username}:[REDACTED]@${obj.host}${obj.pathname}${obj.search}${obj.hash}`
      : obj.href;
  }
  if (depth >= MAX_DEPTH) return "[Truncated]";
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((v) => toJsonSafe(v, options, depth + 1, seen) ?? null);
    if (obj instanceof Set) return [...obj].map((v) => toJsonSafe(v, options, depth + 1, seen));
    const entries = obj instanceof Map
      ? [...obj].map(([k, v]) => [String(k), v])
      : Object.entries(obj);
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const s = toJsonSafe(v, options, depth + 1, seen);
      if (s !== undefined) out[k as string] = s;
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}
