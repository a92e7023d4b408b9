/**
 * Reading numeric columns from delimited text tables: CSV, TSV and whitespace-separated text,
 * each optionally gzip-compressed (detected by its magic bytes, not its name).
 *
 * The parser works on the raw bytes in one tight loop (no per-line strings or regex splits) and
 * parses numbers with Clinger's fast path (exact for up to 15 significant digits and decimal
 * exponents within +-22), falling back to `Number()` for anything else, so every value is the
 * correctly rounded double of its text. {@linkcode readTable} first hands the data rows, in
 * chunks of about 1 MiB, to the gam-core wasm kernel `parse_table_columns` (same splitting rules
 * and the same doubles, `fast-float2` for long mantissas), which declines anything unusual; the
 * TypeScript loop then reads the file and reports bad cells with their line numbers.
 *
 * @module
 */

/**
 * A column reference: a header name, or a 1-based index (a number or a string of digits).
 *
 * @example Usage
 * ```ts
 * import type { ColumnRef } from "./table.ts";
 * const cols: ColumnRef[] = ["longitude", 2, "3"];
 * ```
 */
export type ColumnRef = string | number;

/**
 * The field separator of a table. `"whitespace"` splits on runs of spaces and tabs.
 *
 * @example Usage
 * ```ts
 * import type { Delimiter } from "./table.ts";
 * const d: Delimiter = "whitespace";
 * ```
 */
export type Delimiter = "," | "\t" | ";" | "whitespace";

/**
 * Options of {@linkcode readTable} and {@linkcode parseTable}.
 *
 * @example Usage
 * ```ts
 * import type { ReadTableOptions } from "./table.ts";
 * const o: ReadTableOptions = { columns: ["longitude", "latitude"], comment: "#" };
 * ```
 */
export interface ReadTableOptions {
  /** Columns to read, by header name or 1-based index; the result keeps this order. */
  columns: readonly ColumnRef[];
  /**
   * Field separator; detected from the first line when unset (`,` then tab then `;`, else
   * whitespace).
   * @default {undefined}
   */
  delimiter?: Delimiter;
  /**
   * Whether the first non-comment line is a header row. When unset, it is a header if one of
   * its fields is not a number.
   * @default {undefined}
   */
  header?: boolean;
  /**
   * Lines starting with this character (after leading blanks) are skipped.
   * @default {"#"}
   */
  comment?: string;
}

/**
 * The result of {@linkcode readTable}: one Float64Array per requested column.
 *
 * @example Usage
 * ```ts
 * import { parseTable, type Table } from "./table.ts";
 * const t: Table = parseTable(new TextEncoder().encode("x\n1\n"), "a.csv", { columns: ["x"] });
 * ```
 */
export interface Table {
  /** The file name used in messages (the path as given). */
  file: string;
  /** Names of the requested columns (header names, or `"column N"` without a header). */
  names: string[];
  /** One array per requested column, each `rows` long. */
  columns: Float64Array[];
  /** Number of data rows. */
  rows: number;
  /** The header fields, or `null` when the table has no header row. */
  header: string[] | null;
  /** The separator used. */
  delimiter: Delimiter;
}

/**
 * A value in a table is not a number, or a data row has too few fields. Carries the file, the
 * 1-based line number and the column.
 *
 * @example Usage
 * ```ts
 * import { parseTable, TableSyntaxError } from "./table.ts";
 * try {
 *   parseTable(new TextEncoder().encode("x,y\n1,abc\n"), "a.csv", { columns: ["y"] });
 * } catch (e) {
 *   if (e instanceof TableSyntaxError) console.log(e.line); // 2
 * }
 * ```
 */
