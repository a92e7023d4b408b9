/**
 * ASEG-GDF2 point-located data: a `.dat` file of fixed-format records described by a `.dfn`
 * definition file, the format in which many national geological surveys publish airborne
 * surveys. Written from the specification: Pratt, D. A., Dampney, C. N. G. and Pratt, A.
 * (2018), *ASEG-GDF2: A Standard for Point Located Data Exchange*, Revision 4, Australian
 * Society of Exploration Geophysicists, https://www.aseg.org.au/technical/aseg-technical-standards
 * (`ASEG-GDF2-REV4.pdf`).
 *
 * What is read:
 * - `.dfn`: `DEFN [n] ST=RECD,RT=<type>;<field>[;<field>...]` lines, a field being
 *   `NAME:FORMAT[:ATTR=VALUE,...]` with a Fortran format `[count]A|I|F|E|D<width>[.<decimals>]`
 *   and attributes `UNIT`/`UNITS`, `NULL` and `NAME` (a long name); `END DEFN` ends the
 *   definitions. Fields of `RT=DATA` and `RT=` (the default record type) describe the data
 *   records; `RT=COMM` comment records are skipped. A field with a count (`256F10.3`) is that
 *   many columns, named `NAME[0]` ... `NAME[count-1]`.
 * - `.dat`: one record per line, fixed width as the formats say; where a record's fields are
 *   separated by blanks in the same number as the definition's columns (many files do not keep
 *   to the widths), it is split on blanks instead. The NULL value of a field reads as NaN.
 *
 * The file is streamed line by line (gzip transparently); only the requested columns are kept.
 *
 * @module
 */
import type { LineKind } from "../contracts/mod.ts";
import { CodeBuilder, ColumnBuilder, forEachLine, splitBlanks } from "./_records.ts";
import { parseNumber } from "./_number.ts";
import { LineDictionary } from "./line_dictionary.ts";
import { TableError, TableSyntaxError } from "./table.ts";

/** One field (column) of an ASEG-GDF2 data record. */
export interface AsegGdfField {
  /** Field name (`MAGCOMP`, or `EM[3]` for one element of an array field). */
  name: string;
  /** Fortran type letter, upper case: `A` text, `I` integer, `F`/`E`/`D` real. */
  type: "A" | "I" | "F" | "E" | "D";
  /** Width in characters. */
  width: number;
  /** The `NULL` value (read as NaN), if declared. */
  nullValue?: number;
  /** `UNIT`/`UNITS`, if declared. */
  unit?: string;
  /** `NAME`, the long name, if declared. */
  longName?: string;
}

/**
 * A `.dfn` file is not a valid ASEG-GDF2 definition. Carries the file and the 1-based line.
 *
 * @example Usage
 * ```ts
 * import { AsegGdfDefinitionError, parseAsegGdfDefinition } from "./aseg_gdf.ts";
 * try {
 *   parseAsegGdfDefinition("DEFN 1 ST=RECD,RT=;MAG:Q10\n", "a.dfn");
 * } catch (e) {
 *   if (e instanceof AsegGdfDefinitionError) console.log(e.line); // 1
 * }
 * ```
 */
export class AsegGdfDefinitionError extends SyntaxError {
  /** The file name as given. */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  /**
   * @param file The file name.
   * @param line 1-based line number.
   * @param problem What is wrong.
   */
  constructor(file: string, line: number, problem: string) {
    super(`${file} line ${line}: ${problem}`);
    this.name = "AsegGdfDefinitionError";
    this.file = file;
    this.line = line;
  }
}

const FORMAT = /^(\d*)([AIFED])(\d+)(?:\.(\d+))?$/i;

/**
 * Parses a `.dfn` definition: the data record's fields in order, arrays expanded.
 *
 * @param text The definition file's text.
 * @param file Name quoted in errors.
 * @throws {AsegGdfDefinitionError} for a malformed field or format, or no data fields.
 *
 * @example Usage
 * ```ts
 * import { parseAsegGdfDefinition } from "./aseg_gdf.ts";
 * const f = parseAsegGdfDefinition(
 *   "DEFN 1 ST=RECD,RT=;LINE:I6\nDEFN 2 ST=RECD,RT=;MAG:F10.2:UNIT=nT,NULL=-9999.00\n" +
 *     "DEFN 3 ST=RECD,RT=;END DEFN\n",
 *   "s.dfn",
 * );
 * f.map((x) => x.name); // ["LINE", "MAG"]
 * ```
 */
