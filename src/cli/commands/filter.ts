/**
 * `gam filter`: runs one filter or potential-field transform on a grid file and writes the
 * result with its provenance.
 *
 * The command parses flags and prints; the work is a one-stage pipeline built from the
 * preprocessing stage registry (`noise`, `bandpass`, `upward`, `derivative`, `tilt`, `rtp`,
 * `outlier`) and run by the pipeline runner, as `gam run` runs it: the stage validates its
 * parameters (this file maps the stage's messages back to flags), the runner checkpoints the
 * output and records the stage in the grid's provenance.
 *
 * @module
 */
import type { z } from "zod";
import { type Command, EXIT_OK, numberFlag, parseFlags, UsageError } from "../command.ts";
import { MAX_WORKERS, type WarmFilter, warmUpFilter, WorkerPool } from "../../compute/mod.ts";
import { gridInput } from "../grid_input.ts";
import { readGrid, writeGrid } from "../../formats/mod.ts";
import { createLogger } from "../../observability/mod.ts";
import {
  buildPipeline,
  defaultStageRegistry,
  isProcessedGrid,
  type ParamValue,
  PipelineDefinitionError,
  runPipeline,
} from "../../preprocessing/mod.ts";

/** A `gam filter --op`: the stage it runs, its fixed parameters and its flags. */
interface FilterOp {
  /** Stage id in the registry. */
  stage: string;
  /** Parameters the operation fixes (e.g. `method: "gaussian"` of `noise`). */
  fixed: Record<string, ParamValue>;
  /** Flag -> stage parameter, with the flag's value type. */
  flags: Record<string, { param: string; type: "number" | "string" }>;
  /** Flags the command line must give (the stage could take another parameter instead). */
  required: string[];
  /** The kernel the workers warm up while the input is read (none: nothing worth it). */
  warm?: WarmFilter;
}

const num = (param: string) => ({ param, type: "number" as const });
const str = (param: string) => ({ param, type: "string" as const });

/** The operations of `gam filter --op`, each one stage of the registry. */
const OPS = {
  gaussian: {
    stage: "noise",
    fixed: { method: "gaussian" },
    flags: { sigma: num("sigma") },
    required: ["sigma"],
    warm: "gaussian",
  },
  median: {
    stage: "noise",
    fixed: { method: "median" },
    flags: { size: num("size") },
    required: ["size"],
    warm: "median",
  },
  bandpass: {
    stage: "bandpass",
    fixed: {},
    flags: {
      "low-km": num("lowKm"),
      "high-km": num("highKm"),
      shape: str("shape"),
      order: num("order"),
    },
    required: ["low-km", "high-km"],
    warm: "fft",
  },
  upward: {
    stage: "upward",
    fixed: {},
    flags: { "height-m": num("heightM") },
    required: ["height-m"],
    warm: "fft",
  },
  "vertical-derivative": {
    stage: "derivative",
    fixed: { direction: "vertical" },
    flags: {},
    required: [],
    warm: "fft",
  },
  tilt: { stage: "tilt", fixed: {}, flags: {}, required: [], warm: "fft" },
  "total-gradient": {
    stage: "derivative",
    fixed: { direction: "total-gradient" },
    flags: {},
    required: [],
    warm: "fft",
  },
  rtp: {
    stage: "rtp",
    fixed: {},
    flags: { inclination: num("inclination"), declination: num("declination") },
    required: ["inclination", "declination"],
    warm: "fft",
  },
  outliers: {
    stage: "outlier",
    fixed: { action: "nan" },
    flags: { method: str("method"), threshold: num("threshold") },
    required: [],
  },
} satisfies Record<string, FilterOp>;

/** The operations of `gam filter --op`. */
export const FILTER_OPS = Object.keys(OPS) as (keyof typeof OPS)[];

/** An operation of `gam filter --op`. */
export type FilterOpName = keyof typeof OPS;

