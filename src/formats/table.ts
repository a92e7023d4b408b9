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
import { LineDictionary } from "./line_dictionary.ts";
import { parseNumber } from "./_number.ts";

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
  /**
   * Columns read as text (by header name or 1-based index), e.g. flight-line names such as
   * `L1010` or `FL1-1`: each becomes a dictionary of its distinct values and one integer code
   * per row (see {@linkcode TextColumn}). Any text is accepted; an empty cell is an error.
   * @default {[]}
   */
  textColumns?: readonly ColumnRef[];
  /**
   * {@linkcode readTable} only: bytes of text parsed at a time (the file is streamed; a
   * chunk ends after a newline, so a longer line makes its chunk longer).
   * @default {16777216}
   */
  chunkBytes?: number;
}

/**
 * A column read as text: its distinct values in order of first appearance and, per row, the
 * index of the row's value among them.
 *
 * @example Usage
 * ```ts
 * import { parseTable } from "./table.ts";
 * const t = parseTable(new TextEncoder().encode("line,x\nFL1-1,1\nFL1-1,2\nT10,3\n"), "a.csv", {
 *   columns: ["x"], textColumns: ["line"],
 * });
 * t.text[0].names; // ["FL1-1", "T10"]
 * t.text[0].codes; // Int32Array [0, 0, 1]
 * ```
 */
export interface TextColumn {
  /** The column's name (header name or `"column N"`). */
  name: string;
  /** Distinct values, in order of first appearance. */
  names: string[];
  /** Per row, the index of its value in `names`. */
  codes: Int32Array<ArrayBuffer>;
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
  /** The `textColumns` asked for, in their order (empty when none). */
  text: TextColumn[];
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
  const { parse_table_columns } = await import("../compute/wasm/gam_core.js");
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  using file = await Deno.open(path, { read: true });
  const size = (await file.stat()).size;
  const magic = new Uint8Array(2);
  const got = await file.read(magic);
  await file.seek(0, Deno.SeekMode.Start);
  const gzip = got === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  let stream: ReadableStream<Uint8Array<ArrayBuffer>> = file.readable;
  if (gzip) {
    stream = stream.pipeThrough(
      new DecompressionStream("gzip") as unknown as TransformStream<
        Uint8Array<ArrayBuffer>,
        Uint8Array<ArrayBuffer>
      >,
    );
  }
  const reader = new ChunkedTable(path, options, parse_table_columns, gzip ? 0 : size);
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  /** The first `end` pending bytes, after the reader's prefix, in one buffer (one copy). */
  const take = (end: number) => {
    const prefix = reader.prefix;
    const all = new Uint8Array(prefix.length + end);
    all.set(prefix);
    let at = prefix.length;
    const left: Uint8Array[] = [];
    for (const p of pending) {
      const n = Math.min(p.length, all.length - at);
      if (n > 0) all.set(n === p.length ? p : p.subarray(0, n), at);
      at += n;
      if (n < p.length) left.push(p.subarray(n));
    }
    pending = left;
    pendingLength -= end;
    return all;
  };
  try {
    for await (const piece of stream) {
      pending.push(piece);
      pendingLength += piece.length;
      if (pendingLength < chunkBytes) continue;
      const last = piece.lastIndexOf(NL);
      if (last < 0) continue; // the chunk ends mid-line: read on
      reader.add(take(pendingLength - (piece.length - last - 1)));
    }
  } catch (e) {
    if (e instanceof TableError || e instanceof TableSyntaxError) throw e;
    if (gzip) throw new TableError(path, `gzip data is corrupt (${(e as Error).message})`);
    throw e;
  }
  if (pendingLength > 0) reader.add(take(pendingLength));
  return reader.finish();
}

/** Bytes of text parsed at a time by {@linkcode readTable}. */
const DEFAULT_CHUNK_BYTES = 16 << 20;

/**
 * A table read chunk by chunk (each ends after a newline): the first chunk is parsed as a
 * table of its own (header, delimiter and columns decided there), every later one with the
 * header line put in front of it (by the caller, see {@linkcode ChunkedTable.prefix}), its line
 * numbers shifted and its text columns' dictionaries merged into the whole table's. Columns
 * grow into arrays sized from the file size.
 */
