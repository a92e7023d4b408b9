/**
 * Reading a local survey file into `RawData`, shared by the `file` and `http` plugins: tables
 * (CSV/TSV/whitespace, gzip transparently, configurable columns) as points, and ICGEM GDF,
 * netCDF classic and GeoTIFF grids. Points are kept when inside the bbox; grids are cropped to
 * the rows and columns inside it.
 *
 * @module
 */
import type { Bbox, LineKind, RawData } from "@gam/pipeline/plugin";
import {
  type ColumnRef,
  datasetDoi,
  type Delimiter,
  LineDictionary,
  normalizeUnit,
  parseGdf,
  parseGeoTiffGrid,
  parseNetcdfGrid,
  pickLines,
  projDefinition,
  readAsegGdf,
  readGeosoftXyz,
  readTable,
  type SurveyColumns,
  toLonLat,
} from "@gam/pipeline/plugin/readers";

/** Formats the file plugin reads. */
export type SurveyFormat = "table" | "aseg-gdf" | "geosoft-xyz" | "gdf" | "netcdf" | "geotiff";

const FORMATS: readonly SurveyFormat[] = [
  "table",
  "aseg-gdf",
  "geosoft-xyz",
  "gdf",
  "netcdf",
  "geotiff",
];

/**
 * A param of the file (or http) plugin is missing or invalid, or the file has no data inside
 * the bbox. Names the param or file.
 *
 * @example Usage
 * ```ts
 * import { SurveyFileError } from "./read.ts";
 * new SurveyFileError("params.path is required");
 * ```
 */
export class SurveyFileError extends RangeError {
  /** @param message What is wrong and what was expected. */
  constructor(message: string) {
    super(message);
    this.name = "SurveyFileError";
  }
}

/** Params understood by {@linkcode readSurveyFile}. */
export interface SurveyFileParams {
  /**
   * File format; by default from the extension: `.dat` ASEG-GDF2, `.xyz` Geosoft XYZ, `.gdf`
   * ICGEM, `.nc` netCDF, `.tif`/`.tiff` GeoTIFF, anything else a table.
   */
  format?: SurveyFormat;
  /** ASEG-GDF2: the `.dfn` definition file. @default the `.dat` path with extension `.dfn` */
  definition?: string;
  /**
   * The CRS of the file's coordinates, `"EPSG:<code>"`: with a projected CRS, `columns.lon` and
   * `columns.lat` are the easting and northing (metres), transformed to EPSG:4326 on reading.
   * @default "EPSG:4326"
   */
  crs?: string;
  /** Geosoft XYZ: the channel names, when the file has no header comment naming them. */
  channels?: string[];
  /** Table columns (header names or 1-based indexes). */
  columns?: {
    lon: ColumnRef;
    lat: ColumnRef;
    value: ColumnRef;
    height?: ColumnRef;
    line?: ColumnRef;
  };
  /**
   * Line names starting with this text are tie lines (e.g. `"T"` for `T100`); without it, only
   * a format that says so (Geosoft XYZ `Tie` headers) marks tie lines.
   */
  tiePrefix?: string;
  /** Table delimiter (detected when unset). */
  delimiter?: Delimiter;
  /** Whether the table has a header row (detected when unset). */
  header?: boolean;
  /** Units of the values; required for tables, else read from the file when unset. */
  units?: string;
  /** netCDF variable. */
  variable?: string;
  /** Licence of the data (required). */
  licence: string;
  /** Citation of the data (required). */
  citation: string;
  /**
   * DOI of the data; unset: the dataset registry's DOI when the file is a registered dataset
   * (same name and size), else none.
   */
  doi?: string;
}

/**
 * Checks the params shared by the file and http plugins; throws {@linkcode SurveyFileError}.
 *
 * @example Usage
 * ```ts
 * import { checkSurveyParams } from "./read.ts";
 * checkSurveyParams({ licence: "Public domain", citation: "NCEI", format: "gdf" }, "file");
 * ```
 */