const HELP = `Usage: gam filter [--input] GRID --op OP [op options] --out PATH

Reads a grid (.tif GeoTIFF, .zarr as written by gam grid, .nc netCDF classic), runs one
preprocessing stage on the worker pool (as a pipeline of gam run would) and writes .tif
(Float32 GeoTIFF) or .zarr with the stage in its provenance.

Operations, their stage and options:
  --op gaussian --sigma CELLS             noise: NaN-aware Gaussian smoothing (sigma in cells)
  --op median --size N                    noise: NaN-aware median over an N x N footprint
                                          (N odd)
  --op bandpass --low-km L --high-km H [--shape gaussian|butterworth|cosine] [--order N]
                                          bandpass: FFT bandpass keeping wavelengths L..H km
                                          (shape default gaussian; order, butterworth only,
                                          default 2)
  --op upward --height-m H                upward: upward continuation by H metres
  --op vertical-derivative                derivative: first vertical derivative (units per km)
  --op tilt                               tilt: tilt angle (radians)
  --op total-gradient                     derivative: total gradient amplitude (units per km)
  --op rtp --inclination DEG --declination DEG
                                          rtp: reduction to the pole; below 45 degrees of
                                          inclination stabilised (full RTP above 8 cells of
                                          wavelength, phase only below; see the README)
  --op outliers [--method zscore|iqr|mad|hampel] [--threshold T]
                                          outlier: cells flagged as outliers become NaN
                                          (method default mad, threshold per method; hampel
                                          along rows)

Options:
  --input GRID     Input grid file (or the one positional argument); an s3:// URI
                   (s3://bucket/key.tif[?versionId=...], .nc, or a .zarr prefix) is read
                   from the bucket of the configuration's storage: section
  --config FILE    Configuration (only for s3:// inputs: endpoint and credentials)
  --profile NAME   Configuration profile
  --out PATH       Output file, .tif or .zarr
  --workers N      Worker pool size, 1 to 32 (default: number of cores, at most 32)
  -h, --help       Show this help

Exit status: 0 success, 1 runtime failure, 2 usage error.`;

const s = { type: "string" } as const;

/** Every operation's flags, for the parser. */
const OP_FLAG_SPEC = Object.fromEntries(
  Object.values(OPS).flatMap((o: FilterOp) => Object.keys(o.flags)).map((f) => [f, s]),
);

