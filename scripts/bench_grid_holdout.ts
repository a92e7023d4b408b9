/**
 * `deno task bench:grid-holdout`: minimum curvature on flight lines, against GMT, accuracy and
 * time. `gam grid --method mincurv --tension 0.25` and `gmt blockmedian | gmt surface -T0.25
 * -A<cos(centre latitude)>` grid the same training readings onto the same nodes; each grid is
 * interpolated bilinearly where the truth is known. Prints, per split, the RMS error, the wall
 * time and the CPU time (user + system, `/usr/bin/time`) of each tool, process spawn to exit,
 * parsing included, and the load average. A benchmark, not a test: it never fails on the
 * numbers.
 *
 * The survey: by default the Rio aeromagnetic readings (`rio-magnetic.csv.gz`, found or fetched
 * by src/datasets) in the README example's bbox. `--survey PATH` takes any other delimited
 * table (plain or gzip; header row, as `gam grid --input` reads it) of readings in longitude and
 * latitude (degrees, EPSG:4326): `--columns X,Y,Z` names its longitude, latitude and value
 * columns, `--line COLS` the column or columns (comma-separated, joined) that name each
 * reading's line, and `--bbox W,S,E,N` the region (default: the readings' extent), widened to
 * whole multiples of the spacing so that gam and GMT grid the same nodes.
 *
 * Splits (`--split`, comma-separated, default all three):
 * - `readings`: the survey's readings in the bbox, 10% held back at random (fixed seed).
 *   Held-back readings lie on the flight lines, where the surface is pinned by their
 *   neighbours.
 * - `lines`: the same readings with whole flight lines held back: every fourth flight line,
 *   ordered across the lines. Flight lines are told from tie lines by their direction, not by
 *   their names: each line's direction is the principal axis of its readings (in metres), the
 *   survey's is the readings-weighted mean of those (axial, as 2θ), and the lines within 30° of
 *   it are the flight lines (on Rio: its 84 `LINE`s, not its `TIE`s). This measures the surface
 *   between lines, which the `readings` split does not see. Needs `--line`.
 * - `synthetic`: parallel north-south lines `--gaps` nodes apart (default 5,10,20), read every
 *   0.2 node along the line, slightly wavy, with east-west tie lines ten gaps apart, of a known
 *   smooth field plus 0.5 of seeded noise; the error against the field at every node and at
 *   the nodes more than 1.5 nodes from every reading (between the lines).
 *
 *   deno task bench:grid-holdout [--spacing DEG] [--split readings,lines,synthetic]
 *                                [--gaps 5,10,20] [--runs N]
 *                                [--survey PATH --columns X,Y,Z [--line COLS] [--bbox W,S,E,N]]
 *                                [--json PATH]
 *
 * `--runs N` (default 1) runs each command N times, keeping the least wall and CPU time.
 * `--json PATH` also writes the results as JSON (a list of {@linkcode HoldoutResult}), for
 * `bench:e2e`, which prints the accuracy rows of issue 19's table from them.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readGrid, readTable } from "../src/formats/mod.ts";
import { type Bbox, checkBbox, parseBbox, type ProcessedGrid } from "../src/contracts/mod.ts";
import { fetchDataset } from "../src/datasets/mod.ts";
import { mulberry32 } from "../src/plugins/in_process.ts";
import { bestOf, type Measure, measure } from "./_measure.ts";

const REPO = new URL("..", import.meta.url).pathname;
/** The README example's region of the Rio survey. */
const RIO_BBOX: Bbox = [-42.6, -22.5, -41.9, -22.0];
const flags = (() => {
  try {
    return parseArgs({
      args: Deno.args,
      options: {
        spacing: { type: "string", default: "0.001" },
        split: { type: "string", default: "readings,lines,synthetic" },
        gaps: { type: "string", default: "5,10,20" },
        runs: { type: "string", default: "1" },
        survey: { type: "string" },
        columns: { type: "string" },
        line: { type: "string" },
        bbox: { type: "string" },
        json: { type: "string" },
      },
    }).values;
  } catch (e) {
    return usage((e as Error).message);
  }
})();
const D = Number(flags.spacing);
if (!(D > 0 && D < 90)) {
  usage(`--spacing must be a number of degrees above 0, got "${flags.spacing}"`);
}
const RUNS = Math.max(1, Math.floor(Number(flags.runs)) || 1);
const load = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");