export function checkSurveyParams(p: Record<string, unknown>, plugin: string): SurveyFileParams {
  for (const k of ["licence", "citation"]) {
    if (typeof p[k] !== "string" || (p[k] as string).trim() === "") {
      throw new SurveyFileError(
        `${plugin}: params.${k} is required (the ${k} of the data, from its provider)`,
      );
    }
  }
  if (p.format !== undefined && !FORMATS.includes(p.format as SurveyFormat)) {
    throw new SurveyFileError(
      `${plugin}: params.format must be one of ${FORMATS.join(", ")}, got ${
        JSON.stringify(p.format)
      }`,
    );
  }
  if (p.crs !== undefined) {
    if (typeof p.crs !== "string") {
      throw new SurveyFileError(
        `${plugin}: params.crs must be an EPSG code such as "EPSG:32633", got ${
          JSON.stringify(p.crs)
        }`,
      );
    }
    try {
      projDefinition(p.crs);
    } catch (e) {
      throw new SurveyFileError(`${plugin}: params.crs: ${(e as Error).message}`);
    }
  }
  if (p.definition !== undefined && (typeof p.definition !== "string" || p.definition === "")) {
    throw new SurveyFileError(
      `${plugin}: params.definition must be the path of the .dfn file, got ${
        JSON.stringify(p.definition)
      }`,
    );
  }
  if (
    p.channels !== undefined &&
    (!Array.isArray(p.channels) || !p.channels.every((c) => typeof c === "string" && c !== ""))
  ) {
    throw new SurveyFileError(
      `${plugin}: params.channels must be a list of channel names, got ${
        JSON.stringify(p.channels)
      }`,
    );
  }
  if (p.tiePrefix !== undefined && (typeof p.tiePrefix !== "string" || p.tiePrefix === "")) {
    throw new SurveyFileError(
      `${plugin}: params.tiePrefix must be a non-empty text (e.g. "T"), got ${
        JSON.stringify(p.tiePrefix)
      }`,
    );
  }
  if (p.columns !== undefined) {
    const c = p.columns as Record<string, unknown>;
    for (const k of ["lon", "lat", "value"]) {
      if (typeof c?.[k] !== "string" && typeof c?.[k] !== "number") {
        throw new SurveyFileError(
          `${plugin}: params.columns.${k} must be a column name or 1-based index, got ${
            JSON.stringify(c?.[k])
          }`,
        );
      }
    }
  }
  return p as unknown as SurveyFileParams;
}

/** The registry's DOI of `path` when it is a registered dataset (same name and size). */
async function registeredDoi(path: string): Promise<string | undefined> {
  try {
    return datasetDoi(path.split(/[\\/]/).pop() ?? "", (await Deno.stat(path)).size);
  } catch {
    return undefined; // unreadable here: the read below reports it
  }
}

/** The format of `path` from params or its extension. */
export function detectFormat(path: string, format?: SurveyFormat): SurveyFormat {
  if (format) return format;
  const p = path.toLowerCase().replace(/\.gz$/, "");
  if (p.endsWith(".dat")) return "aseg-gdf";
  if (p.endsWith(".xyz")) return "geosoft-xyz";
  if (p.endsWith(".gdf")) return "gdf";
  if (p.endsWith(".nc") || p.endsWith(".cdf")) return "netcdf";
  if (p.endsWith(".tif") || p.endsWith(".tiff")) return "geotiff";
  return "table";
}

/** Who is reading and for what. */
export interface SurveyContext {
  /** Plugin id and version. */
  source: { plugin: string; version: string };
  /** Modality. */
  modality: string;
  /** Requested bbox. */
  bbox: Bbox;
  /** URL written in the metadata. */
  sourceUrl: string;
}

/**
 * Reads `path` and returns `RawData` inside `ctx.bbox`.
 *
 * @throws {SurveyFileError} for bad params or no data inside the bbox; format errors of the
 *   readers (`TableSyntaxError`, `GdfSyntaxError`, `NetcdfError`, `GeoTiffReadError`).
 *
 * @example Usage
 * ```ts
 * import { readSurveyFile } from "./read.ts";
 * import { fetchDataset } from "../../datasets/mod.ts";
 * const data = await readSurveyFile(await fetchDataset("icgem-sample.gdf"),
 *   { licence: "GFZ", citation: "ICGEM" },
 *   { source: { plugin: "file", version: "1.0.0" }, modality: "gravity",
 *     bbox: [150, 16, 164, 28], sourceUrl: "file:///x" });
 * ```
 */
