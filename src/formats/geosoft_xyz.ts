/**
 * Geosoft XYZ: the line-oriented text export of Oasis montaj databases. Written from Geosoft's
 * description of the format (Geosoft Inc., *Oasis montaj How-To Guide: Importing and Exporting
 * XYZ Data*, and the "XYZ data file" topic of the Oasis montaj help, which define it thus):
 *
 * - lines starting with `/` are comments; the channel (column) names are given by a comment
 *   line, conventionally the last one before the data (`/ X Y MAG`); reads pick the last
 *   comment line before the first data row that has as many names as the row has values;
 * - `Line <name>` starts a traverse, `Tie <name>` a tie line (keywords case-insensitive; the
 *   name is any text, `L1010`, `1010.1`); every data row belongs to the line above it;
 * - data rows are values separated by blanks (commas are accepted too); `*` is the dummy
 *   (missing) value and reads as NaN.
 *
 * The file is streamed line by line (gzip transparently); only the requested channels are kept.
 * Rows before the first `Line`/`Tie` header in a file that has headers are an error (they belong
 * to no line); a file with no headers at all has no lines.
 *
 * @module
 */
import { CodeBuilder, ColumnBuilder, forEachLine, splitBlanks } from "./_records.ts";
import { parseNumber } from "./_number.ts";
import { LineDictionary } from "./line_dictionary.ts";
import { type ColumnRef, TableError, TableSyntaxError } from "./table.ts";
import type { SurveyColumns } from "./aseg_gdf.ts";

/** Options of {@linkcode readGeosoftXyz}. */
export interface ReadGeosoftXyzOptions {
  /** Channels to read, by name (case-insensitive) or 1-based index. */
  columns: readonly ColumnRef[];
  /**
   * Channel names when the file has no header comment (or to override it).
   * @default {the header comment}
   */
  channels?: readonly string[];
}

const MAX_FIELDS = 4096;

/**
 * Reads the requested channels of a Geosoft XYZ file, streaming, with its `Line`/`Tie` headers
 * as a line dictionary (kinds from the keyword).
 *
 * @param path The `.xyz` file (gzip or not).
 * @param options Channels to read; names when the file has no header.
 * @throws {TableError} for a channel that does not exist or no data rows;
 *   {@linkcode TableSyntaxError} naming file, line and channel for a short row, a value that is
 *   not a number, or a row before the first line header.
 *
 * @example Usage
 * ```ts
 * import { readGeosoftXyz } from "./geosoft_xyz.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/s.xyz`, "/ X Y MAG\nLine L10\n1 2 3\n2 2 *\nTie T1\n1 3 5\n");
 * const s = await readGeosoftXyz(`${dir}/s.xyz`, { columns: ["X", "Y", "MAG"] });
 * s.lines?.names; // ["L10", "T1"]
 * s.lines?.kinds; // ["line", "tie"]
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readGeosoftXyz(
  path: string,
  options: ReadGeosoftXyzOptions,
): Promise<SurveyColumns> {
  if (options.columns.length === 0) {
    throw new TypeError("readGeosoftXyz: columns must not be empty");
  }
  const dec = new TextDecoder();
  const starts = new Int32Array(MAX_FIELDS), ends = new Int32Array(MAX_FIELDS);
  const dict = new LineDictionary();
  const codes = new CodeBuilder();
  let builders: ColumnBuilder[] = [];
  let want: number[] = [];
  let names: string[] = [];
  let comments: string[][] = [];
  let current = -1; // line code of the rows that follow
  let sawHeader = false;
  let firstRow = 0; // file line of the first data row
  let rows = 0;
  let fieldCount = -1;
  await forEachLine(path, (bytes, s, e, line) => {
    let p = s;
    while (p < e && (bytes[p] === 32 || bytes[p] === 9)) p++;
    if (p >= e) return;
    if (bytes[p] === 47) { // '/'
      if (fieldCount < 0) {
        const text = dec.decode(bytes.subarray(p, e)).replace(/^\/+/, "").trim();
        comments.push(text === "" ? [] : text.split(/[\s,]+/));
      }
      return;
    }
    const n = splitBlanks(bytes, p, e, starts, ends, true);
    const word = n >= 1 ? dec.decode(bytes.subarray(starts[0], ends[0])).toLowerCase() : "";
    if (word === "line" || word === "tie") {
      if (n < 2) {
        throw new TableSyntaxError(path, line, "'line'", `header '${word}' has no line name`);
      }
      if (!sawHeader && rows > 0) {
        throw new TableSyntaxError(
          path,
          firstRow,
          "'line'",
          "data row before the first Line or Tie header",
        );
      }
      const name = dec.decode(
        bytes.subarray(starts[1], ends[n > MAX_FIELDS ? MAX_FIELDS - 1 : n - 1]),
      );
      current = dict.code(name.trim(), word === "tie" ? "tie" : "line");
      sawHeader = true;
      return;
    }
    if (fieldCount < 0) {
      // The first data row fixes the channels.
      firstRow = line;
      fieldCount = Math.min(n, MAX_FIELDS);
      const channels = options.channels ??
        [...comments].reverse().find((c) => c.length === fieldCount) ??
        null;
      comments = [];
      want = options.columns.map((ref) => resolve(ref, channels, fieldCount, path));
      names = want.map((f) => channels ? channels[f] : `column ${f + 1}`);
      builders = want.map(() => new ColumnBuilder());
    }
    for (let k = 0; k < want.length; k++) {
      const f = want[k];
      if (f >= n) {
        throw new TableSyntaxError(
          path,
          line,
          `'${names[k]}'`,
          `is missing (the row has ${n} value${n === 1 ? "" : "s"})`,
        );
      }
      let v: number | undefined;
      if (ends[f] - starts[f] === 1 && bytes[starts[f]] === 42) v = NaN; // '*' dummy
      else v = parseNumber(bytes, starts[f], ends[f]);
      if (v === undefined) {
        const text = dec.decode(bytes.subarray(starts[f], ends[f]));
        throw new TableSyntaxError(path, line, `'${names[k]}'`, `value '${text}' is not a number`);
      }
      builders[k].push(v);
    }
    if (sawHeader) codes.push(current);
    rows++;
  });
  if (rows === 0) throw new TableError(path, "file has no data rows");
  const kinds = dict.kinds();
  return {
    file: path,
    names,
    columns: builders.map((b) => b.finish()),
    rows,
    units: names.map(() => undefined),
    ...(sawHeader
      ? { lines: { codes: codes.finish(), names: dict.names, ...(kinds ? { kinds } : {}) } }
      : {}),
  };
}

function resolve(ref: ColumnRef, channels: readonly string[] | null, n: number, file: string) {
  const asIndex = typeof ref === "number" ? ref : /^\d+$/.test(ref.trim()) ? Number(ref) : NaN;
  if (!Number.isNaN(asIndex)) {
    if (!Number.isInteger(asIndex) || asIndex < 1 || asIndex > n) {
      throw new TableError(file, `channel index ${ref} does not exist; rows have ${n} values`);
    }
    return asIndex - 1;
  }
  if (channels === null) {
    throw new TableError(
      file,
      `channel '${ref}' was given by name but no comment line names the ${n} channels; ` +
        `use a 1-based index or params.channels`,
    );
  }
  const i = channels.findIndex((c) => c.toLowerCase() === String(ref).trim().toLowerCase());
  if (i < 0) {
    throw new TableError(
      file,
      `channel '${ref}' not found; the header names ${channels.map((c) => `'${c}'`).join(", ")}`,
    );
  }
  return i;
}