export class TableSyntaxError extends SyntaxError {
  /** The file name as given. */
  readonly file: string;
  /** 1-based line number in the (decompressed) file. */
  readonly line: number;
  /** The column, by name or `"column N"`. */
  readonly column: string;
  /**
   * @param file The file name.
   * @param line 1-based line number.
   * @param column The column.
   * @param problem What is wrong, e.g. `value 'abc' is not a number`.
   */
  constructor(file: string, line: number, column: string, problem: string) {
    super(`${file} line ${line}: column ${column} ${problem}`);
    this.name = "TableSyntaxError";
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/**
 * A table cannot be used as asked: it is empty, a requested column does not exist, or a column
 * is referred to by name in a table without a header row.
 *
 * @example Usage
 * ```ts
 * import { parseTable, TableError } from "./table.ts";
 * try {
 *   parseTable(new TextEncoder().encode("x,y\n1,2\n"), "a.csv", { columns: ["z"] });
 * } catch (e) {
 *   if (e instanceof TableError) console.log(e.message);
 * }
 * ```
 */
export class TableError extends RangeError {
  /** The file name as given. */
  readonly file: string;
  /**
   * @param file The file name.
   * @param problem What is wrong.
   */
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = "TableError";
    this.file = file;
  }
}

/**
 * Reads the requested numeric columns of a CSV/TSV/whitespace table file, gzip-compressed or
 * not. `NaN`/`nan` cells read as NaN; any other non-numeric cell is an error.
 *
 * @param path File path.
 * @param options Columns to read (by name or 1-based index), delimiter, header, comment.
 * @returns The columns as Float64Arrays.
 * @throws {TableSyntaxError} naming file, line and column for a non-numeric cell or short row.
 * @throws {TableError} for an empty file, a missing column, or a name without a header.
 * @throws {Deno.errors.NotFound} when the file does not exist.
 *
 * @example Usage
 * ```ts
 * import { readTable } from "./table.ts";
 * import { fetchDataset } from "../datasets/mod.ts";
 * const t = await readTable(await fetchDataset("rio-magnetic.csv.gz"), {
 *   columns: ["longitude", "latitude", "total_field_anomaly_nt"],
 * });
 * console.log(t.rows); // 37718
 * ```
 */
export async function readTable(path: string, options: ReadTableOptions): Promise<Table> {
  let bytes = await Deno.readFile(path);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (e) {
      throw new TableError(path, `gzip data is corrupt (${(e as Error).message})`);
    }
  }
  const { parse_table_columns } = await import("../compute/wasm/gam_core.js");
  return parseWith(bytes, path, options, parse_table_columns);
}

/**
 * The gam-core fast path (`parse_table_columns`): parses the data rows (bytes after the header)
 * into the columns concatenated, or throws when it declines the input.
 */
type FastParser = (
  bytes: Uint8Array,
  delimiter: number,
  comment: number,
  fields: Uint32Array,
) => Float64Array;

const NL = 10, CR = 13, SP = 32, TAB = 9, QUOTE = 34;

/**
 * Parses the requested numeric columns of an uncompressed table held in memory. Same rules and
 * errors as {@linkcode readTable}; `file` is only used in messages.
 *
 * @param bytes The table text as UTF-8 (or ASCII) bytes.
 * @param file Name quoted in errors.
 * @param options Columns, delimiter, header, comment.
 *
 * @example Usage
 * ```ts
 * import { parseTable } from "./table.ts";
 * const t = parseTable(new TextEncoder().encode("lon lat\n1 2\n3 4\n"), "a.txt", {
 *   columns: ["lat", 1],
 * });
 * console.log(t.columns[0]); // Float64Array [2, 4]
 * ```
 */
export function parseTable(bytes: Uint8Array, file: string, options: ReadTableOptions): Table {
  return parseWith(bytes, file, options);
}

/**
 * {@linkcode parseTable}, trying `fast` (the wasm kernel) on the data rows first. The kernel
 * splits and parses exactly like the loop below and gives the same correctly rounded doubles;
 * it declines (throws) anything unusual, bad cells included, and this loop then runs and reports
 * the precise error with its line number.
 */