export async function readSurveyFile(
  path: string,
  params: SurveyFileParams,
  ctx: SurveyContext,
): Promise<RawData> {
  const format = detectFormat(path, params.format);
  const doi = params.doi ?? await registeredDoi(path);
  const meta = {
    retrievedAt: new Date().toISOString(),
    licence: params.licence,
    citation: params.citation,
    ...(doi ? { doi } : {}),
    sourceUrl: ctx.sourceUrl,
  };
  const base = {
    source: ctx.source,
    modality: ctx.modality,
    bbox: ctx.bbox,
    crs: "EPSG:4326" as const,
  };
  if (format === "table" || format === "aseg-gdf" || format === "geosoft-xyz") {
    if (!params.columns) {
      throw new SurveyFileError(
        `params.columns is required for ${format} files ({ lon, lat, value[, height, line] })`,
      );
    }
    const c = params.columns;
    const refs: ColumnRef[] = [c.lon, c.lat, c.value];
    if (c.height !== undefined) refs.push(c.height);
    const s = await readSurveyColumns(path, format, refs, params);
    const unitText = params.units ?? s.units[2];
    if (!unitText) {
      throw new SurveyFileError(
        `params.units is required for ${path} (the file does not declare the value's unit)`,
      );
    }
    const projected = params.crs !== undefined && params.crs !== "EPSG:4326";
    const { lon: lonAll, lat: latAll } = projected
      ? toLonLat(params.crs!, s.columns[0], s.columns[1])
      : { lon: s.columns[0], lat: s.columns[1] };
    const valAll = s.columns[2];
    const hAll = c.height !== undefined ? s.columns[3] : undefined;
    // Readings inside the bbox: the arrays as read when all are (no copies of a survey of
    // millions), else an index list and one copy of each array.
    const [w, so, e, n] = ctx.bbox;
    const inside = (i: number) => {
      const lo = lonAll[i], la = latAll[i];
      return lo >= w && lo <= e && la >= so && la <= n;
    };
    let count = 0;
    for (let i = 0; i < s.rows; i++) if (inside(i)) count++;
    if (count === 0) {
      throw new SurveyFileError(
        `${path}: none of its ${s.rows} rows lies inside the bbox [${ctx.bbox.join(", ")}]`,
      );
    }
    const all = count === s.rows;
    const keep = new Int32Array(all ? 0 : count);
    if (!all) { for (let i = 0, k = 0; i < s.rows; i++) if (inside(i)) keep[k++] = i; }
    const pick = (a: Float64Array<ArrayBuffer>) => all ? a : Float64Array.from(keep, (i) => a[i]);
    const lines = s.lines ? linesOf(s.lines, params.tiePrefix, all ? undefined : keep) : undefined;
    return {
      ...base,
      ...(projected ? { sourceCrs: params.crs } : {}),
      kind: "points",
      units: normalizeUnit(unitText, { modality: ctx.modality }),
      metadata: { ...meta, extra: { file: path, format, rowsInFile: s.rows } },
      points: {
        lon: pick(lonAll),
        lat: pick(latAll),
        value: pick(valAll),
        ...(hAll ? { height: pick(hAll) } : {}),
        ...(lines ?? {}),
      },
    };
  }
  const bytes = await Deno.readFile(path);
  let grid: { lat: Float64Array; lon: Float64Array; values: Float64Array; unit?: string };
  if (format === "gdf") {
    const g = parseGdf(new TextDecoder().decode(bytes), path);
    grid = { ...g, unit: g.unit };
  } else if (format === "netcdf") {
    const g = parseNetcdfGrid(bytes, path, { variable: params.variable });
    grid = { ...g, unit: g.units };
  } else {
    const g = await parseGeoTiffGrid(bytes, path);
    // Without the float32 option the values are float64.
    grid = { ...g, values: g.values as Float64Array };
  }
  const unitText = params.units ?? grid.unit;
  if (!unitText) {
    throw new SurveyFileError(`${path}: the file names no unit; set params.units`);
  }
  const cropped = cropGrid(grid, ctx.bbox, path);
  return {
    ...base,
    kind: "grid",
    units: normalizeUnit(unitText, { modality: ctx.modality }),
    metadata: { ...meta, extra: { file: path, format } },
    grid: cropped,
  };
}

/**
 * The requested columns of a point file (table, ASEG-GDF2 or Geosoft XYZ), with its lines:
 * the table's or ASEG-GDF2's `columns.line` read as text, Geosoft XYZ's `Line`/`Tie` headers.
 */