/**
 * `gam filter`.
 *
 * @example Usage
 * ```ts
 * import { filterCommand } from "./filter.ts";
 * import { writeRunGrids } from "../../job/mod.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-cli-" });
 * try {
 *   const n = 16, values = Float64Array.from({ length: n * n }, (_, i) => Math.sin(i / 7));
 *   const axis = Float64Array.from({ length: n }, (_, i) => i * 0.01);
 *   const [{ tifPath }] = await writeRunGrids(dir, "gravity", [{ branch: "main", grid: {
 *     lon: axis, lat: axis, values, resolution: { lon: 0.01, lat: 0.01 }, units: "mGal",
 *     crs: "EPSG:4326", registration: "gridline", bbox: [0, 0, 0.15, 0.15], provenance: [],
 *   } }]);
 *   const status = await filterCommand.run([
 *     "--input", tifPath, "--op", "gaussian", "--sigma", "2", "--out", `${dir}/s.tif`,
 *     "--workers", "1",
 *   ]);
 *   if (status !== 0) throw new Error(`gam filter exited with ${status}`);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
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
      ...OP_FLAG_SPEC,
      config: s,
      profile: s,
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
    const opName = requireString(v.op, "--op") as FilterOpName;
    if (!FILTER_OPS.includes(opName)) {
      throw new UsageError(`--op must be one of ${FILTER_OPS.join(", ")}, got "${opName}"`);
    }
    const op: FilterOp = OPS[opName];
    for (const flag of Object.keys(OP_FLAG_SPEC)) {
      if (v[flag] !== undefined && !(flag in op.flags)) {
        throw new UsageError(`--${flag} does not apply to --op ${opName}`);
      }
    }
    for (const flag of op.required) {
      if (v[flag] === undefined) throw new UsageError(`--op ${opName} needs --${flag}`);
    }
    const workers = numberFlag(
      v.workers,
      "--workers",
      (n) =>
        (Number.isInteger(n) && n >= 1 && n <= MAX_WORKERS) ||
        `must be an integer from 1 to ${MAX_WORKERS} (MAX_WORKERS)`,
    );
    const plan = onePlan(opName, op, v);
    // The workers start and warm their kernel up while the main thread reads the file (a
    // kernel's first call in a fresh worker would run V8's baseline code to its end).
    await using pool = new WorkerPool({ size: workers });
    const warm = op.warm ? warmUpFilter(pool, op.warm) : undefined;
    await using local = await gridInput(input, v);
    // An FFT transform's input on shared memory: the runner hashes and measures it while the
    // worker transforms it (see fftFilter's onPosted).
    const grid = await readGrid(local.path, { pool, shared: op.warm === "fft" });
    await warm;
    // The command never reads the input's values again: a stage may write over them.
    const result = await runPipeline(plan, grid, {
      pool,
      consumeInput: true,
      logger: createLogger({ level: "warn", component: "filter" }),
      // The grid's own extent: a filter keeps the axes, the checkpoint holds it to them.
      request: {
        modality: grid.modality ?? "grid",
        bbox: grid.bbox ?? [grid.lon[0], grid.lat[0], grid.lon.at(-1)!, grid.lat.at(-1)!],
      },
    });
    if (result.failures.length > 0) throw result.failures[0].error;
    const output = result.outputs[0].data;
    if (!isProcessedGrid(output)) throw new TypeError(`stage "${op.stage}" returned no grid`);
    await writeGrid(out, output);
    console.error(
      `gam filter: ${opName} on ${grid.lat.length} x ${grid.lon.length} cells -> ${out}`,
    );
    return EXIT_OK;
  },
};

function requireString(value: unknown, flag: string): string {
  if (typeof value !== "string" || value === "") throw new UsageError(`${flag} is required`);
  return value;
}

/**
 * The one-stage plan of an operation: its flags as the stage's parameters, validated by the
 * stage's schema; an invalid parameter is a usage error naming its flag.
 */
function onePlan(opName: string, op: FilterOp, v: Record<string, unknown>) {
  const params: Record<string, ParamValue> = { ...op.fixed };
  for (const [flag, { param, type }] of Object.entries(op.flags)) {
    if (v[flag] === undefined) continue;
    params[param] = type === "number" ? numberFlag(v[flag], `--${flag}`)! : String(v[flag]);
  }
  try {
    return buildPipeline(
      { steps: [{ stage: op.stage, params, column: 0 }], branches: [] },
      defaultStageRegistry(),
    );
  } catch (e) {
    if (!(e instanceof PipelineDefinitionError) || !isZodError(e.cause)) throw e;
    throw new UsageError(flagMessage(opName, op, v, e.cause.issues[0]), { cause: e });
  }
}

function isZodError(e: unknown): e is z.ZodError {
  return e instanceof Error && Array.isArray((e as z.ZodError).issues);
}

/** A stage's parameter issue in the command line's terms: its flag, the value as given. */
function flagMessage(
  opName: string,
  op: FilterOp,
  v: Record<string, unknown>,
  issue: z.core.$ZodIssue,
): string {
  const flagOf = new Map(Object.entries(op.flags).map(([flag, { param }]) => [param, flag]));
  const param = String(issue.path[0] ?? "");
  const flag = flagOf.get(param);
  // Parameter names in the stage's message become flags (highKm > lowKm: --low-km).
  let message = issue.code === "invalid_value"
    ? `must be one of ${issue.values.join(", ")}`
    : issue.message;
  for (const [p, f] of flagOf) message = message.replace(new RegExp(`\\b${p}\\b`, "g"), `--${f}`);
  if (flag === undefined) return `--op ${opName}: ${param ? `${param}: ` : ""}${message}`;
  const given = v[flag];
  const shown = op.flags[flag].type === "number" ? String(given) : `"${given}"`;
  return `--${flag} ${message}, got ${shown}`;
}