class ChunkedTable {
  #first: Table | undefined;
  #headerLine: Uint8Array | null = null;
  #linesBefore = 0;
  #columns: Float64Array[] = [];
  #rows = 0;
  #codes: Int32Array[] = [];
  #dicts: LineDictionary[] = [];
  constructor(
    readonly file: string,
    readonly options: ReadTableOptions,
    readonly fast: FastParser,
    readonly size: number,
  ) {}

  /**
   * What the next chunk passed to {@linkcode ChunkedTable.add} must start with: the header
   * line after the first chunk (when the table has one), else nothing.
   */
  get prefix(): Uint8Array {
    return this.#headerLine ?? NO_BYTES;
  }

  /** Parses the next chunk: {@linkcode ChunkedTable.prefix}, then whole lines of the file. */
  add(chunk: Uint8Array): void {
    const head = this.#headerLine;
    // The chunk's own lines, without the prefix: what the line numbers count.
    const bytes = head ? chunk.subarray(head.length) : chunk;
    let t: Table | undefined;
    if (this.#first === undefined) {
      t = parseWith(bytes, this.file, this.options, this.fast);
      this.#first = t;
      if (t.header !== null) {
        const comment = (this.options.comment ?? "#").charCodeAt(0);
        const at = skipBlankAndComments(bytes, 0, comment);
        this.#headerLine = bytes.slice(at, lineEnd(bytes, at) + 1);
      }
      this.#dicts = t.text.map(() => new LineDictionary());
    } else {
      try {
        t = parseWith(chunk, this.file, {
          ...this.options,
          delimiter: this.#first.delimiter,
          header: head !== null,
        }, this.fast);
      } catch (e) {
        if (e instanceof TableSyntaxError) {
          const line = e.line - (head ? 1 : 0) + this.#linesBefore;
          const problem = e.message.slice(`${e.file} line ${e.line}: column ${e.column} `.length);
          throw new TableSyntaxError(this.file, line, e.column, problem);
        }
        // A chunk of comments and blank lines only.
        if (!(e instanceof TableError && /no data rows/.test(e.message))) throw e;
      }
    }
    // A plain loop: `indexOf` per line costs a call per line (75 ms against 40 ms for 66 MB).
    let lines = 0;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === NL) lines++;
    this.#linesBefore += lines;
    if (t !== undefined) this.#append(t, bytes.length);
  }

  #append(t: Table, chunkBytes: number): void {
    const need = this.#rows + t.rows;
    const cap = this.#columns[0]?.length ?? 0;
    if (need > cap) {
      // The first chunk's bytes per row gives the estimate for the rest of the file (+2%).
      const estimate = this.size > 0 ? Math.ceil((t.rows / chunkBytes) * this.size * 1.02) : 0;
      const grown = Math.max(need, estimate, Math.ceil(cap * 1.5), 1024);
      this.#columns = t.columns.map((_, k) => {
        const a = new Float64Array(grown);
        if (this.#rows > 0) a.set(this.#columns[k].subarray(0, this.#rows));
        return a;
      });
      this.#codes = t.text.map((_, k) => {
        const a = new Int32Array(grown);
        if (this.#rows > 0) a.set(this.#codes[k].subarray(0, this.#rows));
        return a;
      });
    }
    t.columns.forEach((c, k) => this.#columns[k].set(c, this.#rows));
    t.text.forEach((c, k) => {
      const dict = this.#dicts[k];
      const global = Int32Array.from(c.names, (name) => dict.code(name));
      const out = this.#codes[k];
      for (let i = 0; i < c.codes.length; i++) out[this.#rows + i] = global[c.codes[i]];
    });
    this.#rows = need;
  }

  finish(): Table {
    const first = this.#first;
    if (first === undefined || this.#rows === 0) {
      throw new TableError(this.file, "file is empty (no header and no data rows)");
    }
    const rows = this.#rows;
    // The columns are sized from the file size with 2% to spare: a view keeps up to 1/16
    // unused (copying three columns of 2.1 million rows took 48 ms), a copy frees more.
    const trim = <A extends Float64Array | Int32Array>(a: A): A =>
      (a.length - rows <= a.length / 16 ? a.subarray(0, rows) : a.slice(0, rows)) as A;
    return {
      ...first,
      columns: this.#columns.map(trim),
      rows,
      text: first.text.map((c, k) => ({
        name: c.name,
        names: this.#dicts[k].names,
        codes: trim(this.#codes[k]) as Int32Array<ArrayBuffer>,
      })),
    };
  }
}

const NO_BYTES = new Uint8Array(0);

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
  const textWant = (options.textColumns ?? []).map((ref) =>
    resolveColumn(ref, header, file, firstFields.length)
  );
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
  // Text columns: one pass of their own (the numeric paths below never see them).
  const text = textWant.map((f) =>
    readTextColumn(bytes, pos, line, f, {
      file,
      name: header ? header[f] : `column ${f + 1}`,
      delimiter,
      comment,
    })
  );
  if (fast !== undefined) {
    const table = parseFast(bytes, pos, want, fast, delimiter, comment);
    if (table !== undefined) {
      checkTextRows(text, table.rows, file);
      return { file, names, ...table, header, delimiter, text };
    }
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
  checkTextRows(text, rows, file);
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
    text,
  };
}

