/**
 * Flight-line names as a dictionary: every reader that meets a line column (tables, ASEG-GDF2,
 * Geosoft XYZ) turns each reading's line name into an integer code, the index of the name in
 * the dictionary (names in order of first appearance), and classifies each line as a traverse
 * or a tie line. The `RawData` contract carries the result as `points.line` (Int32Array codes),
 * `points.lineNames` and `points.lineKinds`.
 *
 * @module
 */
import type { LineKind } from "../contracts/mod.ts";

/**
 * Builds a line dictionary one reading at a time. Survey files hold long runs of readings of
 * the same line, so the name of the previous reading is compared first (bytes, no decoding):
 * a run costs one comparison per reading, and only a new line is decoded and looked up.
 *
 * @example Usage
 * ```ts
 * import { LineDictionary } from "./line_dictionary.ts";
 * const d = new LineDictionary();
 * ["FL1-1", "FL1-1", "FL1-2", "FL1-1"].map((n) => d.code(n)); // [0, 0, 1, 0]
 * d.names; // ["FL1-1", "FL1-2"]
 * ```
 */
export class LineDictionary {
  /** The distinct names, in order of first appearance; a code is an index here. */
  readonly names: string[] = [];
  /** Kind per name, where known (`undefined` where the format did not say). */
  readonly #kinds: (LineKind | undefined)[] = [];
  readonly #index = new Map<string, number>();
  #lastBytes: Uint8Array = new Uint8Array(0);
  #lastCode = -1;
  readonly #decoder = new TextDecoder();

  /**
   * The code of `name`, adding it when new.
   *
   * @param name The line name as delivered (trimmed by the caller).
   * @param kind Its kind when the format says (a Geosoft `Tie` header); the first kind given
   *   for a name is kept.
   */
  code(name: string, kind?: LineKind): number {
    let c = this.#index.get(name);
    if (c === undefined) {
      c = this.names.length;
      this.names.push(name);
      this.#kinds.push(kind);
      this.#index.set(name, c);
    } else if (kind !== undefined && this.#kinds[c] === undefined) {
      this.#kinds[c] = kind;
    }
    return c;
  }

  /**
   * The code of the name held in `bytes[start..end)` (UTF-8), compared with the previous call's
   * bytes first.
   *
   * @param bytes The buffer holding the name.
   * @param start First byte of the name.
   * @param end One past its last byte.
   */
  codeOfBytes(bytes: Uint8Array, start: number, end: number): number {
    const last = this.#lastBytes;
    const len = end - start;
    if (len === last.length && this.#lastCode >= 0) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (bytes[start + i] !== last[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.#lastCode;
    }
    const slice = bytes.slice(start, end);
    this.#lastBytes = slice;
    this.#lastCode = this.code(this.#decoder.decode(slice));
    return this.#lastCode;
  }

  /**
   * The kind of every line: the kind the format gave, else `"tie"` when the name starts with
   * `tiePrefix` (when set), else `"line"`. Returns `undefined` when nothing says which lines are
   * ties (no kinds from the format, no prefix): the data then carries no `lineKinds`.
   *
   * @param tiePrefix Names starting with it are tie lines (e.g. `"T"` for `T100`).
   */
  kinds(tiePrefix?: string): LineKind[] | undefined {
    const known = this.#kinds.some((k) => k !== undefined);
    if (!known && (tiePrefix === undefined || tiePrefix === "")) return undefined;
    return this.names.map((name, i) =>
      this.#kinds[i] ??
        (tiePrefix && name.startsWith(tiePrefix) ? "tie" : "line")
    );
  }
}

/** Readings per line: name, kind and count, as persisted and reported. */
export interface LineSummary {
  /** The line's name as delivered. */
  name: string;
  /** Traverse or tie line; `undefined` when the data does not say. */
  kind?: LineKind;
  /** Readings of the line in the data. */
  readings: number;
}

/**
 * The lines of a survey with their reading counts, in dictionary order; lines without names
 * (numeric ids) are named by their number.
 *
 * @param points The survey's `line`, `lineNames`, `lineKinds`.
 * @returns One entry per distinct line (none without `line`).
 *
 * @example Usage
 * ```ts
 * import { summariseLines } from "./line_dictionary.ts";
 * summariseLines({ line: new Int32Array([0, 0, 1]), lineNames: ["L10", "T1"], lineKinds: ["line", "tie"] });
 * // [{ name: "L10", kind: "line", readings: 2 }, { name: "T1", kind: "tie", readings: 1 }]
 * ```
 */
export function summariseLines(points: {
  line?: Int32Array | Float64Array;
  lineNames?: readonly string[];
  lineKinds?: readonly LineKind[];
}): LineSummary[] {
  const { line, lineNames, lineKinds } = points;
  if (line === undefined) return [];
  if (lineNames !== undefined) {
    const counts = new Float64Array(lineNames.length);
    for (let i = 0; i < line.length; i++) counts[line[i]]++;
    return lineNames.map((name, c) => ({
      name,
      ...(lineKinds ? { kind: lineKinds[c] } : {}),
      readings: counts[c],
    }));
  }
  const counts = new Map<number, number>();
  for (let i = 0; i < line.length; i++) counts.set(line[i], (counts.get(line[i]) ?? 0) + 1);
  return [...counts].map(([id, readings]) => ({ name: String(id), readings }));
}

/**
 * The readings at `keep` (ascending indexes) with their line dictionary restricted to the lines
 * they belong to, renumbered in order of first appearance: what a reader returns after
 * dropping the readings outside the requested bbox.
 *
 * @param codes Line code per reading.
 * @param names The dictionary of `codes`.
 * @param kinds Kind per name, if known.
 * @param keep Indexes of the readings kept, ascending.
 *
 * @example Usage
 * ```ts
 * import { pickLines } from "./line_dictionary.ts";
 * const r = pickLines(new Int32Array([0, 1, 1, 2]), ["A", "B", "C"], undefined, [1, 3]);
 * r.lineNames; // ["B", "C"]
 * r.line; // Int32Array [0, 1]
 * ```
 */
export function pickLines(
  codes: Int32Array,
  names: readonly string[],
  kinds: readonly LineKind[] | undefined,
  keep: ArrayLike<number>,
): { line: Int32Array<ArrayBuffer>; lineNames: string[]; lineKinds?: LineKind[] } {
  const renumber = new Int32Array(names.length).fill(-1);
  const lineNames: string[] = [];
  const lineKinds: LineKind[] = [];
  const line = new Int32Array(keep.length);
  for (let j = 0; j < keep.length; j++) {
    const c = codes[keep[j]];
    if (renumber[c] < 0) {
      renumber[c] = lineNames.length;
      lineNames.push(names[c]);
      if (kinds) lineKinds.push(kinds[c]);
    }
    line[j] = renumber[c];
  }
  return { line, lineNames, ...(kinds ? { lineKinds } : {}) };
}
