/**
 * `gam filter`: runs one filter or potential-field transform on a grid file and writes the
 * result with its provenance.
 *
 * @module
 */
import { type Command, EXIT_OK, numberFlag, parseFlags, UsageError } from "../command.ts";
import { gridChecksum, type ProcessedGrid } from "../../contracts/mod.ts";
import {
  BANDPASS_SHAPES,
  cellSizeKm,
  fftFilter,
  type FftOperation,
  gaussianFilter,
  medianFilter,
  OUTLIER_METHODS,
  outlierMask,
  type OutlierMethod,
} from "../../compute/filters.ts";
import { MAX_WORKERS, WorkerPool } from "../../compute/mod.ts";
import { type WarmFilter, warmUpFilter } from "../../compute/filter_warmup.ts";
import { readGrid, writeGrid } from "../../formats/mod.ts";

/** The operations of `gam filter --op`. */
export const FILTER_OPS = [
  "gaussian",
  "median",
  "bandpass",
  "upward",
  "vertical-derivative",
  "tilt",
  "total-gradient",
  "rtp",
  "outliers",
] as const;

/** Version recorded in the provenance of `gam filter` outputs. */
export const FILTER_COMMAND_VERSION = "1.0.0";

const HELP = `Usage: gam filter [--input] GRID --op OP [op options] --out PATH

Reads a grid (.tif GeoTIFF, .zarr as written by gam grid, .nc netCDF classic), runs one
operation on the worker pool and writes .tif (Float32 GeoTIFF) or .zarr with provenance.

Operations and their options:
  --op gaussian --sigma CELLS             NaN-aware Gaussian smoothing (sigma in cells)
  --op median --size N                    NaN-aware median over an N x N footprint (N odd)
  --op bandpass --low-km L --high-km H --shape gaussian|butterworth|cosine [--order N]
                                          FFT bandpass keeping wavelengths L..H km
  --op upward --height-m H                upward continuation by H metres
  --op vertical-derivative                first vertical derivative (units per km)
  --op tilt                               tilt angle (radians)
  --op total-gradient                     total gradient amplitude (units per km)
  --op rtp --inclination DEG --declination DEG
                                          reduction to the pole; below 45 degrees of
                                          inclination stabilised (full RTP above 8 cells of
                                          wavelength, phase only below; see the README)
  --op outliers --method zscore|iqr|mad --threshold T
                                          cells flagged as outliers become NaN

Options:
  --input GRID     Input grid file (or the one positional argument)
  --out PATH       Output file, .tif or .zarr
  --workers N      Worker pool size, 1 to 32 (default: number of cores, at most 32)
  -h, --help       Show this help

Exit status: 0 success, 1 runtime failure, 2 usage error.`;

/** The flags each operation accepts (beyond --input, --out, --op, --workers). */
const OP_FLAGS: Record<typeof FILTER_OPS[number], string[]> = {
  gaussian: ["sigma"],
  median: ["size"],
  bandpass: ["low-km", "high-km", "shape", "order"],
  upward: ["height-m"],
  "vertical-derivative": [],
  tilt: [],
  "total-gradient": [],
  rtp: ["inclination", "declination"],
  outliers: ["method", "threshold"],
};

const s = { type: "string" } as const;

/**
 * `gam filter`.
 *
 * @example Usage
 * ```ts ignore
 * import { filterCommand } from "./filter.ts";
 * await filterCommand.run(["--input", "g.tif", "--op", "gaussian", "--sigma", "2", "--out", "s.tif"]);
 * ```
 */
