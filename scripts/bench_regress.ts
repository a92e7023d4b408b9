/**
 * `deno task bench:regress`: the performance regression gate. A short fixed set of benchmarks,
 * each timed next to a reference tool in the same run, so that the ratio (gam / reference), not
 * the absolute time, is compared with the committed baseline (bench/regress_baseline.json):
 *
 * | entry          | gam                                   | reference                               |
 * | -------------- | ------------------------------------- | --------------------------------------- |
 * | grid-blockmean | `gam grid --method block-mean`        | `gmt blockmean` (GMT)                   |
 * | grid-nearest   | `gam grid --method nearest`           | `gdal_grid -a nearest` (GDAL)           |
 * | grid-mincurv   | `gam grid --method mincurv`           | `gmt blockmedian` + `gmt surface` (GMT) |
 * | filter-gauss   | `gam filter --op gaussian --sigma 2`  | scipy `ndimage.gaussian_filter`         |
 * | run-warm       | a warm `gam run` (every grid cached)  | the sum of the four reference times     |
 * | run-peak-mem   | peak RSS of a cold `gam run`, bytes   | none: compared as bytes                 |
 * | ingest-<m>     | mean fetch time per modality (cold)   | as run-warm; recorded, not gated        |
 *
 * It fails (exit 1) when an entry's ratio is worse than its baseline by more than the margin
 * (`--margin`, default 0.25 = 25%; the quick set uses 1 = 100%: its sub-second processes on a
 * shared 2-core machine moved by up to 77% between two runs; peak memory always 25%), prints a
 * table, and writes a JSON record (`--out`, default out/bench/regress-<time>.json).
 *
 *   deno task bench:regress [--quick] [--margin F] [--baseline FILE] [--out FILE]
 *                           [--update-baseline] [--from-record FILE (judge it, measure nothing)]
 *
 * `--quick` (the test task): 50,000 points, the best of 2 repetitions, under a minute on 2 cores. The full
 * set (nightly): 500,000 points, the best of 3 repetitions.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname } from "node:path";
import { measure as measureCommand } from "./_measure.ts";
import { mulberry32 } from "../src/plugins/in_process.ts";

const REPO = new URL("..", import.meta.url).pathname;
const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    margin: { type: "string" },
    baseline: { type: "string", default: `${REPO}bench/regress_baseline.json` },
    out: { type: "string" },
    "update-baseline": { type: "boolean", default: false },
    "from-record": { type: "string" },
  },
});
const QUICK = flags.quick === true;
const MARGIN = Number(flags.margin ?? (QUICK ? 1 : 0.25));
/** Peak memory barely depends on the machine's load: one margin for both sets. */
const MEM_MARGIN = 0.25;
const POINTS = QUICK ? 50_000 : 500_000;
const REPS = QUICK ? 2 : 3;
const BBOX = [-43, -23, -42, -22] as const;
const SPACING = QUICK ? 0.002 : 0.001;
const N = Math.round((BBOX[2] - BBOX[0]) / SPACING) + 1;

/** One measured process. */
interface Measure {
  seconds: number;
  peakBytes: number;
}

/** One entry of the record. */
interface Entry {
  name: string;
  gam: Measure;
  reference?: { tool: string } & Measure;
  /** gam seconds / reference seconds, or peak bytes for the memory entry. */
  ratio: number;
  baseline?: number;
  /** `false`: recorded, never fails the gate. @default true */
  gated?: boolean;
  verdict: "ok" | "regressed" | "new" | "info";
}

class BenchProcessError extends Error {
  constructor(cmd: string, stderr: string) {
    super(`Benchmark command failed: ${cmd}\n${stderr}`);
    this.name = "BenchProcessError";
  }
}

/**
 * Runs a command `reps` times from the repository root through the benchmarks' one runner
 * (`_measure.ts`: wall time spawn to exit, peak RSS); the fastest run.
 */
