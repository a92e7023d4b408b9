/**
 * Reading a local survey file into `RawData`, shared by the `file` and `http` plugins: tables
 * (CSV/TSV/whitespace, gzip transparently, configurable columns) as points, and ICGEM GDF,
 * netCDF classic and GeoTIFF grids. Points are kept when inside the bbox; grids are cropped to
 * the rows and columns inside it.
 *
 * @module
 */
import type { Bbox, RawData } from "@gam/pipeline/plugin";
import {
  type ColumnRef,
  type Delimiter,
  normalizeUnit,
  parseGdf,
  parseGeoTiffGrid,
  parseNetcdfGrid,
  readTable,
} from "@gam/pipeline/plugin/readers";

/** Formats the file plugin reads. */
export type SurveyFormat = "table" | "gdf" | "netcdf" | "geotiff";

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
  /** File format; by default from the extension (`.gdf`, `.nc`, `.tif`/`.tiff`, else table). */
  format?: SurveyFormat;
  /** Table columns (header names or 1-based indexes). */
  columns?: {
    lon: ColumnRef;
    lat: ColumnRef;
    value: ColumnRef;
    height?: ColumnRef;
    line?: ColumnRef;
  };
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
  if (
    p.format !== undefined && !["table", "gdf", "netcdf", "geotiff"].includes(p.format as string)
  ) {
    throw new SurveyFileError(
      `${plugin}: params.format must be table, gdf, netcdf or geotiff, got ${
        JSON.stringify(p.format)
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

/** The format of `path` from params or its extension. */
export function detectFormat(path: string, format?: SurveyFormat): SurveyFormat {
  if (format) return format;
  const p = path.toLowerCase().replace(/\.gz$/, "");
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
  const meta = {
    retrievedAt: new Date().toISOString(),
    licence: params.licence,
    citation: params.citation,
    sourceUrl: ctx.sourceUrl,
  };
  const base = {
    source: ctx.source,
    modality: ctx.modality,
    bbox: ctx.bbox,
    crs: "EPSG:4326" as const,
  };
  if (format === "table") {
    if (!params.columns) {
      throw new SurveyFileError(
        `params.columns is required for table files ({ lon, lat, value[, height, line] })`,
      );
    }
    if (!params.units) throw new SurveyFileError(`params.units is required for table files`);
    const c = params.columns;
    const refs: ColumnRef[] = [c.lon, c.lat, c.value];
    if (c.height !== undefined) refs.push(c.height);
    if (c.line !== undefined) refs.push(c.line);
    const t = await readTable(path, {
      columns: refs,
      delimiter: params.delimiter,
      header: params.header,
    });
    const [lonAll, latAll, valAll] = t.columns;
    const hAll = c.height !== undefined ? t.columns[3] : undefined;
    const lineAll = c.line !== undefined ? t.columns[c.height !== undefined ? 4 : 3] : undefined;
    const keep: number[] = [];
    const [w, s, e, n] = ctx.bbox;
    for (let i = 0; i < t.rows; i++) {
      const lo = lonAll[i], la = latAll[i];
      if (lo >= w && lo <= e && la >= s && la <= n) keep.push(i);
    }
    if (keep.length === 0) {
      throw new SurveyFileError(
        `${path}: none of its ${t.rows} rows lies inside the bbox [${ctx.bbox.join(", ")}]`,
      );
    }
    const pick = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
    return {
      ...base,
      kind: "points",
      units: normalizeUnit(params.units, { modality: ctx.modality }),
      metadata: { ...meta, extra: { file: path, rowsInFile: t.rows } },
      points: {
        lon: pick(lonAll),
        lat: pick(latAll),
        value: pick(valAll),
        ...(hAll ? { height: pick(hAll) } : {}),
        ...(lineAll ? { line: Int32Array.from(keep, (i) => lineAll[i]) } : {}),
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
    grid = await parseGeoTiffGrid(bytes, path);
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