async function readSurveyColumns(
  path: string,
  format: "table" | "aseg-gdf" | "geosoft-xyz",
  refs: ColumnRef[],
  params: SurveyFileParams,
): Promise<SurveyColumns> {
  const line = params.columns?.line;
  if (format === "aseg-gdf") {
    return await readAsegGdf(path, {
      columns: refs.map(String),
      ...(line !== undefined ? { line: String(line) } : {}),
      ...(params.definition ? { definition: params.definition } : {}),
    });
  }
  if (format === "geosoft-xyz") {
    if (line !== undefined) {
      throw new SurveyFileError(
        `${path}: a Geosoft XYZ file names its lines in Line/Tie headers; remove params.columns.line`,
      );
    }
    return await readGeosoftXyz(path, { columns: refs, channels: params.channels });
  }
  // Line ids are text: any value (`L1010`, `T100`, `FL1-1`, `1010`) names a line.
  const t = await readTable(path, {
    columns: refs,
    delimiter: params.delimiter,
    header: params.header,
    textColumns: line !== undefined ? [line] : [],
  });
  return {
    file: path,
    names: t.names,
    columns: t.columns as Float64Array<ArrayBuffer>[],
    rows: t.rows,
    units: t.names.map(() => undefined),
    ...(t.text[0] ? { lines: { codes: t.text[0].codes, names: t.text[0].names } } : {}),
  };
}

/**
 * The line codes, names and kinds of the readings kept (all when `keep` is undefined); ties by
 * prefix where the file is silent.
 */
function linesOf(
  lines: NonNullable<SurveyColumns["lines"]>,
  tiePrefix: string | undefined,
  keep: Int32Array | undefined,
): { line: Int32Array<ArrayBuffer>; lineNames: string[]; lineKinds?: LineKind[] } {
  const d = new LineDictionary();
  lines.names.forEach((name, i) => d.code(name, lines.kinds?.[i]));
  const kinds = d.kinds(tiePrefix);
  if (keep === undefined) {
    return { line: lines.codes, lineNames: lines.names, ...(kinds ? { lineKinds: kinds } : {}) };
  }
  return pickLines(lines.codes, lines.names, kinds, keep);
}

/**
 * The part of a grid inside `bbox` (longitudes above 180 are wrapped to [-180, 180) first).
 *
 * @throws {SurveyFileError} when no cell lies inside.
 *
 * @example Usage
 * ```ts
 * import { cropGrid } from "./read.ts";
 * const g = cropGrid({ lat: new Float64Array([0, 1]), lon: new Float64Array([0, 1]),
 *   values: new Float64Array([1, 2, 3, 4]) }, [0.5, 0, 1, 1], "x");
 * g.values; // Float64Array [2, 4]
 * ```
 */
export function cropGrid(
  grid: { lat: Float64Array; lon: Float64Array; values: Float64Array },
  bbox: Bbox,
  file: string,
): {
  lat: Float64Array<ArrayBuffer>;
  lon: Float64Array<ArrayBuffer>;
  values: Float64Array<ArrayBuffer>;
} {
  let { lat, lon, values } = grid;
  const nx0 = lon.length;
  if (lon[nx0 - 1] > 180) {
    // Wrap 0..360 to -180..180 and reorder columns.
    const order = Array.from(lon, (v, i) => [v > 180 ? v - 360 : v, i] as const)
      .sort((a, b) => a[0] - b[0]);
    const nl = Float64Array.from(order, (o) => o[0]);
    const nv = new Float64Array(values.length);
    for (let r = 0; r < lat.length; r++) {
      for (let c = 0; c < nx0; c++) nv[r * nx0 + c] = values[r * nx0 + order[c][1]];
    }
    lon = nl;
    values = nv;
  }
  const [w, s, e, n] = bbox;
  const cols: number[] = [], rows: number[] = [];
  for (let c = 0; c < lon.length; c++) if (lon[c] >= w && lon[c] <= e) cols.push(c);
  for (let r = 0; r < lat.length; r++) if (lat[r] >= s && lat[r] <= n) rows.push(r);
  if (cols.length === 0 || rows.length === 0) {
    throw new SurveyFileError(
      `${file}: no grid node lies inside the bbox [${bbox.join(", ")}] (grid spans lon ` +
        `${lon[0]}..${lon[lon.length - 1]}, lat ${lat[0]}..${lat[lat.length - 1]})`,
    );
  }
  const out = new Float64Array(rows.length * cols.length);
  const c0 = cols[0], nx = lon.length;
  for (let i = 0; i < rows.length; i++) {
    out.set(values.subarray(rows[i] * nx + c0, rows[i] * nx + c0 + cols.length), i * cols.length);
  }
  return {
    lat: Float64Array.from(rows, (r) => lat[r]),
    lon: Float64Array.from(cols, (c) => lon[c]),
    values: out,
  };
}