async function measure(cmd: string, args: string[], reps = REPS): Promise<Measure> {
  let best: Measure | undefined;
  for (let i = 0; i < reps; i++) {
    const r = await measureCommand(cmd, args, { cwd: REPO });
    if (!r.ok) throw new BenchProcessError(`${cmd} ${args.join(" ")}`, r.error ?? "");
    const m = { seconds: r.seconds, peakBytes: (r.peakMiB ?? NaN) * 1024 * 1024 };
    if (!best || m.seconds < best.seconds) best = m;
  }
  return best!;
}

/** A smooth synthetic field at random positions (fixed seed), as CSV and an OGR VRT. */
async function writePoints(dir: string): Promise<{ csv: string; vrt: string }> {
  const rand = mulberry32(20261204);
  const lines = ["lon,lat,z"];
  for (let i = 0; i < POINTS; i++) {
    const x = BBOX[0] + rand() * (BBOX[2] - BBOX[0]);
    const y = BBOX[1] + rand() * (BBOX[3] - BBOX[1]);
    const z = 10 * (x + 42.5) + 5 * Math.exp(-((x + 42.3) ** 2 + (y + 22.6) ** 2) / 0.01);
    lines.push(`${x.toFixed(6)},${y.toFixed(6)},${z.toFixed(4)}`);
  }
  const csv = `${dir}/points.csv`;
  await Deno.writeTextFile(csv, lines.join("\n") + "\n");
  const vrt = `${dir}/points.vrt`;
  await Deno.writeTextFile(
    vrt,
    `<OGRVRTDataSource><OGRVRTLayer name="points"><SrcDataSource>${csv}</SrcDataSource>` +
      `<GeometryType>wkbPoint</GeometryType>` +
      `<GeometryField encoding="PointFromColumns" x="lon" y="lat" z="z"/>` +
      `</OGRVRTLayer></OGRVRTDataSource>\n`,
  );
  return { csv, vrt };
}

const gamArgs = (
  ...a: string[]
) => ["run", "-A", "--unstable-worker-options", `${REPO}src/cli/main.ts`, ...a];