function parseWith(
  bytes: Uint8Array,
  file: string,
  options: ReadTableOptions,
  fast?: FastParser,
): Table {
  const comment = (options.comment ?? "#").charCodeAt(0);
  const n = bytes.length;
  if (options.columns.length === 0) throw new TypeError("parseTable: columns must not be empty");

  // First non-blank, non-comment line.
  let pos = skipBlankAndComments(bytes, 0, comment);
  if (pos >= n) throw new TableError(file, "file is empty (no header and no data rows)");
  let line = lineNumberAt(bytes, pos);
  const firstEnd = lineEnd(bytes, pos);
  const firstText = new TextDecoder().decode(bytes.subarray(pos, firstEnd)).replace(/\r$/, "");
  const delimiter = options.delimiter ?? detectDelimiter(firstText);
  const firstFields = splitText(firstText, delimiter);
  const hasHeader = options.header ?? firstFields.some((f) => !isNumberText(f));
  const header = hasHeader ? firstFields : null;

  // Resolve column references to 0-based field indexes.
  const want: number[] = [];
  const names: string[] = [];
  for (const ref of options.columns) {
    const idx = resolveColumn(ref, header, file, firstFields.length);
    want.push(idx);
    names.push(header ? header[idx] : `column ${idx + 1}`);
  }
  const label = names.map((nm) => `'${nm}'`);
  const maxWant = Math.max(...want);
  // slot[f] = which output column field f feeds, or -1.
  const slot = new Int32Array(maxWant + 1).fill(-1);
  want.forEach((f, k) => {
    if (slot[f] < 0) slot[f] = k;
  });
  const dupes = want.map((f, k) => (slot[f] === k ? -1 : slot[f]));

  if (hasHeader) {
    pos = firstEnd + 1;
    line++;
  }
  if (fast !== undefined) {
    const table = parseFast(bytes, pos, want, fast, delimiter, comment);
    if (table !== undefined) return { file, names, ...table, header, delimiter };
  }
  // Capacity: the number of remaining lines (an upper bound on data rows; counting newlines is
  // far cheaper than growing and trimming the columns).
  let cap = 1;
  for (let i = bytes.indexOf(NL, pos); i >= 0; i = bytes.indexOf(NL, i + 1)) cap++;
  let cols = want.map(() => new Float64Array(cap));
  let rows = 0;

  const ws = delimiter === "whitespace";
  const delim = ws ? -1 : delimiter.charCodeAt(0);
  const starts = new Int32Array(maxWant + 1);
  const ends = new Int32Array(maxWant + 1);

  while (pos < n) {
    // Skip blank lines and comments, counting lines.
    let c = bytes[pos];
    if (c === NL) {
      pos++;
      line++;
      continue;
    }
    let p = pos;
    while (p < n && (bytes[p] === SP || bytes[p] === TAB || bytes[p] === CR)) p++;
    if (p >= n) break;
    if (bytes[p] === NL) {
      pos = p + 1;
      line++;
      continue;
    }
    if (bytes[p] === comment) {
      pos = lineEnd(bytes, p) + 1;
      line++;
      continue;
    }
    // Split fields up to maxWant.
    let field = 0;
    p = ws ? p : pos;
    let eol = false;
    while (field <= maxWant) {
      let s = p, e: number;
      if (ws) {
        while (p < n && (c = bytes[p]) !== SP && c !== TAB && c !== NL && c !== CR) p++;
        e = p;
        while (p < n && ((c = bytes[p]) === SP || c === TAB || c === CR)) p++;
        if (p >= n || bytes[p] === NL) eol = true;
      } else {
        if (p < n && bytes[p] === QUOTE) {
          p++;
          s = p;
          while (p < n && bytes[p] !== QUOTE) p++;
          e = p;
          if (p < n) p++;
          while (p < n && (c = bytes[p]) !== delim && c !== NL) p++;
        } else {
          while (p < n && (c = bytes[p]) !== delim && c !== NL) p++;
          e = p;
          if (e > s && bytes[e - 1] === CR) e--;
        }
        if (p >= n || bytes[p] === NL) eol = true;
        else p++; // past the delimiter
      }
      starts[field] = s;
      ends[field] = e;
      field++;
      if (eol) break;
    }
    if (field <= maxWant) {
      const missing = want.findIndex((f) => f >= field);
      throw new TableSyntaxError(
        file,
        line,
        label[missing],
        `is missing (the row has ${field} field${field === 1 ? "" : "s"})`,
      );
    }
    if (rows === cap) {
      cap *= 2;
      cols = cols.map((a) => {
        const b = new Float64Array(cap);
        b.set(a);
        return b;
      });
    }
    for (let k = 0; k < want.length; k++) {
      if (dupes[k] >= 0) {
        cols[k][rows] = cols[dupes[k]][rows];
        continue;
      }
      const f = want[k];
      const v = parseNumber(bytes, starts[f], ends[f]);
      if (v === undefined) {
        let s = starts[f], e = ends[f];
        while (s < e && (bytes[s] === SP || bytes[s] === TAB)) s++;
        while (e > s && (bytes[e - 1] === SP || bytes[e - 1] === TAB)) e--;
        const text = new TextDecoder().decode(bytes.subarray(s, e));
        throw new TableSyntaxError(file, line, label[k], `value '${text}' is not a number`);
      }
      cols[k][rows] = v;
    }
    rows++;
    pos = lineEnd(bytes, p) + 1;
    line++;
  }
  if (rows === 0) throw new TableError(file, "file has no data rows");
  return {
    file,
    names,
    // Blank/comment lines make `cap` exceed `rows`: trim by copying only when that wastes much.
    columns: cols.map((
      a,
    ) => (a.length - rows <= a.length / 64 ? a.subarray(0, rows) : a.slice(0, rows))),
    rows,
    header,
    delimiter,
  };
}