export function parseAsegGdfDefinition(text: string, file: string): AsegGdfField[] {
  const fields: AsegGdfField[] = [];
  const lines = text.split(/\r?\n/);
  let ended = false;
  for (let i = 0; i < lines.length && !ended; i++) {
    const raw = lines[i].trim();
    if (raw === "") continue;
    if (!/^DEFN\b/i.test(raw)) {
      throw new AsegGdfDefinitionError(
        file,
        i + 1,
        `expected a DEFN line, got '${raw.slice(0, 40)}'`,
      );
    }
    const parts = raw.split(";");
    const rt = /\bRT=([A-Za-z]*)/i.exec(parts[0])?.[1]?.toUpperCase() ?? "";
    for (const def of parts.slice(1)) {
      const d = def.trim();
      if (d === "") continue;
      if (/^END\s+DEFN$/i.test(d)) {
        ended = true;
        break;
      }
      if (rt !== "" && rt !== "DATA") continue; // comment or other record types
      const [name, format, ...rest] = d.split(":").map((s) => s.trim());
      const m = FORMAT.exec(format ?? "");
      if (!name || !m) {
        throw new AsegGdfDefinitionError(
          file,
          i + 1,
          `field '${d}' is not NAME:FORMAT (a Fortran format such as F10.3, I6, A8 or 256E12.4)`,
        );
      }
      const attrs: Record<string, string> = {};
      for (const a of rest.join(":").split(",")) {
        const eq = a.indexOf("=");
        if (eq > 0) attrs[a.slice(0, eq).trim().toUpperCase()] = a.slice(eq + 1).trim();
      }
      const count = m[1] === "" ? 1 : Number(m[1]);
      const type = m[2].toUpperCase() as AsegGdfField["type"];
      const width = Number(m[3]);
      if (count < 1 || width < 1) {
        throw new AsegGdfDefinitionError(
          file,
          i + 1,
          `field '${name}': count and width must be >= 1`,
        );
      }
      const nullText = attrs.NULL;
      const nullValue = nullText !== undefined && nullText !== "" ? Number(nullText) : undefined;
      if (nullValue !== undefined && Number.isNaN(nullValue)) {
        throw new AsegGdfDefinitionError(
          file,
          i + 1,
          `field '${name}': NULL='${nullText}' is not a number`,
        );
      }
      for (let k = 0; k < count; k++) {
        fields.push({
          name: count === 1 ? name : `${name}[${k}]`,
          type,
          width,
          ...(nullValue !== undefined ? { nullValue } : {}),
          ...(attrs.UNIT ?? attrs.UNITS ? { unit: attrs.UNIT ?? attrs.UNITS } : {}),
          ...(attrs.NAME ? { longName: attrs.NAME } : {}),
        });
      }
    }
  }
  if (fields.length === 0) {
    throw new AsegGdfDefinitionError(
      file,
      lines.length,
      "no data fields are defined (RT=DATA or RT=)",
    );
  }
  return fields;
}

/** Options of {@linkcode readAsegGdf}. */
export interface ReadAsegGdfOptions {
  /** The `.dfn` file. @default the `.dat` path with the extension `.dfn` */
  definition?: string;
  /** Numeric fields to read, by field name or long name (`NAME=`), case-insensitive. */
  columns: readonly string[];
  /** The field holding the line number or name, read as text into a line dictionary. */
  line?: string;
}

/** The result of {@linkcode readAsegGdf} (and of the Geosoft XYZ reader). */
export interface SurveyColumns {
  /** The data file as given. */
  file: string;
  /** The requested columns' names as the file has them. */
  names: string[];
  /** One array per requested column; NULL/dummy values as NaN. */
  columns: Float64Array<ArrayBuffer>[];
  /** Number of data records. */
  rows: number;
  /** Line code per record, the dictionary and, where the format says, each line's kind. */
  lines?: { codes: Int32Array<ArrayBuffer>; names: string[]; kinds?: LineKind[] };
  /** Units of the requested columns, where the file declares them (`undefined` otherwise). */
  units: (string | undefined)[];
}