/** One split's scores, as `--json` writes them. */
export interface HoldoutResult {
  /** The split's description (e.g. `Rio, 10% of readings held back`). */
  split: string;
  /** Readings gridded. */
  readings: number;
  tools: {
    /** `gam grid mincurv` or `gmt blockmedian+surface`. */
    name: string;
    /** RMS error at the scored points (data units); null when the tool failed. */
    rms: number | null;
    /** Points scored. */
    points: number;
    /** RMS between lines (synthetic splits only). */
    rmsBetween?: number;
    /** Best wall time, spawn to exit, seconds. */
    seconds: number;
    /** Best CPU time (user + system), seconds, when measured. */
    cpuSeconds?: number;
    /** Peak RSS, MiB, when measured. */
    peakMiB: number | null;
    /** Why the tool failed. */
    error?: string;
  }[];
}

/** A point where the truth is known: lon, lat, value. */
type Known = [number, number, number];

/** The training readings (CSV rows) and where each grid is scored. */
interface Split {
  name: string;
  train: string[];
  /** Scored points; with `between`, a subset scored again. */
  known: Known[];
  between?: boolean[];
}

/**
 * Bilinear value of grid `g` at (x, y), by its own axes (each tool's grid is scored on its own
 * nodes; the bbox is snapped to the spacing so that both have the same ones).
 */
function bilinear(g: ProcessedGrid, x: number, y: number): number {
  const [nx, ny] = [g.lon.length, g.lat.length];
  const fi = (x - g.lon[0]) / (g.lon[1] - g.lon[0]), fj = (y - g.lat[0]) / (g.lat[1] - g.lat[0]);
  const i = Math.min(Math.max(Math.floor(fi), 0), nx - 2);
  const j = Math.min(Math.max(Math.floor(fj), 0), ny - 2);
  const a = fi - i, b = fj - j;
  const at = (ii: number, jj: number) => g.values[jj * nx + ii];
  return (1 - a) * (1 - b) * at(i, j) + a * (1 - b) * at(i + 1, j) +
    (1 - a) * b * at(i, j + 1) + a * b * at(i + 1, j + 1);
}

/**
 * `bbox` widened to whole multiples of `d` (a whole number of cells from a multiple of `d`, as
 * GMT's -R -I want them; gam's nodes are then the same), within a millionth of a cell.
 */
function snapped([w, s, e, n]: Bbox, d: number): Bbox {
  /** `v` in cells of `d`, rounded by `round` unless it is whole to a millionth. */
  const at = (v: number, round: (k: number) => number) => {
    const k = v / d;
    return Number(
      ((Math.abs(k - Math.round(k)) < 1e-6 ? Math.round(k) : round(k)) * d).toFixed(12),
    );
  };
  return [at(w, Math.floor), at(s, Math.floor), at(e, Math.ceil), at(n, Math.ceil)];
}

/** The readings of the survey (`--survey`, or Rio), with each reading's line when known. */
interface Survey {
  name: string;
  lon: Float64Array;
  lat: Float64Array;
  z: Float64Array;
  /** Per reading, the code of its line (one per distinct combination of `--line` values). */
  lines?: Int32Array;
  bbox: Bbox;
}

/** Refuses the command line with `message` (exit 2). */
function usage(message: string): never {
  console.error(`bench:grid-holdout: ${message}`);
  Deno.exit(2);
}

