/**
 * `gam grid`: grid scattered points from a text table onto a regular lon/lat grid with the
 * gam-core kernels on the worker pool, and write a GeoTIFF or a Zarr v3 group.
 *
 * @module
 */
import { type Command, numberFlag, parseFlags, UsageError } from "../command.ts";
// From the files rather than the folders' mod.ts: contracts/mod.ts loads zod, preprocessing/mod.ts
// every stage, formats/mod.ts zarrita, geotiff.js and netcdfjs. `gam grid` loads only what it
// runs (0.1 s of CPU and 15-40 MB less; see the README's Gridding benchmark).
import { parseBbox } from "../../contracts/bbox.ts";
import {
  DEFAULT_MAX_GRID_NODES,
  GRID_METHODS,
  type GridMethod,
  GridOptionError,
  gridPoints,
  gridShape,
  warmUpGridding,
  WorkerPool,
} from "../../compute/mod.ts";
import { warmUpFootprint } from "../../compute/footprint.ts";
import { nanCount } from "../../preprocessing/statistics.ts";
import { readTable } from "../../formats/table.ts";
import { geoTiffDescription, gridMetadata } from "../../formats/grid_metadata.ts";

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
  maxCells: "GAM_GRID_MAX_CELLS",
};

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
  --registration gridline|pixel
                   gridline (default): nodes at minLon + i * spacing up to maxLon inclusive
                   (10 to 14 at 0.01 is 401 nodes); pixel: nodes at the cell centres
  --method METHOD  block-mean | block-median | nearest | idw | linear | mincurv
  --units U        Units of the values (nT, mGal, ...); default: the --z column name's last
                   word when it is a unit (total_field_anomaly_nt: nT), else "unknown"
  --out PATH       .tif: Float32 GeoTIFF (EPSG:4326, NaN nodata, pixel centres on the nodes),
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
  const { normalizeUnit } = await import("../../units/registry.ts");
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
 * ```ts ignore
 * import { gridCommand } from "./grid.ts";
 * const status = await gridCommand.run(["--help"]);
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
      out: { type: "string" },
    }, { positionalInput: { flag: "input", command: "grid" } });
    if (positionals.length > 0) {
      throw new UsageError(`unexpected argument "${positionals[0]}" (see gam grid --help)`);
    }
    const input = required(values, "input");
    const [x, y, z] = ["x", "y", "z"].map((c) => required(values, c));
    const bbox = parseBbox(required(values, "bbox"), "--bbox");
    const spacing = numberFlag(
      required(values, "spacing"),
      "--spacing",
      (v) => v > 0 || "must be > 0 degrees",
    )!;
    const method = required(values, "method") as GridMethod;
    if (!GRID_METHODS.includes(method)) {
      throw new UsageError(
        `--method must be one of ${GRID_METHODS.join(", ")}, got "${method}"`,
      );
    }
    const out = required(values, "out");
    const format = /\.tiff?$/i.test(out) ? "tif" : /\.zarr\/?$/i.test(out) ? "zarr" : null;
    if (format === null) {
      throw new UsageError(`--out must end in .tif or .zarr, got "${out}"`);
    }
    const registration = (values.registration as string | undefined) ?? "gridline";
    if (registration !== "gridline" && registration !== "pixel") {
      throw new UsageError(`--registration must be gridline or pixel, got "${registration}"`);
    }
    const onlyFor: [string, GridMethod[]][] = [
      ["radius", ["nearest", "idw"]],
      ["k", ["idw"]],
      ["power", ["idw"]],
      ["tension", ["mincurv"]],
    ];
    for (const [flag, methods] of onlyFor) {
      if (values[flag] !== undefined && !methods.includes(method)) {
        throw new UsageError(`--${flag} applies to ${methods.join(" and ")}, not to ${method}`);
      }
    }
    const radius = numberFlag(values.radius, "--radius", (v) => v > 0 || "must be > 0 degrees");
    const k = numberFlag(
      values.k,
      "--k",
      (v) => Number.isInteger(v) && v >= 1 || "must be an integer >= 1",
    );
    const power = numberFlag(values.power, "--power", (v) => v > 0 || "must be > 0");
    const tension = numberFlag(
      values.tension,
      "--tension",
      (v) => (v >= 0 && v < 1) || "must be in [0, 1)",
    );
    const maxDistance = values["max-distance"] === "off" ? Infinity : numberFlag(
      values["max-distance"],
      "--max-distance",
      (v) => v > 0 || 'must be > 0 degrees or "off"',
    );
    const envCells = Deno.env.get("GAM_GRID_MAX_CELLS");
    const maxCells = envCells === undefined ? DEFAULT_MAX_GRID_NODES : numberFlag(
      envCells,
      "GAM_GRID_MAX_CELLS",
      (v) => Number.isInteger(v) && v >= 1 || "must be an integer >= 1",
    )!;

    // The grid's size is known from the flags alone: refused before the table is read.
    try {
      gridShape(bbox, spacing, registration, maxCells);
    } catch (e) {
      if (e instanceof GridOptionError) {
        throw new UsageError(`${FLAG_OF[e.option] ?? e.option}: ${e.message}`, { cause: e });
      }
      throw e;
    }

    // Resolved while the table is read (the registry alone: units/mod.ts would load zod).
    const unitsOf = resolveUnits(values.units as string | undefined, z);
    unitsOf.catch(() => {});
    const t0 = performance.now();
    // Nearest and idw (and the distance mask) run in row bands on the worker pool; the block
    // reductions (tens of milliseconds) and linear and mincurv (one job each) run on this
    // thread, which saves starting workers and copying the points to them.
    const parallel = method === "nearest" || method === "idw" ||
      (maxDistance !== undefined && Number.isFinite(maxDistance));
    await using pool = parallel ? new WorkerPool() : null;
    // Workers start, and the kernels get optimised, while this thread reads the table.
    const warm = Promise.all([warmUpGridding(pool, method), warmUpFootprint()]);
    const table = await readTable(input, { columns: [x, y, z] });
    await warm;
    const units = await unitsOf;
    const [lon, lat, value] = table.columns;
    let result;
    try {
      result = await gridPoints(pool, { lon, lat, value }, {
        bbox,
        spacing,
        method,
        registration,
        radius,
        k,
        power,
        tension,
        maxDistance,
        maxCells,
        blockStatistics: false,
      });
    } catch (e) {
      if (e instanceof GridOptionError) {
        const flag = FLAG_OF[e.option] ?? e.option;
        throw new UsageError(`${flag}: ${e.message}`, { cause: e });
      }
      throw e;
    }
    const { grid } = result;
    for (const w of result.warnings) console.error(`gam grid: warning: ${w}`);
    grid.provenance[0].params.input = input;
    grid.provenance[0].params.columns = { x, y, z };
    grid.provenance[0].durationSeconds = (performance.now() - t0) / 1000;
    grid.provenance[0].at = new Date().toISOString();
    // Writers are imported on demand: zarrita is not loaded (nor kept in memory) for a GeoTIFF.
    grid.units = units;
    const meta = gridMetadata(grid);
    if (format === "tif") {
      const { writeGeoTiff } = await import("../../formats/geotiff.ts");
      await writeGeoTiff(out, grid, { description: geoTiffDescription(meta), units });
    } else {
      const { writeZarrGrid } = await import("../../formats/zarr_grid.ts");
      await writeZarrGrid(out, { ...grid, values: Float32Array.from(grid.values) }, meta);
    }
    const pct = (100 * (1 - nanCount(grid.values) / grid.values.length)).toFixed(1);
    console.error(
      `gam grid: wrote ${out}: ${grid.lat.length} x ${grid.lon.length} nodes (${pct}% with ` +
        `values${
          result.maskedNodes > 0
            ? `, ${result.maskedNodes} masked farther than ${
              result.grid.provenance[0].params.maxDistance
            }° from data`
            : ""
        }) from ${result.pointsInBbox} of ${table.rows} points in the bbox, ${method}, ` +
        `${((performance.now() - t0) / 1000).toFixed(2)} s`,
    );
    return 0;
  },
};