/**
 * Reads the requested columns of an ASEG-GDF2 `.dat` file, streaming, with its line field as
 * a line dictionary.
 *
 * @param path The `.dat` file (gzip or not).
 * @param options The definition file, the columns, the line field.
 * @throws {AsegGdfDefinitionError} for a bad definition; {@linkcode TableError} for a column
 *   not defined or no records; {@linkcode TableSyntaxError} naming file, line and column for a
 *   record that does not fit the definition or a value that is not a number.
 *
 * @example Usage
 * ```ts
 * import { readAsegGdf } from "./aseg_gdf.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-gdf-" });
 * try {
 *   await Deno.writeTextFile(
 *     `${dir}/survey.dfn`,
 *     "DEFN 1 ST=RECD,RT=;LINE:I6\nDEFN 2 ST=RECD,RT=;MAG:F10.2:UNIT=nT,NULL=-9999.00\n" +
 *       "DEFN 3 ST=RECD,RT=;END DEFN\n",
 *   );
 *   await Deno.writeTextFile(`${dir}/survey.dat`, "    10   1234.50\n    10  -9999.00\n");
 *   const s = await readAsegGdf(`${dir}/survey.dat`, { columns: ["MAG"], line: "LINE" });
 *   console.log(s.names); // ["MAG"]; the second value is NaN (the field's NULL)
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function readAsegGdf(
  path: string,
  options: ReadAsegGdfOptions,
): Promise<SurveyColumns> {
  const dfnPath = options.definition ?? path.replace(/(\.dat)?(\.gz)?$/i, "") + ".dfn";
  let dfnText: string;
  try {
    dfnText = await Deno.readTextFile(dfnPath);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new TableError(
        path,
        `its definition file ${dfnPath} does not exist (ASEG-GDF2 needs the .dfn)`,
      );
    }
    throw e;
  }
  const fields = parseAsegGdfDefinition(dfnText, dfnPath);
  const find = (ref: string) => {
    const r = ref.trim().toLowerCase();
    let i = fields.findIndex((f) => f.name.toLowerCase() === r);
    if (i < 0) i = fields.findIndex((f) => f.longName?.toLowerCase() === r);
    if (i < 0) {
      throw new TableError(
        path,
        `field '${ref}' is not defined in ${dfnPath}; it defines ${
          fields.map((f) => f.name).join(", ")
        }`,
      );
    }
    return i;
  };
  const want = options.columns.map(find);
  const lineField = options.line !== undefined ? find(options.line) : -1;
  const offsets = new Int32Array(fields.length + 1);
  fields.forEach((f, i) => (offsets[i + 1] = offsets[i] + f.width));
  const totalWidth = offsets[fields.length];
  const builders = want.map(() => new ColumnBuilder());
  const codes = new CodeBuilder();
  const dict = new LineDictionary();
  const starts = new Int32Array(fields.length), ends = new Int32Array(fields.length);
  const fs = new Int32Array(fields.length), fe = new Int32Array(fields.length);
  let rows = 0;
  await forEachLine(path, (bytes, s, e, line) => {
    let p = s;
    while (p < e && (bytes[p] === 32 || bytes[p] === 9)) p++;
    if (p >= e) return;
    // COMM records (comments) may be interleaved with the data.
    if (
      e - p >= 4 && (bytes[p] | 0x20) === 99 && (bytes[p + 1] | 0x20) === 111 &&
      (bytes[p + 2] | 0x20) === 109 && (bytes[p + 3] | 0x20) === 109
    ) return;
    const n = splitBlanks(bytes, s, e, starts, ends);
    if (n === fields.length) {
      fs.set(starts);
      fe.set(ends);
    } else if (e - s >= totalWidth - fields[fields.length - 1].width + 1) {
      for (let k = 0; k < fields.length; k++) {
        fs[k] = Math.min(e, s + offsets[k]);
        fe[k] = Math.min(e, s + offsets[k + 1]);
      }
    } else {
      throw new TableSyntaxError(
        path,
        line,
        `'${fields[Math.min(n, fields.length - 1)].name}'`,
        `is missing: the record has ${n} blank-separated fields and ${e - s} characters, ` +
          `the definition ${fields.length} fields in ${totalWidth} characters`,
      );
    }
    for (let k = 0; k < want.length; k++) {
      const f = want[k];
      const v = parseNumber(bytes, fs[f], fe[f]);
      if (v === undefined) {
        const text = new TextDecoder().decode(bytes.subarray(fs[f], fe[f])).trim();
        throw new TableSyntaxError(
          path,
          line,
          `'${fields[f].name}'`,
          `value '${text}' is not a number`,
        );
      }
      builders[k].push(v === fields[f].nullValue ? NaN : v);
    }
    if (lineField >= 0) {
      let a = fs[lineField], b = fe[lineField];
      while (a < b && (bytes[a] === 32 || bytes[a] === 9)) a++;
      while (b > a && (bytes[b - 1] === 32 || bytes[b - 1] === 9)) b--;
      if (a === b) {
        throw new TableSyntaxError(
          path,
          line,
          `'${fields[lineField].name}'`,
          "is empty (expected a line name)",
        );
      }
      codes.push(dict.codeOfBytes(bytes, a, b));
    }
    rows++;
  });
  if (rows === 0) throw new TableError(path, "file has no data records");
  return {
    file: path,
    names: want.map((f) => fields[f].name),
    columns: builders.map((b) => b.finish()),
    rows,
    units: want.map((f) => fields[f].unit),
    ...(lineField >= 0 ? { lines: { codes: codes.finish(), names: dict.names } } : {}),
  };
}