export const filterCommand: Command = {
  name: "filter",
  help: HELP,
  async run(args) {
    const { values: v, positionals, help } = parseFlags(args, {
      input: s,
      out: s,
      op: s,
      workers: s,
      sigma: s,
      size: s,
      "low-km": s,
      "high-km": s,
      shape: s,
      order: s,
      "height-m": s,
      inclination: s,
      declination: s,
      method: s,
      threshold: s,
    }, { positionalInput: { flag: "input", command: "filter" } });
    if (help) {
      console.log(HELP);
      return EXIT_OK;
    }
    if (positionals.length > 0) {
      throw new UsageError(`unexpected argument "${positionals[0]}" (see gam filter --help)`);
    }
    const input = requireString(v.input, "--input");
    const out = requireString(v.out, "--out");
    if (!/\.(tif|tiff|zarr)\/?$/i.test(out)) {
      throw new UsageError(`--out must end in .tif or .zarr, got "${out}"`);
    }
    const op = requireString(v.op, "--op") as typeof FILTER_OPS[number];
    if (!FILTER_OPS.includes(op)) {
      throw new UsageError(`--op must be one of ${FILTER_OPS.join(", ")}, got "${op}"`);
    }
    for (const flag of Object.values(OP_FLAGS).flat()) {
      if (v[flag] !== undefined && !OP_FLAGS[op].includes(flag)) {
        throw new UsageError(`--${flag} does not apply to --op ${op}`);
      }
    }
    const workers = numberFlag(
      v.workers,
      "--workers",
      (n) =>
        (Number.isInteger(n) && n >= 1 && n <= MAX_WORKERS) ||
        `must be an integer from 1 to ${MAX_WORKERS} (MAX_WORKERS)`,
    );
    const plan = planOp(op, v);
    // The workers start and warm their kernel up while the main thread reads the file.
    await using pool = new WorkerPool({ size: workers });
    const warm = plan.warm ? warmUpFilter(pool, plan.warm) : undefined;
    const grid = await readGrid(input);
    await warm;
    const started = performance.now();
    let inputChecksum: string | undefined;
    const hashInput = () => {
      inputChecksum ??= gridChecksum(grid);
    };
    // The input is hashed while the workers compute: the banded filters call `hashInput` once
    // their first bands are posted, before they write the result over the input (in place);
    // for the others it runs in the first macrotask after the job is posted.
    const running = plan.run(pool, grid, hashInput);
    if (!inputChecksum) await new Promise<void>((resolve) => setTimeout(resolve, 0));
    hashInput();
    const values = await running;
    const result: ProcessedGrid = {
      ...grid,
      values,
      units: plan.units?.(grid.units) ?? grid.units,
      provenance: [...grid.provenance, {
        step: `gam filter ${op}`,
        version: FILTER_COMMAND_VERSION,
        params: plan.params,
        inputChecksum: inputChecksum!,
        outputChecksum: "",
        durationSeconds: (performance.now() - started) / 1000,
        at: new Date().toISOString(),
      }],
    };
    result.provenance[result.provenance.length - 1].outputChecksum = gridChecksum(result);
    await writeGrid(out, result);
    console.error(
      `gam filter: ${op} on ${grid.lat.length} x ${grid.lon.length} cells -> ${out}`,
    );
    return EXIT_OK;
  },
};

function requireString(value: unknown, flag: string): string {
  if (typeof value !== "string" || value === "") throw new UsageError(`${flag} is required`);
  return value;
}

interface OpPlan {
  params: Record<string, unknown>;
  /** The kernel to warm up on the workers while the input is read. */
  warm?: WarmFilter;
  units?: (u: string) => string;
  /**
   * Runs the operation; `onPosted` is called once the input has been read for the kernels
   * (the banded filters write their result over the input's values, in place, after it).
   */
  run(
    pool: WorkerPool,
    grid: ProcessedGrid,
    onPosted: () => void,
  ): Promise<Float64Array<ArrayBuffer>>;
}

