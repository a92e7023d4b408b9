/**
 * Reader of ICGEM GDF grids (the text format of the ICGEM Calculation Service): `key value`
 * header lines, an `end_of_head` line, then `longitude latitude value` rows (`long_lat_value`).
 * The grid is returned with strictly increasing axes, row-major `[lat][lon]`, and NaN for
 * missing cells and for the header's `gapvalue`.
 *
 * @module
 */

/**
 * A GDF file that cannot be read: no `end_of_head`, a non-numeric cell, rows that do not form
 * a regular grid. Names the file and line.
 *
 * @example Usage
 * ```ts
 * import { GdfSyntaxError, parseGdf } from "./gdf.ts";
 * try { parseGdf("garbage", "x.gdf"); } catch (e) { if (e instanceof GdfSyntaxError) console.log(e.line); }
 * ```
 */
export class GdfSyntaxError extends SyntaxError {
  /** File name as given. */
  readonly file: string;
  /** 1-based line, 0 when not tied to a line. */
  readonly line: number;
  /**
   * @param file File name.
   * @param line 1-based line (0: whole file).
   * @param problem What is wrong.
   */
  constructor(file: string, line: number, problem: string) {
    super(`${file}${line > 0 ? ` line ${line}` : ""}: ${problem}`);
    this.name = "GdfSyntaxError";
    this.file = file;
    this.line = line;
  }
}

/** A parsed GDF grid. */
export interface GdfGrid {
  /** Header `key -> value` (value text after the key, trimmed). */
  header: Record<string, string>;
  /** Latitudes, strictly increasing, degrees. */
  lat: Float64Array;
  /** Longitudes, strictly increasing, degrees. */
  lon: Float64Array;
  /** Values row-major `[lat][lon]`, NaN for gaps. */
  values: Float64Array;
  /** Unit from the header (`unit`), as written, e.g. `"mgal"`. */
  unit: string | undefined;
}

/**
 * Parses GDF text.
 *
 * @param text The file's text.
 * @param file Name quoted in errors.
 * @throws {GdfSyntaxError}
 *
 * @example Usage
 * ```ts
 * import { parseGdf } from "./gdf.ts";
 * const g = parseGdf("unit mgal\nend_of_head\n0 0 1\n1 0 2\n0 1 3\n1 1 4\n", "t.gdf");
 * g.values; // Float64Array [1, 2, 3, 4]
 * ```
 */
export function parseGdf(text: string, file: string): GdfGrid {
  const lines = text.split(/\r?\n/);
  const header: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t.startsWith("end_of_head")) break;
    if (t === "") continue;
    const m = /^(\S+)\s*(.*)$/.exec(t)!;
    header[m[1]] = m[2].trim();
  }
  if (i >= lines.length) {
    throw new GdfSyntaxError(file, 0, "no end_of_head line: this is not an ICGEM GDF file");
  }
  const fmt = header.grid_format;
  if (fmt !== undefined && fmt !== "long_lat_value") {
    throw new GdfSyntaxError(file, 0, `grid_format "${fmt}" is not supported (long_lat_value)`);
  }
  const gap = header.gapvalue !== undefined ? Number(header.gapvalue.split(/\s+/)[0]) : NaN;
  const lons: number[] = [], lats: number[] = [], vals: number[] = [];
  for (let k = i + 1; k < lines.length; k++) {
    const t = lines[k].trim();
    if (t === "") continue;
    const f = t.split(/\s+/);
    if (f.length < 3) {
      throw new GdfSyntaxError(file, k + 1, `expected "longitude latitude value", got "${t}"`);
    }
    const nums = f.slice(0, 3).map(Number);
    const bad = nums.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      const name = ["longitude", "latitude", "value"][bad];
      throw new GdfSyntaxError(file, k + 1, `${name} "${f[bad]}" is not a number`);
    }
    lons.push(nums[0]);
    lats.push(nums[1]);
    vals.push(nums[2] === gap ? NaN : nums[2]);
  }
  if (vals.length === 0) throw new GdfSyntaxError(file, 0, "no data rows after end_of_head");
  const expected = Number(header.number_of_gridpoints);
  if (Number.isFinite(expected) && expected !== vals.length) {
    throw new GdfSyntaxError(
      file,
      0,
      `header says number_of_gridpoints ${expected}, found ${vals.length} rows (truncated?)`,
    );
  }
  const lon = uniqueSorted(lons), lat = uniqueSorted(lats);
  // Counted before allocating: scattered rows would make a grid of (rows / 2)^2 nodes.
  if (vals.length !== lon.length * lat.length) {
    throw new GdfSyntaxError(
      file,
      0,
      `${vals.length} rows do not form a regular ${lat.length} x ${lon.length} grid`,
    );
  }
  const values = new Float64Array(lon.length * lat.length).fill(NaN);
  const li = new Map(lon.map((v, j) => [v, j])), la = new Map(lat.map((v, j) => [v, j]));
  for (let k = 0; k < vals.length; k++) {
    values[la.get(lats[k])! * lon.length + li.get(lons[k])!] = vals[k];
  }
  return {
    header,
    lat: Float64Array.from(lat),
    lon: Float64Array.from(lon),
    values,
    unit: header.unit,
  };
}

function uniqueSorted(v: number[]): number[] {
  return [...new Set(v)].sort((a, b) => a - b);
}