async function loadSurvey(): Promise<Survey> {
  const rio = flags.survey === undefined;
  const path = flags.survey ?? await fetchDataset("rio-magnetic.csv.gz");
  const columns = (flags.columns ?? (rio ? "longitude,latitude,total_field_anomaly_nt" : ""))
    .split(",").map((c) => c.trim()).filter(Boolean);
  if (columns.length !== 3) {
    usage(`--columns must name 3 columns (longitude, latitude, value), got "${flags.columns}"`);
  }
  const lineColumns = (flags.line ?? (rio ? "line_type,line_number" : "")).split(",")
    .map((c) => c.trim()).filter(Boolean);
  let bbox: Bbox | undefined = rio ? RIO_BBOX : undefined;
  if (flags.bbox !== undefined) {
    try {
      bbox = parseBbox(flags.bbox, "--bbox");
    } catch (e) {
      usage((e as Error).message);
    }
  }
  const table = await readTable(path, { columns, textColumns: lineColumns });
  const [lon, lat, z] = table.columns;
  let lines: Survey["lines"];
  if (lineColumns.length > 0) {
    // One line per distinct combination of the line columns' codes ("LINE" and "2902"): the
    // codes mixed into one number, no string per reading.
    const byKey = new Map<number, number>();
    lines = new Int32Array(table.rows);
    for (let r = 0; r < table.rows; r++) {
      const key = table.text.reduce((k, t) => k * t.names.length + t.codes[r], 0);
      let code = byKey.get(key);
      if (code === undefined) byKey.set(key, code = byKey.size);
      lines[r] = code;
    }
  }
  if (bbox === undefined) {
    let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
    for (let i = 0; i < lon.length; i++) {
      w = Math.min(w, lon[i]), e = Math.max(e, lon[i]);
      s = Math.min(s, lat[i]), n = Math.max(n, lat[i]);
    }
    bbox = checkBbox([w, s, e, n], `the extent of ${path}`);
  }
  const name = rio ? "Rio" : path.replace(/^.*\//, "");
  return { name, lon, lat, z, lines, bbox };
}

/**
 * The flight lines of `survey` among the readings `inside`: the lines whose direction lies
 * within 30° of the survey's (see the module doc), each with its position across the lines.
 */
function flightLines(survey: Survey, inside: number[]): Map<number, number> {
  const { lon, lat, lines } = survey;
  const kx = Math.cos(((S + N) / 2) * Math.PI / 180); // degrees of longitude to "metres"
  // per line: n, Σx, Σy, Σxx, Σyy, Σxy
  const sums = new Map<number, number[]>();
  for (const i of inside) {
    const c = lines![i];
    const s = sums.get(c) ?? [0, 0, 0, 0, 0, 0];
    const x = lon[i] * kx, y = lat[i];
    s[0]++, s[1] += x, s[2] += y, s[3] += x * x, s[4] += y * y, s[5] += x * y;
    sums.set(c, s);
  }
  const axis = new Map<number, { angle: number; x: number; y: number }>();
  let c2 = 0, s2 = 0;
  for (const [code, [n, sx, sy, sxx, syy, sxy]] of sums) {
    if (n < 2) continue;
    const [x, y] = [sx / n, sy / n];
    const [vxx, vyy, vxy] = [sxx / n - x * x, syy / n - y * y, sxy / n - x * y];
    const angle = 0.5 * Math.atan2(2 * vxy, vxx - vyy); // principal axis, from east
    axis.set(code, { angle, x, y });
    c2 += n * Math.cos(2 * angle), s2 += n * Math.sin(2 * angle);
  }
  const survey2 = Math.atan2(s2, c2); // the survey's direction, doubled
  // Across the lines: by mean longitude for lines nearer north-south, else by mean latitude
  // (segments of one flight line keep their order along it).
  const northSouth = Math.abs(Math.sin(survey2 / 2)) >= Math.SQRT1_2;
  const out = new Map<number, number>();
  for (const [code, { angle, x, y }] of axis) {
    // The axial difference: 2θ apart by less than 60° is θ apart by less than 30°.
    if (Math.cos(2 * angle - survey2) < Math.cos(Math.PI / 3)) continue;
    out.set(code, northSouth ? x : y);
  }
  return out;
}

function surveySplits(survey: Survey, want: Set<string>): Split[] {
  const { lon, lat, z } = survey;
  const inside: number[] = [];
  for (let i = 0; i < lon.length; i++) {
    if (lon[i] >= W && lon[i] <= E && lat[i] >= S && lat[i] <= N) inside.push(i);
  }
  const row = (i: number) => `${lon[i]},${lat[i]},${z[i]}`;
  const out: Split[] = [];
  if (want.has("readings")) {
    let seed = 4242;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
    const split: Split = {
      name: `${survey.name}, 10% of readings held back`,
      train: [],
      known: [],
    };
    for (const i of inside) {
      if (random() < 0.1) split.known.push([lon[i], lat[i], z[i]]);
      else split.train.push(row(i));
    }
    out.push(split);
  }
  if (want.has("lines")) {
    if (survey.lines === undefined) usage("the lines split needs --line (the line columns)");
    // every fourth flight line, ordered across the lines
    const across = flightLines(survey, inside);
    const order = [...across.entries()].sort((a, b) => a[1] - b[1]);
    const held = new Set(order.filter((_, k) => k % 4 === 2).map(([code]) => code));
    const split: Split = {
      name: `${survey.name}, ${held.size} of ${order.length} flight lines held back`,
      train: [],
      known: [],
    };
    for (const i of inside) {
      if (held.has(survey.lines![i])) split.known.push([lon[i], lat[i], z[i]]);
      else split.train.push(row(i));
    }
    out.push(split);
  }
  return out;
}

/** Parallel north-south lines `gap` nodes apart with tie lines, of a known field. */
function syntheticSplit(gap: number): Split {
  const rand = mulberry32(20261205 + gap);
  const bumps = Array.from({ length: 25 }, () => [
    W + rand() * (E - W),
    S + rand() * (N - S),
    0.02 + rand() * 0.06,
    -300 + rand() * 600,
  ]);
  const field = (x: number, y: number) => {
    let f = 40 * Math.sin((x - W) * 9) + 30 * Math.cos((y - S) * 14);
    for (const [cx, cy, w, a] of bumps) {
      f += a * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * w * w));
    }
    return f;
  };
  const noise = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()) * 0.5;
  const step = 0.2 * D, train: string[] = [];
  const near = new Uint8Array(NX * NY); // nodes within 1.5 nodes of a reading
  const add = (x: number, y: number) => {
    if (!(x >= W && x <= E && y >= S && y <= N)) return;
    train.push(`${x},${y},${field(x, y) + noise()}`);
    const fi = (x - W) / D, fj = (y - S) / D;
    for (let j = Math.ceil(fj - 1.5); j <= fj + 1.5; j++) {
      for (let i = Math.ceil(fi - 1.5); i <= fi + 1.5; i++) {
        if (i >= 0 && j >= 0 && i < NX && j < NY && (i - fi) ** 2 + (j - fj) ** 2 <= 2.25) {
          near[j * NX + i] = 1;
        }
      }
    }
  };
  for (let x0 = W + rand() * gap * D; x0 < E; x0 += gap * D) {
    for (let y = S; y <= N; y += step) add(x0 + 0.4 * D * Math.sin(y * 60 + x0 * 100), y);
  }
  for (let y0 = S + rand() * 10 * gap * D; y0 < N; y0 += 10 * gap * D) {
    for (let x = W; x <= E; x += step) add(x, y0 + 0.4 * D * Math.sin(x * 50));
  }
  const known: Known[] = [];
  const between: boolean[] = [];
  for (let j = 0; j < NY; j++) {
    for (let i = 0; i < NX; i++) {
      const x = W + i * D, y = S + j * D;
      known.push([x, y, field(x, y)]);
      between.push(near[j * NX + i] === 0);
    }
  }
  return {
    name: `synthetic lines ${gap} nodes apart, ${train.length} readings`,
    train,
    known,
    between,
  };
}

