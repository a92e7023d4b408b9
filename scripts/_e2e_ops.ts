/**
 * The grid operations `bench:e2e` runs on its 4096 x 4096 grid, with their parameters written
 * once: `bench_e2e.ts` turns each into the `gam` command line it times, and `_kernel_time.ts`
 * into the compute call that command makes (the kernel alone), so the two cannot drift.
 *
 * @module
 */
import {
  cellSizeKm,
  fftFilter,
  type FftOperation,
  gaussianFilter,
  medianFilter,
  type WarmFilter,
  warmUpFilter,
  type WorkerPool,
} from "../src/compute/mod.ts";
import type { ProcessedGrid } from "../src/contracts/mod.ts";
import { type QcParams, qcStage, qualityControl } from "../src/preprocessing/mod.ts";

/** Gaussian sigma, cells. */
const SIGMA = 4;
/** Median window, cells. */
const MEDIAN_SIZE = 5;
/** Band-pass wavelengths, cells (Gaussian shape). */
const BAND_CELLS = [10, 100] as const;
/** Upward continuation height, metres. */
const UPWARD_M = 500;
/** Reduction to the pole: field inclination and declination, degrees. */
const RTP = { inclination: 60, declination: 10 } as const;
/** `gam qc`'s parameters, each given as the flag of the same name in kebab case: the defaults. */
const QC_PARAMS: Partial<Pick<QcParams, "supportKm" | "zThreshold" | "minCells">> = {};

/** One operation: its `gam` arguments after the input file, and its compute call. */
export interface E2eOp {
  /** The subcommand: `filter` or `qc`. */
  command: "filter" | "qc";
  /** `gam` arguments after the input path (`--out` excluded), e.g. `["--op", "gaussian", ...]`. */
  args: string[];
  /**
   * Warms the pool's workers up before timing (the filters' 64 x 64 warm-up, as `gam filter`
   * does while it reads its input); undefined: the untimed first call does it.
   */
  warm?: (pool: WorkerPool) => Promise<void>;
  /**
   * The compute call the command makes on `grid`, whose values it may overwrite or give up
   * (each call gets its own copy).
   */
  run: (pool: WorkerPool, grid: ProcessedGrid) => Promise<unknown>;
  /**
   * The command reads its input onto shared memory (`gam filter` does for the spectral
   * operations), so the copy each call gets is shared too.
   */
  shared?: boolean;
}

const warm = (f: WarmFilter) => (pool: WorkerPool) => warmUpFilter(pool, f);
/** The filters' array view of a grid whose values are float64 (`_kernel_time.ts` copies them so). */
const nxy = (g: ProcessedGrid) => ({
  values: g.values as Float64Array,
  nx: g.lon.length,
  ny: g.lat.length,
});

/** An FFT operation: its flags, and its `FftOperation` for cells of `cellKm`. */
function fft(args: string[], operation: (cellKm: number) => FftOperation): E2eOp {
  return {
    command: "filter",
    args,
    warm: warm("fft"),
    shared: true,
    run: (pool, g) => {
      const { dxKm, dyKm } = cellSizeKm(g);
      const op = operation(Math.max(dxKm, dyKm));
      // With the result's statistics blocks, as the spectral stages ask for them.
      return fftFilter(pool, nxy(g), {
        dxKm,
        dyKm,
        operation: op,
        inPlace: true,
        onResultBlocks: () => {},
      });
    },
  };
}

/**
 * The operations by name, for a grid whose cells are `cellKm` on their larger side (the
 * band-pass's command line gives its wavelengths in km).
 *
 * @example Usage
 * ```ts ignore
 * import { e2eOps } from "./_e2e_ops.ts";
 * const { args } = e2eOps(0.111).gaussian; // ["--op", "gaussian", "--sigma", "4"]
 * ```
 */
export function e2eOps(cellKm: number): Record<string, E2eOp> {
  const [low, high] = BAND_CELLS;
  const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return {
    gaussian: {
      command: "filter",
      args: ["--op", "gaussian", "--sigma", String(SIGMA)],
      warm: warm("gaussian"),
      run: (pool, g) =>
        // Measured: the noise stage's kernels take the statistics blocks in the same pass.
        gaussianFilter(pool, nxy(g), {
          sigmaX: SIGMA,
          sigmaY: SIGMA,
          inPlace: true,
          measure: true,
        }),
    },
    median: {
      command: "filter",
      args: ["--op", "median", "--size", String(MEDIAN_SIZE)],
      warm: warm("median"),
      run: (pool, g) =>
        medianFilter(pool, nxy(g), { size: MEDIAN_SIZE, inPlace: true, measure: true }),
    },
    bandpass: fft(
      [
        ...["--op", "bandpass", "--low-km", String(low * cellKm)],
        ...["--high-km", String(high * cellKm), "--shape", "gaussian"],
      ],
      (km) => ({ op: "bandpass", lowKm: low * km, highKm: high * km, shape: "gaussian" }),
    ),
    upward: fft(
      ["--op", "upward", "--height-m", String(UPWARD_M)],
      () => ({ op: "upward", heightM: UPWARD_M }),
    ),
    "vertical-derivative": fft(
      ["--op", "vertical-derivative"],
      () => ({ op: "derivative", direction: "vertical" }),
    ),
    tilt: fft(["--op", "tilt"], () => ({ op: "tilt" })),
    rtp: fft(
      [
        ...["--op", "rtp", "--inclination", String(RTP.inclination)],
        ...["--declination", String(RTP.declination)],
      ],
      () => ({ op: "rtp", ...RTP }),
    ),
    qc: {
      command: "qc",
      args: [
        ...Object.entries(QC_PARAMS).flatMap(([k, v]) => [`--${kebab(k)}`, String(v)]),
        "--json",
      ],
      // As `gam qc` runs it: the values given up to the anomaly search.
      run: (pool, g) =>
        qualityControl(pool, g, qcStage.paramsSchema.parse(QC_PARAMS), { consumeValues: true }),
    },
  };
}