/**
 * The data rows from `pos` on through the wasm kernel, in chunks of about 1 MiB cut after a
 * newline (the instance's memory stays small, and the columns are filled in place), or
 * `undefined` when the kernel declines any chunk.
 */
function parseFast(
  bytes: Uint8Array,
  pos: number,
  want: number[],
  fast: FastParser,
  delimiter: Delimiter,
  comment: number,
): { columns: Float64Array[]; rows: number } | undefined {
  const n = bytes.length;
  const fields = [...new Set(want)];
  const fieldList = Uint32Array.from(fields);
  const delim = delimiter === "whitespace" ? 0 : delimiter.charCodeAt(0);
  const cmt = Number.isNaN(comment) ? -1 : comment;
  // Capacity: estimated from the first chunk's rows per byte (+2%), grown when short.
  let cap = 0;
  let cols: Float64Array[] = [];
  let rows = 0;
  for (let at = pos; at < n;) {
    let end = Math.min(n, at + (1 << 20));
    if (end < n) {
      const nl = bytes.indexOf(NL, end);
      end = nl < 0 ? n : nl + 1;
    }
    let flat: Float64Array;
    try {
      flat = fast(bytes.subarray(at, end), delim, cmt, fieldList);
    } catch {
      return undefined; // declined: the loop reads the table (and reports what is wrong)
    }
    const got = flat.length / fields.length;
    if (!Number.isInteger(got)) return undefined;
    if (rows + got > cap) {
      const estimate = Math.ceil(((rows + got) / (end - pos)) * (n - pos) * 1.02) + 64;
      cap = Math.max(estimate, rows + got, Math.ceil(cap * 1.25));
      cols = fields.map((_, k) => {
        const grown = new Float64Array(cap);
        if (rows > 0) grown.set(cols[k].subarray(0, rows));
        return grown;
      });
    }
    for (let k = 0; k < fields.length; k++) {
      cols[k].set(flat.subarray(k * got, (k + 1) * got), rows);
    }
    rows += got;
    at = end;
  }
  if (rows === 0) return undefined;
  const trimmed = cols.map((a) =>
    a.length - rows <= a.length / 32 ? a.subarray(0, rows) : a.slice(0, rows)
  );
  // A column asked for twice gets its own copy, as the loop gives it.
  const columns = want.map((f, k) => {
    const a = trimmed[fields.indexOf(f)];
    return want.indexOf(f) === k ? a : a.slice();
  });
  return { columns, rows };
}

function skipBlankAndComments(bytes: Uint8Array, pos: number, comment: number): number {
  const n = bytes.length;
  while (pos < n) {
    let p = pos;
    while (p < n && (bytes[p] === SP || bytes[p] === TAB || bytes[p] === CR)) p++;
    if (p < n && bytes[p] !== NL && bytes[p] !== comment) return pos;
    pos = lineEnd(bytes, p) + 1;
  }
  return n;
}

function lineEnd(bytes: Uint8Array, pos: number): number {
  const i = bytes.indexOf(NL, pos);
  return i < 0 ? bytes.length : i;
}

function lineNumberAt(bytes: Uint8Array, pos: number): number {
  let line = 1;
  for (let i = bytes.indexOf(NL); i >= 0 && i < pos; i = bytes.indexOf(NL, i + 1)) line++;
  return line;
}

function detectDelimiter(first: string): Delimiter {
  if (first.includes(",")) return ",";
  if (first.includes("\t")) return "\t";
  if (first.includes(";")) return ";";
  return "whitespace";
}

function splitText(text: string, delimiter: Delimiter): string[] {
  const parts = delimiter === "whitespace" ? text.trim().split(/[ \t]+/) : text.split(delimiter);
  return parts.map((f) => f.trim().replace(/^"(.*)"$/, "$1"));
}

