/**
 * Private helpers of the loader: YAML parsing that remembers where every value was written,
 * deep merging of layers, and setting overrides, all keeping a map from paths to origins.
 *
 * @module
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from "yaml";
import type { Node as YamlNode } from "yaml";
import { ConfigError, type ConfigIssue } from "./config_error.ts";

/** A path in the configuration: object keys and array indices. */
export type Path = readonly (string | number)[];

/** Where a value came from. */
export interface Origin {
  /** A file path, `env NAME`, `flag --name` or `defaults`. */
  file: string;
  /** 1-based line of the value (files only). */
  line?: number;
  /** 1-based column of the value (files only). */
  column?: number;
  /** 1-based line of the key that holds the value, when it is a mapping entry. */
  keyLine?: number;
  /** 1-based column of that key. */
  keyColumn?: number;
}

/** Internal key of a path in the origin map. */
export function pathKey(path: Path): string {
  return path.map(String).join("\u0000");
}

/** `modalities.gravity.retry.maxAttempts`, `defaults.bbox[2]`. */
export function displayPath(path: Path): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? p : `.${p}`;
  }
  return out;
}

/** A configuration layer: a plain value plus the origins of its nodes. */
export interface Layer {
  value: unknown;
  origins: Map<string, Origin>;
}

/** Is `v` a plain mapping (not an array, not null)? */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Parses YAML text, throwing a {@linkcode ConfigError} with line and column for syntax errors.
 * Returns the plain value and the origin of every node (value and key positions).
 */
export function parseYamlLayer(text: string, file: string): Layer {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues: ConfigIssue[] = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      const msg = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
      return {
        file,
        path: "",
        line: pos.line,
        column: pos.col,
        message: `YAML syntax error: ${msg}`,
      };
    });
    throw new ConfigError(issues);
  }
  const origins = new Map<string, Origin>();
  const at = (offset: number) => lineCounter.linePos(offset);
  const walk = (node: unknown, path: (string | number)[], key?: YamlNode) => {
    const entry: Origin = { file };
    const range = (node as YamlNode | null)?.range;
    if (range) {
      const p = at(range[0]);
      entry.line = p.line;
      entry.column = p.col;
    }
    if (key?.range) {
      const p = at(key.range[0]);
      entry.keyLine = p.line;
      entry.keyColumn = p.col;
    }
    origins.set(pathKey(path), entry);
    if (isMap(node)) {
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        walk(pair.value, [...path, k], pair.key as YamlNode);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]));
    }
  };
  walk(doc.contents, []);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // The yaml package throws a ReferenceError without a position for an alias bomb.
    if (!(e instanceof ReferenceError)) throw e;
    let first: { line: number; col: number } | undefined;
    visit(doc, {
      Alias(_, node) {
        if (node.range) first = lineCounter.linePos(node.range[0]);
        return visit.BREAK;
      },
    });
    throw new ConfigError([{
      file,
      path: "",
      ...(first ? { line: first.line, column: first.col } : {}),
      message: `YAML aliases expand to too many nodes (limit: maxAliasCount ${MAX_ALIAS_COUNT}` +
        `${first ? `; first alias here` : ""}); write the values out instead of nesting aliases`,
    }], { cause: e });
  }
  return { value, origins };
}

/**
 * Largest alias expansion of a configuration file (the `yaml` package's `maxAliasCount`): a
 * "billion laughs" document is refused instead of expanding to gigabytes.
 *
 * @example Usage
 * ```ts
 * import { MAX_ALIAS_COUNT } from "./_layers.ts";
 * MAX_ALIAS_COUNT; // 100
 * ```
 */
export const MAX_ALIAS_COUNT = 100;

function dropBelow(origins: Map<string, Origin>, path: Path): void {
  const prefix = pathKey(path);
  for (const k of [...origins.keys()]) {
    if (k === prefix || (prefix === "" ? k !== "" : k.startsWith(prefix + "\u0000"))) {
      origins.delete(k);
    }
  }
}

/**
 * Deep-merges `over` onto `base` (both layers), returning a new layer. Mappings merge key by
 * key; lists and scalars replace; `null` in `over` deletes the key. Origins of replaced
 * subtrees are dropped so issues always point at the layer that set the value.
 */
export function mergeLayers(base: Layer, over: Layer): Layer {
  const origins = new Map(base.origins);
  const merge = (a: unknown, b: unknown, path: (string | number)[]): unknown => {
    if (isRecord(a) && isRecord(b)) {
      const out: Record<string, unknown> = { ...a };
      for (const [k, v] of Object.entries(b)) {
        const sub = [...path, k];
        if (v === null) {
          delete out[k];
          dropBelow(origins, sub);
        } else {
          out[k] = merge(a[k], v, sub);
        }
      }
      const o = over.origins.get(pathKey(path));
      if (o && !origins.has(pathKey(path))) origins.set(pathKey(path), o);
      return out;
    }
    dropBelow(origins, path);
    for (const [k, o] of over.origins) {
      const p = pathKey(path);
      if (k === p || p === "" || k.startsWith(p + "\u0000")) origins.set(k, o);
    }
    return structuredClone(b);
  };
  return { value: merge(base.value, over.value, []), origins };
}

/** Returns the value at `path`, or `undefined`. */
export function getAt(value: unknown, path: Path): unknown {
  let v: unknown = value;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/**
 * Sets `value` at `path` in `layer.value` (creating mappings on the way), recording `origin`
 * for the path and dropping origins below it.
 */
export function setAt(layer: Layer, path: Path, value: unknown, origin: Origin): void {
  if (path.length === 0) throw new RangeError("setAt() needs a non-empty path");
  if (!isRecord(layer.value)) layer.value = {};
  let obj = layer.value as Record<string, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    const k = String(path[i]);
    if (!isRecord(obj[k])) obj[k] = {};
    obj = obj[k] as Record<string, unknown>;
    const pk = pathKey(path.slice(0, i + 1));
    if (!layer.origins.has(pk)) layer.origins.set(pk, origin);
  }
  dropBelow(layer.origins, path);
  layer.origins.set(pathKey(path), origin);
  obj[String(path[path.length - 1])] = value;
}

/**
 * The origin of the value at `path`, or of its nearest ancestor that has one. For an exact
 * match the key position is preferred (`maxAttempts:` rather than its value); for an ancestor
 * it is the ancestor's key.
 */
export function locate(
  origins: Map<string, Origin>,
  path: Path,
): { file: string; line?: number; column?: number } {
  for (let n = path.length; n >= 0; n--) {
    const o = origins.get(pathKey(path.slice(0, n)));
    if (o === undefined) continue;
    const line = o.keyLine ?? o.line;
    const column = o.keyLine !== undefined ? o.keyColumn : o.column;
    return line === undefined ? { file: o.file } : { file: o.file, line, column };
  }
  return { file: "defaults" };
}