function planOp(
  op: typeof FILTER_OPS[number],
  v: Record<string, unknown>,
): OpPlan {
  const positive = (x: number) => x > 0 || "must be > 0";
  const required = (flag: string, check?: (x: number) => true | string): number => {
    const n = numberFlag(v[flag], `--${flag}`, check);
    if (n === undefined) throw new UsageError(`--op ${op} needs --${flag}`);
    return n;
  };
  const arr = (g: ProcessedGrid) => ({
    values: g.values instanceof Float64Array ? g.values : Float64Array.from(g.values),
    nx: g.lon.length,
    ny: g.lat.length,
  });
  const fft = (
    operation: FftOperation,
    params: Record<string, unknown>,
    units?: (u: string) => string,
  ): OpPlan => ({
    params,
    units,
    warm: "fft",
    // The input is hashed first: its buffer then goes to the worker (in place, no copy).
    run: (pool, g, onPosted) => {
      onPosted();
      return fftFilter(pool, arr(g), { ...cellSizeKm(g), operation, inPlace: true });
    },
  });
  switch (op) {
    case "gaussian": {
      const sigma = required("sigma", positive);
      return {
        params: { sigma },
        warm: "gaussian",
        run: (pool, g, onPosted) =>
          gaussianFilter(pool, arr(g), { sigmaX: sigma, sigmaY: sigma, inPlace: true, onPosted }),
      };
    }
    case "median": {
      const size = required(
        "size",
        (n) => (Number.isInteger(n) && n >= 1 && n % 2 === 1) || "must be an odd integer >= 1",
      );
      return {
        params: { size },
        warm: "median",
        run: (pool, g, onPosted) => medianFilter(pool, arr(g), { size, inPlace: true, onPosted }),
      };
    }
    case "bandpass": {
      const lowKm = required("low-km", (x) => x >= 0 || "must be >= 0");
      const highKm = required(
        "high-km",
        (x) => x > lowKm || `must be larger than --low-km (${lowKm})`,
      );
      const shape = requireString(v.shape, "--shape") as typeof BANDPASS_SHAPES[number];
      if (!BANDPASS_SHAPES.includes(shape)) {
        throw new UsageError(
          `--shape must be one of ${BANDPASS_SHAPES.join(", ")}, got "${shape}"`,
        );
      }
      const order = numberFlag(
        v.order,
        "--order",
        (n) =>
          (Number.isInteger(n) && n >= 1 && n <= MAX_WORKERS) ||
          `must be an integer from 1 to ${MAX_WORKERS} (MAX_WORKERS)`,
      );
      if (order !== undefined && shape !== "butterworth") {
        throw new UsageError(`--order applies to --shape butterworth, not ${shape}`);
      }
      return fft(
        { op: "bandpass", lowKm, highKm, shape, order },
        { lowKm, highKm, shape, ...(order ? { order } : {}) },
      );
    }
    case "upward": {
      const heightM = required("height-m", positive);
      return fft({ op: "upward", heightM }, { heightM });
    }
    case "vertical-derivative":
      return fft({ op: "derivative", direction: "vertical" }, {}, (u) => `${u}/km`);
    case "total-gradient":
      return fft({ op: "total-gradient" }, {}, (u) => `${u}/km`);
    case "tilt":
      return fft({ op: "tilt" }, {}, () => "rad");
    case "rtp": {
      const inclination = required(
        "inclination",
        (x) => Math.abs(x) <= 90 || "must be in [-90, 90]",
      );
      const declination = required(
        "declination",
        (x) => (x >= -180 && x <= 360) || "must be in [-180, 360]",
      );
      return fft({ op: "rtp", inclination, declination }, { inclination, declination });
    }
    case "outliers": {
      const method = requireString(v.method, "--method") as OutlierMethod;
      if (!OUTLIER_METHODS.includes(method)) {
        throw new UsageError(
          `--method must be one of ${OUTLIER_METHODS.join(", ")}, got "${method}"`,
        );
      }
      const threshold = required("threshold", (x) => x >= 0 || "must be >= 0");
      return {
        params: { method, threshold },
        async run(pool, g) {
          const values = arr(g).values;
          const mask = await outlierMask(pool, values, { method, threshold });
          const out = Float64Array.from(values);
          for (let i = 0; i < out.length; i++) if (mask[i]) out[i] = NaN;
          return out;
        },
      };
    }
  }
}