const best = (run: () => Promise<Measure>) => bestOf(RUNS, run);

const want = new Set(flags.split.split(",").map((s) => s.trim()));
const survey = await loadSurvey();
const [W, S, E, N] = snapped(survey.bbox, D);
const NX = Math.round((E - W) / D) + 1, NY = Math.round((N - S) / D) + 1;
const splits = surveySplits(survey, want);
if (want.has("synthetic")) {
  for (const g of flags.gaps.split(",").map(Number)) splits.push(syntheticSplit(g));
}
const dir = await Deno.makeTempDir({ prefix: "gam-bench-holdout-" });
try {
  console.log(
    `bench:grid-holdout: ${NX} x ${NY} nodes at ${D}° over [${W}, ${S}, ${E}, ${N}]; ` +
      `best of ${RUNS} run(s); ` +
      `load average ${load()}`,
  );
  const R = `-R${W}/${E}/${S}/${N}`, I = `-I${D}`;
  const aspect = Math.cos(((S + N) / 2) * Math.PI / 180);
  const results: HoldoutResult[] = [];
  for (const split of splits) {
    const result: HoldoutResult = { split: split.name, readings: split.train.length, tools: [] };
    results.push(result);
    await Deno.writeTextFile(`${dir}/train.csv`, `lon,lat,z\n${split.train.join("\n")}\n`);
    console.log(`\n${split.name}: ${split.train.length} readings gridded`);
    // name, command, arguments, the grid it writes
    const runs: [string, string, string[], string][] = [
      ["gam grid mincurv", Deno.execPath(), [
        "run",
        "-A",
        `${REPO}src/cli/main.ts`,
        "grid",
        ...["--input", `${dir}/train.csv`, "--x", "lon", "--y", "lat", "--z", "z"],
        ...["--bbox", `${W},${S},${E},${N}`, "--spacing", `${D}`, "--method", "mincurv"],
        // no distance mask: GMT's grid has none, and the hold-outs score between the lines
        ...["--tension", "0.25", "--max-distance", "off", "--out", `${dir}/gam.tif`],
      ], `${dir}/gam.tif`],
      ["gmt blockmedian+surface", "sh", [
        "-c",
        `gmt blockmedian ${dir}/train.csv -hi1 ${R} ${I} -bo3d > ${dir}/bm.bin && ` +
        `gmt surface ${dir}/bm.bin -bi3d ${R} ${I} -T0.25 -A${aspect} -G${dir}/gmt.nc`,
      ], `${dir}/gmt.nc`],
    ];
    for (const [name, cmd, args, path] of runs) {
      const m = await best(() => measure(cmd, args, { dir }));
      const tool: HoldoutResult["tools"][number] = {
        name,
        rms: null,
        points: 0,
        seconds: m.seconds,
        cpuSeconds: m.cpuSeconds,
        peakMiB: m.peakMiB,
      };
      result.tools.push(tool);
      if (!m.ok) {
        tool.error = m.error;
        console.log(`${name.padEnd(24)} FAILED: ${m.error}`);
        continue;
      }
      let grid = path;
      if (path.endsWith(".nc")) {
        // GMT writes netCDF-4; the GeoTIFF copy is read by the project's reader (not timed)
        const t = await new Deno.Command("gdal_translate", {
          args: ["-q", "-of", "GTiff", path, `${dir}/gmt.tif`],
        }).output();
        if (!t.success) throw new Error(new TextDecoder().decode(t.stderr));
        grid = `${dir}/gmt.tif`;
      }
      const g = await readGrid(grid);
      let sum = 0, n = 0, sumB = 0, nB = 0;
      split.known.forEach(([x, y, v], k) => {
        const e = bilinear(g, x, y) - v;
        if (e !== e) return;
        sum += e * e, n++;
        if (split.between?.[k]) sumB += e * e, nB++;
      });
      tool.rms = Math.sqrt(sum / n);
      tool.points = n;
      if (split.between) tool.rmsBetween = Math.sqrt(sumB / nB);
      const between = split.between
        ? `, between lines ${Math.sqrt(sumB / nB).toFixed(4)} (${nB} nodes)`
        : "";
      const cpu = m.cpuSeconds === undefined ? "" : `, CPU ${m.cpuSeconds.toFixed(2)} s`;
      console.log(
        `${name.padEnd(24)} RMS ${Math.sqrt(sum / n).toFixed(4)} (${n} points)${between}; ` +
          `wall ${m.seconds.toFixed(2)} s${cpu}`,
      );
    }
  }
  console.log(`\nload average at the end ${load()}`);
  if (flags.json !== undefined) {
    await Deno.writeTextFile(flags.json, JSON.stringify(results, null, 2) + "\n");
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
