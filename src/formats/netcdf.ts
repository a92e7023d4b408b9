/**
 * Reader of 2-D grids in netCDF classic files (CDF-1 and 64-bit offset CDF-2) with the npm
 * `netcdfjs` package. Finds the grid variable and its latitude/longitude coordinate variables,
 * returns strictly increasing axes (flipping rows or columns where the file stores them
 * decreasing), row-major `[lat][lon]` values and NaN for `_FillValue`/`missing_value`.
 *
 * @module
 */
import { NetCDFReader } from "netcdfjs";

/**
 * A netCDF file that cannot be read as a lat/lon grid. Names the file and the variable.
 *
 * @example Usage
 * ```ts
 * import { NetcdfError } from "./netcdf.ts";
 * new NetcdfError("a.nc", "no 2-D variable over latitude and longitude");
 * ```
 */
export class NetcdfError extends RangeError {
  /** File name as given. */
  readonly file: string;
  /**
   * @param file File name.
   * @param problem What is wrong.
   */
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = "NetcdfError";
    this.file = file;
  }
}

/** A grid read from netCDF. */
export interface NetcdfGrid {
  /** The variable read. */
  variable: string;
  /** Latitudes, strictly increasing, degrees. */
  lat: Float64Array;
  /** Longitudes, strictly increasing, degrees. */
  lon: Float64Array;
  /** Values row-major `[lat][lon]`, NaN for missing. */
  values: Float64Array;
  /** The variable's `units` attribute, or the global `unit`/`units`, if any. */
  units: string | undefined;
  /** Global attributes. */
  attributes: Record<string, unknown>;
}

const LAT_NAMES = ["latitude", "lat", "y"];
const LON_NAMES = ["longitude", "lon", "x"];

/**
 * Parses a netCDF classic file held in memory.
 *
 * @param bytes The file's bytes.
 * @param file Name quoted in errors.
 * @param options `variable` to read (default: the first 2-D variable over the lat/lon
 *   dimensions).
 * @throws {NetcdfError}
 *
 * @example Usage
 * ```ts
 * import { parseNetcdfGrid } from "./netcdf.ts";
 * import { fetchDataset } from "../datasets/mod.ts";
 * const g = parseNetcdfGrid(await Deno.readFile(await fetchDataset("gravity-earth-0.5deg.nc")), "g.nc");
 * g.lat.length; // 361
 * ```
 */
export function parseNetcdfGrid(
  bytes: Uint8Array,
  file: string,
  options: { variable?: string } = {},
): NetcdfGrid {
  let reader: NetCDFReader;
  try {
    reader = new NetCDFReader(bytes);
  } catch (e) {
    throw new NetcdfError(file, `not a netCDF classic file (${(e as Error).message})`);
  }
  const dims = reader.dimensions as { name: string; size: number }[];
  const vars = reader.variables as {
    name: string;
    dimensions: number[];
    attributes: { name: string; value: unknown }[];
  }[];
  const dimName = (i: number) => dims[i]?.name;
  const latVar = vars.find((v) => v.dimensions.length === 1 && LAT_NAMES.includes(v.name));
  const lonVar = vars.find((v) => v.dimensions.length === 1 && LON_NAMES.includes(v.name));
  if (!latVar || !lonVar) {
    throw new NetcdfError(
      file,
      `no 1-D latitude and longitude coordinate variables (looked for ${LAT_NAMES.join("/")} and ` +
        `${LON_NAMES.join("/")}; found ${vars.map((v) => v.name).join(", ")})`,
    );
  }
  const latDim = latVar.dimensions[0], lonDim = lonVar.dimensions[0];
  const candidates = vars.filter((v) =>
    v.dimensions.length === 2 && v.dimensions[0] === latDim && v.dimensions[1] === lonDim
  );
  const chosen = options.variable !== undefined
    ? vars.find((v) => v.name === options.variable)
    : candidates.find((v) => /grav|anom|field|value|data|z/i.test(v.name)) ?? candidates[0];
  if (!chosen) {
    throw new NetcdfError(
      file,
      options.variable !== undefined
        ? `variable "${options.variable}" not found (found ${vars.map((v) => v.name).join(", ")})`
        : `no 2-D variable over (${dimName(latDim)}, ${dimName(lonDim)})`,
    );
  }
  if (
    chosen.dimensions.length !== 2 || chosen.dimensions[0] !== latDim ||
    chosen.dimensions[1] !== lonDim
  ) {
    throw new NetcdfError(
      file,
      `variable "${chosen.name}" is not laid out (${dimName(latDim)}, ${dimName(lonDim)})`,
    );
  }
  const attr = (v: typeof chosen, name: string) => v.attributes.find((a) => a.name === name)?.value;
  let lat = Float64Array.from(reader.getDataVariable(latVar.name) as number[]);
  let lon = Float64Array.from(reader.getDataVariable(lonVar.name) as number[]);
  const raw = reader.getDataVariable(chosen.name) as number[];
  const fill = [attr(chosen, "_FillValue"), attr(chosen, "missing_value")]
    .filter((x): x is number => typeof x === "number" && !Number.isNaN(x));
  const values = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    values[i] = fill.includes(v) ? NaN : v;
  }
  const ny = lat.length, nx = lon.length;
  if (ny >= 2 && lat[0] > lat[ny - 1]) {
    lat = lat.reverse();
    for (let r = 0; r < ny >> 1; r++) {
      const a = values.slice(r * nx, (r + 1) * nx);
      values.copyWithin(r * nx, (ny - 1 - r) * nx, (ny - r) * nx);
      values.set(a, (ny - 1 - r) * nx);
    }
  }
  if (nx >= 2 && lon[0] > lon[nx - 1]) {
    lon = lon.reverse();
    for (let r = 0; r < ny; r++) values.subarray(r * nx, (r + 1) * nx).reverse();
  }
  const attributes: Record<string, unknown> = {};
  for (const a of reader.globalAttributes as { name: string; value: unknown }[]) {
    attributes[a.name] = a.value;
  }
  const units = (attr(chosen, "units") ?? attributes.units ?? attributes.unit) as
    | string
    | undefined;
  return { variable: chosen.name, lat, lon, values, units, attributes };
}
