/**
 * `gam grid`: grid scattered points from a text table onto a regular lon/lat grid with the
 * gam-core kernels on the worker pool, and write a GeoTIFF or a Zarr v3 group.
 *
 * @module
 */
import { type Command, numberFlag, parseFlags, UsageError } from "../command.ts";
// Folders' public surfaces only, each light: contracts/mod.ts, units/mod.ts and formats/mod.ts
// load no zod, zarrita, geotiff.js or netcdfjs (their heavier sub-surfaces do; see the README's
// Architecture).
import { parseBbox } from "../../contracts/mod.ts";
import {
  checkGridOptions,
  type GridMethod,
  GridOptionError,
  gridPoints,
  type GridPointsOptions,
  warmUpGridding,
} from "../../compute/gridding.ts";
import { nanCount, warmUpFootprint, WorkerPool } from "../../compute/mod.ts";
import { gridFormatOf, readTable, writeGrid } from "../../formats/mod.ts";

/** Flag of each gridding option, for messages. */
const FLAG_OF: Record<string, string> = {
  spacing: "--spacing",
  radius: "--radius",
  k: "--k",
  power: "--power",
  tension: "--tension",
  maxDistance: "--max-distance",
  registration: "--registration",
  method: "--method",
  bbox: "--bbox",
  crs: "--crs",
  maxCells: "GAM_GRID_MAX_CELLS",
};

/**
 * Runs `fn`; a gridding option error becomes a usage error naming the flag (exit 2):
 * "spacing must be ..." reads "--spacing must be ...".
 */
function asUsage<T>(fn: () => T): T {
  const flagged = (e: unknown) => {
    if (!(e instanceof GridOptionError)) return e;
    const flag = FLAG_OF[e.option] ?? e.option;
    const message = e.message.startsWith(`${e.option} `)
      ? `${flag}${e.message.slice(e.option.length)}`
      : `${flag}: ${e.message}`;
    return new UsageError(message, { cause: e });
  };
  try {
    const r = fn();
    return (r instanceof Promise ? r.catch((e) => Promise.reject(flagged(e))) : r) as T;
  } catch (e) {
    throw flagged(e);
  }
}

const HELP =
  `Usage: gam grid [--input] FILE --x COL --y COL --z COL --bbox minLon,minLat,maxLon,maxLat
                --spacing DEG --method METHOD --out PATH [method options]

Grids scattered points (lon, lat, value) onto a regular lon/lat grid, in parallel on the
WebAssembly worker pool, like gdal_grid and GMT's blockmean/nearneighbor/surface.

Input:
  --input FILE     CSV, TSV or whitespace-separated text, optionally gzip-compressed (or the
                   one positional argument)
  --x COL          Longitude column: header name or 1-based index
  --y COL          Latitude column: header name or 1-based index
  --z COL          Value column: header name or 1-based index

Grid:
  --bbox BOX       minLon,minLat,maxLon,maxLat in degrees
  --spacing DEG    Node spacing in degrees (> 0)
  --crs EPSG:CODE  Grid in this projected CRS instead of EPSG:4326 (EPSG:326zz/327zz UTM,
                   EPSG:283zz MGA, EPSG:27700, EPSG:2193, EPSG:3857): nodes on an
                   easting/northing lattice in metres over the projected bbox (snapped
                   outwards to multiples of the spacing); --spacing, --radius and
                   --max-distance are then metres, and the GeoTIFF is written in that CRS.
                   --x/--y stay longitude/latitude.
  --registration gridline|pixel
                   gridline (default): nodes at minLon + i * spacing up to maxLon inclusive
                   (10 to 14 at 0.01 is 401 nodes); pixel: nodes at the cell centres
  --method METHOD  block-mean | block-median | nearest | idw | linear | mincurv
  --units U        Units of the values (nT, mGal, ...); default: the --z column name's last
                   word when it is a unit (total_field_anomaly_nt: nT), else "unknown"
  --out PATH       .tif: Float32 GeoTIFF (EPSG:4326 or --crs, NaN nodata, pixel centres on the nodes),
                   band 1 the values, band 2 the distance to the nearest point (km); units
                   and registration in its GDAL metadata
                   .zarr: Zarr v3 group with lat, lon, values, data_distance (km) and the
                   units, registration and provenance as attributes

Method options:
  --radius DEG        Search radius (nearest, idw; default unlimited)
  --k N               Neighbours for idw (default 12)
  --power P           Inverse distance power for idw (default 2)
  --tension T         Tension of mincurv, in [0, 1) (default 0.25)
  --max-distance DEG  Any method: NaN where the nearest point is farther than DEG degrees;
                      "off" for no mask. Default: 3 node spacings for mincurv and linear
                      (which would otherwise extrapolate), no mask for the other methods

Distances use a local metric in degrees of latitude, with longitude differences scaled by the
cosine of the node's latitude. Grids above GAM_GRID_MAX_CELLS nodes (default 50,000,000) are
refused before anything is read. linear needs 3 points not all on one line; mincurv warns when
its data lie in fewer than 4 grid cells; a grid with no value at any node is not written.
Exit status: 0 ok, 1 runtime failure (bad file, no points in the bbox, too few points, an
empty grid), 2 usage error.`;

/**
 * The grid's units: `--units` (any spelling the unit registry knows, or else as written), or
 * inferred from the value column's name when its last `_`-separated word is a known unit
 * (`total_field_anomaly_nt` is nT), or `"unknown"`.
 */