function checkTextRows(text: TextColumn[], rows: number, file: string): void {
  for (const t of text) {
    if (t.codes.length !== rows) {
      // Both passes skip the same blank and comment lines: a mismatch is a bug, not bad input.
      throw new Error(
        `${file}: text column '${t.name}' has ${t.codes.length} rows, the numeric columns ${rows}`,
      );
    }
  }
}

/**
 * One text column of the data rows from `pos` on (the line numbered `line`), with the same
 * splitting, blank-line and comment rules as the numeric loop of {@linkcode parseWith}.
 */
function readTextColumn(
  bytes: Uint8Array,
  pos: number,
  line: number,
  field: number,
  o: { file: string; name: string; delimiter: Delimiter; comment: number },
): TextColumn {
  const n = bytes.length;
  const ws = o.delimiter === "whitespace";
  const delim = ws ? -1 : o.delimiter.charCodeAt(0);
  const dict = new LineDictionary();
  let codes = new Int32Array(1024);
  let rows = 0;
  let c: number;
  while (pos < n) {
    const eolAt = lineEnd(bytes, pos);
    let p = pos;
    while (p < eolAt && ((c = bytes[p]) === SP || c === TAB || c === CR)) p++;
    if (p >= eolAt || bytes[p] === o.comment) {
      pos = eolAt + 1;
      line++;
      continue;
    }
    if (!ws) p = pos;
    let s = p, e = p;
    let ended = false;
    for (let f = 0; f <= field; f++) {
      if (ended) {
        throw new TableSyntaxError(
          o.file,
          line,
          `'${o.name}'`,
          `is missing (the row has ${f} field${f === 1 ? "" : "s"})`,
        );
      }
      if (ws) {
        s = p;
        while (p < eolAt && (c = bytes[p]) !== SP && c !== TAB && c !== CR) p++;
        e = p;
        while (p < eolAt && ((c = bytes[p]) === SP || c === TAB || c === CR)) p++;
        ended = p >= eolAt;
      } else {
        if (bytes[p] === QUOTE) {
          s = ++p;
          while (p < eolAt && bytes[p] !== QUOTE) p++;
          e = p;
          while (p < eolAt && bytes[p] !== delim) p++;
        } else {
          s = p;
          while (p < eolAt && bytes[p] !== delim) p++;
          e = p;
        }
        ended = p >= eolAt;
        p++; // past the delimiter
      }
    }
    while (s < e && (bytes[s] === SP || bytes[s] === TAB)) s++;
    while (e > s && (bytes[e - 1] === SP || bytes[e - 1] === TAB || bytes[e - 1] === CR)) e--;
    if (e === s) {
      throw new TableSyntaxError(o.file, line, `'${o.name}'`, "is empty (expected a line name)");
    }
    if (rows === codes.length) {
      const grown = new Int32Array(codes.length * 2);
      grown.set(codes);
      codes = grown;
    }
    codes[rows++] = dict.codeOfBytes(bytes, s, e);
    pos = eolAt + 1;
    line++;
  }
  return { name: o.name, names: dict.names, codes: codes.slice(0, rows) };
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