async function run(dir: string): Promise<Omit<Entry, "ratio" | "verdict">[]> {
  const { csv, vrt } = await writePoints(dir);
  const R = `-R${BBOX[0]}/${BBOX[2]}/${BBOX[1]}/${BBOX[3]}`;
  const I = `-I${SPACING}`;
  const half = SPACING / 2;
  const grid = (method: string, out: string, ...extra: string[]) =>
    measure(
      Deno.execPath(),
      gamArgs(
        "grid",
        "--input",
        csv,
        "--x",
        "lon",
        "--y",
        "lat",
        "--z",
        "z",
        `--bbox=${BBOX.join(",")}`,
        "--spacing",
        String(SPACING),
        "--method",
        method,
        ...extra,
        "--out",
        out,
      ),
    );
  const entries: Omit<Entry, "ratio" | "verdict">[] = [];

  entries.push({
    name: "grid-blockmean",
    gam: await grid("block-mean", `${dir}/bm.tif`),
    reference: {
      tool: "gmt blockmean",
      ...await measure("sh", [
        "-c",
        `gmt blockmean ${csv} -hi1 -i0,1,2 ${R} ${I} -bo3d > ${dir}/gmt-bm.bin`,
      ]),
    },
  });
  entries.push({
    name: "grid-nearest",
    gam: await grid("nearest", `${dir}/nn.tif`, "--radius", String(SPACING * 5)),
    reference: {
      tool: "gdal_grid nearest",
      ...await measure("gdal_grid", [
        "-q",
        "-zfield",
        "z",
        "-a",
        `nearest:radius1=${SPACING * 5}:radius2=${SPACING * 5}:nodata=nan`,
        "-txe",
        String(BBOX[0] - half),
        String(BBOX[2] + half),
        "-tye",
        String(BBOX[1] - half),
        String(BBOX[3] + half),
        "-outsize",
        String(N),
        String(N),
        "-ot",
        "Float32",
        "-of",
        "GTiff",
        vrt,
        `${dir}/gdal-nn.tif`,
      ]),
    },
  });
  entries.push({
    name: "grid-mincurv",
    gam: await grid("mincurv", `${dir}/mc.tif`, "--tension", "0.25"),
    reference: {
      tool: "gmt blockmedian+surface",
      ...await measure("sh", [
        "-c",
        `gmt blockmedian ${csv} -hi1 -i0,1,2 ${R} ${I} -bo3d > ${dir}/gmt-bmed.bin && ` +
        `gmt surface ${dir}/gmt-bmed.bin -bi3d ${R} ${I} -T0.25 -G${dir}/gmt-surface.nc`,
      ]),
    },
  });
  // scipy on the same grid, read as raw float32 (written by numpy from gam's GeoTIFF is not
  // possible without GDAL's Python bindings, so both filter the same synthetic array size).
  await Deno.writeTextFile(
    `${dir}/gauss.py`,
    [
      "import numpy as np, scipy.ndimage as nd",
      `a = np.random.default_rng(1).standard_normal((${N}, ${N})).astype(np.float32)`,
      "b = nd.gaussian_filter(a, sigma=2, mode='nearest')",
      "np.save('" + dir + "/gauss.npy', b)",
    ].join("\n"),
  );
  entries.push({
    name: "filter-gauss",
    gam: await measure(
      Deno.execPath(),
      gamArgs(
        "filter",
        "--input",
        `${dir}/mc.tif`,
        "--op",
        "gaussian",
        "--sigma",
        "2",
        "--out",
        `${dir}/g.tif`,
      ),
    ),
    reference: {
      tool: "scipy gaussian_filter",
      ...await measure("/usr/bin/python3", [`${dir}/gauss.py`]),
    },
  });

  // The default pipeline on a small bbox: cold (peak memory), then warm (every grid cached).
  const cfg = `${dir}/ingestion.yaml`;
  const { parse, stringify } = await import("yaml");
  // deno-lint-ignore no-explicit-any
  const c = parse(await Deno.readTextFile(`${REPO}config/ingestion.yaml`)) as Record<string, any>;
  c.defaults.bbox = QUICK ? [10.0, 45.0, 10.3, 45.3] : [10.0, 45.0, 11.0, 46.0];
  c.defaults.outputDir = `${dir}/out`;
  c.defaults.cacheDir = `${dir}/cache`;
  c.defaults.logLevel = "error";
  await Deno.writeTextFile(cfg, stringify(c));
  const env = ["--config", cfg];
  // Once: a second run would be warm.
  const cold = await measure(
    "env",
    [
      "DATABASE_URL=",
      Deno.execPath(),
      ...gamArgs("run", ...env, "--metrics-file", `${dir}/cold.prom`),
    ],
    1,
  );
  // No tool does what a run does: its time is compared with the sum of the reference tools'
  // times of this same run, a measure of the machine's speed right now.
  const refs = entries.map((e) => e.reference!);
  entries.push({
    name: "run-warm",
    gam: await measure("env", ["DATABASE_URL=", Deno.execPath(), ...gamArgs("run", ...env)]),
    reference: {
      tool: "sum of the references above",
      seconds: refs.reduce((sum, r) => sum + r.seconds, 0),
      peakBytes: Math.max(...refs.map((r) => r.peakBytes)),
    },
  });
  entries.push({ name: "run-peak-mem", gam: cold });
  // Ingestion latency per modality (one fetch each, sandboxed plugin included), from the cold
  // run's own metrics; recorded next to the machine-speed reference, not gated (a fetch of the
  // synthetic source takes milliseconds, too few for a stable ratio).
  const prom = await Deno.readTextFile(`${dir}/cold.prom`);
  const sample = (name: string, modality: string) =>
    Number(
      new RegExp(`^${name}\\{[^}]*modality="${modality}"[^}]*\\} (\\S+)$`, "m").exec(prom)?.[1],
    );
  for (const modality of ["gravity", "magnetic"]) {
    const sum = sample("gam_ingestion_fetch_duration_seconds_sum", modality);
    const count = sample("gam_ingestion_fetch_duration_seconds_count", modality);
    entries.push({
      name: `ingest-${modality}`,
      gam: { seconds: sum / count, peakBytes: cold.peakBytes },
      reference: entries.find((e) => e.name === "run-warm")!.reference,
      gated: false,
    });
  }

  return entries;
}