async function resolveUnits(flag: string | undefined, column: string): Promise<string> {
  const { normalizeUnit } = await import("../../units/mod.ts");
  if (flag !== undefined) {
    if (flag.trim() === "") throw new UsageError(`--units must not be empty`);
    try {
      return normalizeUnit(flag);
    } catch {
      return flag.trim();
    }
  }
  const word = /[^_\s]+$/.exec(column)?.[0];
  if (word !== undefined && !/^\d+$/.test(word)) {
    try {
      return normalizeUnit(word);
    } catch {
      // not a unit
    }
  }
  return "unknown";
}

function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== "string" || v.trim() === "") {
    throw new UsageError(`--${name} is required (see gam grid --help)`);
  }
  return v;
}

/**
 * `gam grid`.
 *
 * @example Usage
 * ```ts
 * import { gridCommand } from "./grid.ts";
 * console.log(gridCommand.help); // what `gam grid --help` prints
 * ```
 */
export const gridCommand: Command = {
  name: "grid",
  help: HELP,
  async run(args) {
    const { values, positionals } = parseFlags(args, {
      input: { type: "string" },
      x: { type: "string" },
      y: { type: "string" },
      z: { type: "string" },
      bbox: { type: "string" },
      spacing: { type: "string" },
      method: { type: "string" },
      radius: { type: "string" },
      k: { type: "string" },
      power: { type: "string" },
      tension: { type: "string" },
      "max-distance": { type: "string" },
      registration: { type: "string" },
      units: { type: "string" },
      crs: { type: "string" },
      out: { type: "string" },
    }, { positionalInput: { flag: "input", command: "grid" } });
    if (positionals.length > 0) {
      throw new UsageError(`unexpected argument "${positionals[0]}" (see gam grid --help)`);
    }
    const input = required(values, "input");
    const [x, y, z] = ["x", "y", "z"].map((c) => required(values, c));
    const out = required(values, "out");
    const format = gridFormatOf(out);
    if (format !== "geotiff" && format !== "zarr") {
      throw new UsageError(`--out must end in .tif or .zarr, got "${out}"`);
    }
    // Flags parsed, not judged: the gridding module checks every option, once.
    const method = required(values, "method") as GridMethod;
    const number = (flag: string) => numberFlag(values[flag], `--${flag}`);
    const envCells = Deno.env.get("GAM_GRID_MAX_CELLS");
    const options: GridPointsOptions = {
      bbox: parseBbox(required(values, "bbox"), "--bbox"),
      spacing: numberFlag(required(values, "spacing"), "--spacing")!,
      method,
      registration: values.registration as GridPointsOptions["registration"],
      radius: number("radius"),
      k: number("k"),
      power: number("power"),
      tension: number("tension"),
      maxDistance: values["max-distance"] === "off" ? Infinity : number("max-distance"),
      maxCells: envCells === undefined ? undefined : numberFlag(envCells, "GAM_GRID_MAX_CELLS"),
      blockStatistics: false,
      ...(values.crs !== undefined ? { crs: values.crs as string } : {}),
    };
    // Every option, and the grid's size, checked before the table is read.
    asUsage(() => checkGridOptions(options));

    // Resolved while the table is read.
    const unitsOf = resolveUnits(values.units as string | undefined, z);
    unitsOf.catch(() => {});
    const t0 = performance.now();
    // Nearest and idw (and the distance mask) run in row bands on the worker pool; the block
    // reductions (tens of milliseconds) and linear and mincurv (one job each) run on this
    // thread, which saves starting workers and copying the points to them.
    const parallel = method === "nearest" || method === "idw" ||
      (options.maxDistance !== undefined && Number.isFinite(options.maxDistance));
    await using pool = parallel ? new WorkerPool() : null;
    // Workers start, and the kernels get optimised, while this thread reads the table.
    const warm = Promise.all([warmUpGridding(pool, method), warmUpFootprint()]);
    const table = await readTable(input, { columns: [x, y, z] });
    await warm;
    const units = await unitsOf;
    const [lon, lat, value] = table.columns;
    const result = await asUsage(() => gridPoints(pool, { lon, lat, value }, options));
    const { grid } = result;
    for (const w of result.warnings) console.error(`gam grid: warning: ${w}`);
    grid.provenance[0].params.input = input;
    grid.provenance[0].params.columns = { x, y, z };
    grid.provenance[0].durationSeconds = (performance.now() - t0) / 1000;
    grid.provenance[0].at = new Date().toISOString();
    grid.units = units;
    // The grid writer, as gam run's outputs (a Float32 Zarr array, as the GeoTIFF's band).
    await writeGrid(
      out,
      format === "zarr" ? { ...grid, values: Float32Array.from(grid.values) } : grid,
    );
    const pct = (100 * (1 - nanCount(grid.values) / grid.values.length)).toFixed(1);
    console.error(
      `gam grid: wrote ${out}: ${grid.lat.length} x ${grid.lon.length} nodes (${pct}% with ` +
        `values${
          result.maskedNodes > 0
            ? `, ${result.maskedNodes} masked farther than ${
              result.grid.provenance[0].params.maxDistance
            }${grid.crs === "EPSG:4326" ? "°" : " m"} from data`
            : ""
        }) from ${result.pointsInBbox} of ${table.rows} points in the bbox, ${method}, ` +
        `${((performance.now() - t0) / 1000).toFixed(2)} s`,
    );
    return 0;
  },
};