function isNumberText(f: string): boolean {
  return f !== "" && (!Number.isNaN(Number(f)) || /^[+-]?nan$/i.test(f));
}

function resolveColumn(
  ref: ColumnRef,
  header: string[] | null,
  file: string,
  fieldCount: number,
): number {
  const asIndex = typeof ref === "number" ? ref : /^\d+$/.test(ref.trim()) ? Number(ref) : NaN;
  if (!Number.isNaN(asIndex)) {
    if (!Number.isInteger(asIndex) || asIndex < 1) {
      throw new TableError(file, `column index ${ref} is invalid; indexes are 1-based integers`);
    }
    if (asIndex > fieldCount) {
      throw new TableError(
        file,
        `column ${asIndex} does not exist; the first row has ${fieldCount} columns`,
      );
    }
    return asIndex - 1;
  }
  const name = String(ref).trim();
  if (header === null) {
    throw new TableError(
      file,
      `column '${name}' was given by name but the file has no header row; ` +
        `use a 1-based index (1..${fieldCount})`,
    );
  }
  const idx = header.indexOf(name);
  if (idx >= 0) return idx;
  const ci = header.findIndex((h) => h.toLowerCase() === name.toLowerCase());
  if (ci >= 0) return ci;
  throw new TableError(
    file,
    `column '${name}' not found; the header has ${header.map((h) => `'${h}'`).join(", ")}`,
  );
}

const POW10 = [
  1e0,
  1e1,
  1e2,
  1e3,
  1e4,
  1e5,
  1e6,
  1e7,
  1e8,
  1e9,
  1e10,
  1e11,
  1e12,
  1e13,
  1e14,
  1e15,
  1e16,
  1e17,
  1e18,
  1e19,
  1e20,
  1e21,
  1e22,
];

/**
 * Parses bytes[s..e) (surrounding blanks allowed) as a decimal number. Returns undefined when
 * it is not a number. Fast path: <= 15 significant digits and |decimal exponent| <= 22, where
 * `mantissa * 10^k` or `mantissa / 10^k` of two exact doubles is correctly rounded (Clinger).
 */
function parseNumber(bytes: Uint8Array, s: number, e: number): number | undefined {
  while (s < e && (bytes[s] === SP || bytes[s] === TAB)) s++;
  while (e > s && (bytes[e - 1] === SP || bytes[e - 1] === TAB)) e--;
  if (s >= e) return undefined;
  let i = s;
  let neg = false;
  let c = bytes[i];
  if (c === 45 || c === 43) {
    neg = c === 45;
    i++;
  }
  let mant = 0;
  let digits = 0;
  let scale = 0;
  let any = false;
  while (i < e && (c = bytes[i]) >= 48 && c <= 57) {
    if (digits > 0 || c !== 48) digits++;
    mant = mant * 10 + (c - 48);
    any = true;
    i++;
  }
  if (i < e && bytes[i] === 46) {
    i++;
    while (i < e && (c = bytes[i]) >= 48 && c <= 57) {
      if (digits > 0 || c !== 48) digits++;
      mant = mant * 10 + (c - 48);
      scale--;
      any = true;
      i++;
    }
  }
  if (!any) return slowNumber(bytes, s, e);
  if (i < e && (bytes[i] | 0x20) === 101) {
    i++;
    let eneg = false;
    if (i < e && (bytes[i] === 45 || bytes[i] === 43)) {
      eneg = bytes[i] === 45;
      i++;
    }
    let ex = 0;
    const es = i;
    while (i < e && (c = bytes[i]) >= 48 && c <= 57 && ex < 100000) {
      ex = ex * 10 + (c - 48);
      i++;
    }
    if (i === es) return undefined;
    scale += eneg ? -ex : ex;
  }
  if (i !== e) return undefined;
  if (digits > 15 || scale < -22 || scale > 22) return slowNumber(bytes, s, e);
  const v = scale < 0 ? mant / POW10[-scale] : mant * POW10[scale];
  return neg ? -v : v;
}

function slowNumber(bytes: Uint8Array, s: number, e: number): number | undefined {
  let text = "";
  for (let i = s; i < e; i++) text += String.fromCharCode(bytes[i]);
  if (/^[+-]?nan$/i.test(text)) return NaN;
  if (/^[+-]?inf(inity)?$/i.test(text)) return undefined;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