/** Compares measured entries with the baseline of their set. */
async function judge(entries: Omit<Entry, "ratio" | "verdict">[]): Promise<Entry[]> {
  const baseline = await Deno.readTextFile(flags.baseline!).then(
    (t) => JSON.parse(t) as Record<string, Record<string, number>>,
    (): Record<string, Record<string, number>> => ({}),
  );
  const base: Record<string, number> = baseline[QUICK ? "quick" : "full"] ?? {};
  return entries.map((e) => {
    const ratio = e.reference ? e.gam.seconds / e.reference.seconds : e.gam.peakBytes;
    const b = base[e.name];
    const margin = e.reference ? MARGIN : MEM_MARGIN;
    const verdict = e.gated === false
      ? "info"
      : b === undefined
      ? "new"
      : ratio > b * (1 + margin)
      ? "regressed"
      : "ok";
    return { ...e, ratio, baseline: b, verdict };
  });
}

let entries: Entry[];
if (flags["from-record"]) {
  // Judge the measurements of an earlier record again (e.g. against another baseline).
  entries = await judge(JSON.parse(await Deno.readTextFile(flags["from-record"])).entries);
} else {
  const dir = await Deno.makeTempDir({ prefix: "gam-bench-regress-" });
  try {
    entries = await judge(await run(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const fmt = (n: number) => (n >= 1e6 ? `${(n / 2 ** 20).toFixed(0)} MiB` : n.toFixed(2));
console.log(
  `bench:regress ${QUICK ? "quick" : "full"} (${POINTS} points, ${N}x${N} cells, margin ${
    (MARGIN * 100).toFixed(0)
  }%)\n`,
);
console.log(
  "entry           gam s   reference                      ref s   ratio     baseline  verdict",
);
for (const e of entries) {
  console.log(
    [
      e.name.padEnd(14),
      e.gam.seconds.toFixed(2).padStart(7),
      (e.reference?.tool ?? "-").padEnd(28),
      (e.reference ? e.reference.seconds.toFixed(2) : "-").padStart(7),
      fmt(e.ratio).padStart(9),
      (e.baseline === undefined ? "-" : fmt(e.baseline)).padStart(10),
      e.verdict,
    ].join("  "),
  );
}
const record = {
  time: new Date().toISOString(),
  set: QUICK ? "quick" : "full",
  points: POINTS,
  cells: N * N,
  margin: MARGIN,
  entries,
};
const out = flags.out ??
  `${REPO}out/bench/regress-${record.time.replaceAll(":", "").replace(/\..*/, "")}.json`;
await Deno.mkdir(dirname(out), { recursive: true });
await Deno.writeTextFile(out, JSON.stringify(record, null, 2) + "\n");
console.log(`\nrecord: ${out}`);
if (flags["update-baseline"]) {
  const file = flags.baseline!;
  const current = await Deno.readTextFile(file).then(
    (t) => JSON.parse(t),
    () => ({ quick: {}, full: {} }),
  );
  current[QUICK ? "quick" : "full"] = Object.fromEntries(entries.map((e) => [e.name, e.ratio]));
  await Deno.writeTextFile(file, JSON.stringify(current, null, 2) + "\n");
  console.log(`baseline updated: ${file}`);
}
const regressed = entries.filter((e) => e.verdict === "regressed");
if (regressed.length > 0) {
  console.error(
    `bench:regress: ${regressed.length} regression(s) beyond ${(MARGIN * 100).toFixed(0)}%: ${
      regressed.map((e) => `${e.name} (ratio ${fmt(e.ratio)}, baseline ${fmt(e.baseline!)})`).join(
        ", ",
      )
    }`,
  );
  Deno.exit(1);
}
