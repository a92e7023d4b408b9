/**
 * `deno task bench:filters`: wall times of the grid filters through the worker pool, and the
 * ratio to scipy/numpy on the same arrays when `/usr/bin/python3` has them.
 *
 * Cases (float64, a smooth field plus seeded noise):
 * 1. Gaussian, sigma 4 cells, 4096 x 4096 (scipy `ndimage.gaussian_filter(a, 4)`).
 * 2. Median 5 x 5, 2048 x 2048 (scipy `ndimage.median_filter(a, size=5)`).
 * 3. FFT Gaussian bandpass, 4096 x 4096 (numpy `rfft2`, Gaussian transfer function, `irfft2`).
 *
 * Options: `--workers N` (default 2), `--repeat R` (best of R, default 3), `--fft-parts P`
 * (the FFT split in P parts across the workers, `fftFilter`'s `parts`; default `fftFilter`'s:
 * one part per worker for this grid; 1: one job).
 * Times include moving the arrays to and from the workers, not creating them.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fftFilter, gaussianFilter, medianFilter, WorkerPool } from "../src/compute/mod.ts";
import { mulberry32 } from "../src/plugins/in_process.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    workers: { type: "string" },
    repeat: { type: "string" },
    "fft-parts": { type: "string" },
  },
});
const workers = Number(flags.workers ?? 2);
const repeat = Number(flags.repeat ?? 3);
const fftParts = flags["fft-parts"] === undefined ? undefined : Number(flags["fft-parts"]);

function field(n: number, seed: number): Float64Array<ArrayBuffer> {
  const rand = mulberry32(seed >>> 0);
  const a = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      a[j * n + i] = Math.sin(i / 37) * Math.cos(j / 53) * 10 + rand();
    }
  }
  return a;
}

async function best(run: () => Promise<unknown>): Promise<number> {
  let t = Infinity;
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    await run();
    t = Math.min(t, (performance.now() - t0) / 1000);
  }
  return t;
}

const PY = "/usr/bin/python3";
const SCRIPT = `
import sys, time, numpy as np
from scipy import ndimage
case, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
a = np.fromfile(path, dtype="<f8").reshape(n, n)
def bandpass(a):
    ky = np.fft.fftfreq(a.shape[0], 1.0) * 2 * np.pi
    kx = np.fft.rfftfreq(a.shape[1], 1.0) * 2 * np.pi
    k = np.hypot(*np.meshgrid(kx, ky))
    lp = lambda lam: np.exp(-np.log(2) * (k * lam / (2 * np.pi)) ** 2)
    return np.fft.irfft2(np.fft.rfft2(a) * (lp(10.0) - lp(100.0)), s=a.shape)
run = {
    "gaussian": lambda: ndimage.gaussian_filter(a, 4),
    "median": lambda: ndimage.median_filter(a, size=5),
    "bandpass": lambda: bandpass(a),
}[case]
best = min((lambda t0: (run(), time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(${repeat}))
print(best)
`;

async function python(caseName: string, a: Float64Array, n: number): Promise<number | null> {
  try {
    const path = await Deno.makeTempFile({ suffix: ".f64" });
    try {
      await Deno.writeFile(path, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      const out = await new Deno.Command(PY, {
        args: ["-c", SCRIPT, caseName, path, String(n)],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!out.success) return null;
      return Number(new TextDecoder().decode(out.stdout).trim());
    } finally {
      await Deno.remove(path);
    }
  } catch {
    return null;
  }
}

await using pool = new WorkerPool({ size: workers });
await pool.run({ kernel: "core_version", args: [] });
console.log(`bench:filters on ${workers} workers, best of ${repeat}`);
console.log("case                               gam (s)   reference (s)   reference / gam");
const cases: [
  string,
  string,
  number,
  (a: Float64Array<ArrayBuffer>, n: number) => Promise<unknown>,
][] = [
  [
    "gaussian sigma 4, 4096x4096",
    "gaussian",
    4096,
    (a, n) => gaussianFilter(pool, { values: a, nx: n, ny: n }, { sigmaX: 4, sigmaY: 4 }),
  ],
  [
    "median 5x5, 2048x2048",
    "median",
    2048,
    (a, n) => medianFilter(pool, { values: a, nx: n, ny: n }, { size: 5 }),
  ],
  [
    "FFT gaussian bandpass, 4096x4096",
    "bandpass",
    4096,
    (a, n) =>
      fftFilter(pool, { values: a, nx: n, ny: n }, {
        dxKm: 1,
        dyKm: 1,
        operation: { op: "bandpass", lowKm: 10, highKm: 100, shape: "gaussian" },
        parts: fftParts,
      }),
  ],
];
for (const [label, name, n, run] of cases) {
  const a = field(n, 42);
  const ours = await best(() => run(a, n));
  const ref = await python(name, a, n);
  const refText = ref === null ? "n/a" : ref.toFixed(3);
  const ratio = ref === null ? "n/a" : `${(ref / ours).toFixed(2)}x`;
  console.log(
    `${label.padEnd(34)} ${ours.toFixed(3).padStart(7)}   ${refText.padStart(13)}   ${
      ratio.padStart(15)
    }`,
  );
}
