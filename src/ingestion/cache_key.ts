/**
 * The ingestion cache key: a SHA-256 of plugin id, plugin version, modality, the normalised
 * bbox and the params as canonical JSON. Equal inputs give equal keys whatever the key order
 * of `params` or the spelling of the numbers (`1` and `1.0`, `-0` and `0`).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type Bbox, normaliseBbox } from "../contracts/mod.ts";

/**
 * Canonical JSON: object keys sorted, `undefined` members dropped, no whitespace, `-0` as `0`.
 * Throws a `TypeError` naming the path for values JSON cannot hold exactly (NaN, Infinity,
 * functions, bigints, typed arrays).
 *
 * @param value A JSON-like value.
 * @param path Where the value came from, quoted in errors. @default "params"
 *
 * @example Usage
 * ```ts
 * import { canonicalJson } from "./cache_key.ts";
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown, path = "params"): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) {
        throw new TypeError(`${path}: ${value} cannot be part of a cache key (not finite)`);
      }
      return JSON.stringify(value === 0 ? 0 : value);
    case "object": {
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => canonicalJson(v ?? null, `${path}[${i}]`)).join(",")}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(
          `${path}: a ${proto?.constructor?.name ?? "non-plain"} object cannot be part of a ` +
            `cache key (expected plain JSON values)`,
        );
      }
      const rec = value as Record<string, unknown>;
      const parts = Object.keys(rec).sort().filter((k) => rec[k] !== undefined)
        .map((k) => `${JSON.stringify(k)}:${canonicalJson(rec[k], `${path}.${k}`)}`);
      return `{${parts.join(",")}}`;
    }
    default:
      throw new TypeError(`${path}: a ${typeof value} cannot be part of a cache key`);
  }
}

/** What {@linkcode ingestionCacheKey} hashes. */
export interface IngestionKeyParts {
  /** Plugin id. */
  plugin: string;
  /** Plugin version. */
  version: string;
  /** Modality. */
  modality: string;
  /** Requested bbox. */
  bbox: Bbox;
  /** Plugin params. @default {} */
  params?: Record<string, unknown>;
  /**
   * The plugin's resolved module URL and module-graph hash (sandboxed plugins always have
   * them): a module claiming another plugin's id and version gets other keys.
   */
  identity?: { module: string; graphHash: string };
}

/**
 * The ingestion cache key: 64 lower-case hex digits of SHA-256 over the canonical JSON of
 * `{v: 1, plugin, version, modality, bbox (normalised), params}`, with `v: 2` and the plugin's
 * `module` and `graphHash` when its identity is given. Used for the cache folder
 * `<cacheDir>/ingestion/<modality>/<key>/`.
 *
 * @example Usage
 * ```ts
 * import { ingestionCacheKey } from "./cache_key.ts";
 * const key = ingestionCacheKey({
 *   plugin: "synthetic", version: "1.0.0", modality: "gravity", bbox: [16, -35, 33, -22],
 *   params: { seed: 42 },
 * });
 * key.length; // 64
 * ```
 */
export function ingestionCacheKey(parts: IngestionKeyParts): string {
  const text = canonicalJson({
    v: parts.identity ? 2 : 1,
    ...(parts.identity
      ? { module: parts.identity.module, graphHash: parts.identity.graphHash }
      : {}),
    plugin: parts.plugin,
    version: parts.version,
    modality: parts.modality,
    bbox: normaliseBbox(parts.bbox),
    params: parts.params ?? {},
  }, "cache key");
  return createHash("sha256").update(text).digest("hex");
}
