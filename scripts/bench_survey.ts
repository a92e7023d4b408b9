/**
 * `deno task bench:survey`: a synthetic airborne survey of many readings through `gam run`,
 * the way a delivered survey arrives: a CSV with named flight lines (`L1000` ... and tie lines
 * `T10` ...), read by the `file` plugin, Hampel along the lines, block-mean gridding, QC.
 * Prints the wall time and the peak RSS of the run's processes (the `gam` process and the
 * plugin's sandbox process, sampled from /proc every 50 ms; VmHWM of each), and the survey's
 * size. Everything is written in a temporary folder, removed at the end.
 *
 * Flags: `--readings N` (default 10,000,000), `--spacing DEG` of the grid (default: the line
 * spacing), `--workers N` (default 2), `--no-cache` (passed to `gam run`).
 *
 * @module
 */
import { spawnGam } from "../tests/_gam_cli.ts";
import { procPeak } from "./_measure.ts";
const arg = (name: string, fallback: number) => {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
};
const readings = arg("--readings", 10_000_000);
/** Survey layout: east-west traverses over the bbox (0.003° apart for 10 million readings), plus
 * north-south tie lines holding about 5% of the readings. */
const BBOX = [10, 45, 12, 46.5] as const;
const PER_LINE = 20_000; // readings per traverse: 2° of longitude at 1e-4° (about 8 m)
const LINE_SPACING = (BBOX[3] - BBOX[1]) / Math.ceil((readings * 0.95) / PER_LINE);
const spacing = arg("--spacing", LINE_SPACING);

function field(lon: number, lat: number): number {
  // Three magnetic bodies over a regional gradient, nT.
  const g = (x0: number, y0: number, s: number, a: number) =>
    a * Math.exp(-((lon - x0) ** 2 + (lat - y0) ** 2) / (2 * s * s));
  return 20 * (lat - 45) + g(10.6, 45.5, 0.05, 300) + g(11.3, 46.0, 0.08, -180) +
    g(11.7, 45.3, 0.03, 120);
}

async function writeSurvey(path: string): Promise<{ lines: number; bytes: number }> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const enc = new TextEncoder();
  let buf: string[] = ["line,lon,lat,mag_nt"];
  let bytes = 0;
  const flush = async () => {
    const chunk = enc.encode(buf.join("\n") + "\n");
    bytes += chunk.length;
    for (let off = 0; off < chunk.length;) off += await file.write(chunk.subarray(off));
    buf = [];
  };
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  let n = 0, lines = 0;
  const ties = Math.max(1, Math.floor(readings / PER_LINE / 20)); // about 5% tie readings
  const tieReadings = Math.floor((readings * 0.05) / ties);
  for (let t = 0; t < ties && n < readings; t++, lines++) {
    const lon = BBOX[0] + (t + 0.5) * (BBOX[2] - BBOX[0]) / ties;
    for (let i = 0; i < tieReadings && n < readings; i++, n++) {
      const lat = BBOX[1] + (i + 0.5) * (BBOX[3] - BBOX[1]) / tieReadings;
      buf.push(
        `T${10 * (t + 1)},${lon.toFixed(6)},${lat.toFixed(6)},${
          (field(lon, lat) + (rand() - 0.5)).toFixed(2)
        }`,
      );
      if (buf.length >= 50_000) await flush();
    }
  }
  for (let l = 0; n < readings; l++, lines++) {
    const lat = BBOX[1] + (l + 0.5) * LINE_SPACING;
    for (let i = 0; i < PER_LINE && n < readings; i++, n++) {
      const lon = BBOX[0] + (i + 0.5) * (BBOX[2] - BBOX[0]) / PER_LINE;
      let v = field(lon, lat) + (rand() - 0.5);
      if (rand() < 1e-4) v += 500; // spikes for the Hampel filter
      buf.push(`L${1000 + 10 * l},${lon.toFixed(6)},${lat.toFixed(6)},${v.toFixed(2)}`);
      if (buf.length >= 50_000) await flush();
    }
  }
  await flush();
  return { lines, bytes };
}

function config(dir: string): string {
  return `version: 1
defaults:
  bbox: [${BBOX.join(", ")}]
  outputDir: ${dir}/out
  cacheDir: ${dir}/cache
  logLevel: warn
  logFormat: json
modalities:
  gravity:
    enabled: false
    units: mGal
    source: { plugin: synthetic, params: { seed: 42 } }
    pipeline: { version: 1.0.0, definition: "grid(spacing=0.01) -> qc" }
  magnetic:
    enabled: true
    units: nT
    source:
      type: plugin
      plugin: file
      params:
        path: ${dir}/survey.csv
        columns: { lon: lon, lat: lat, value: mag_nt, line: line }
        tiePrefix: T
        units: nT
        licence: CC0-1.0
        citation: synthetic survey of scripts/bench_survey.ts
      permissions: { net: [], read: [${dir}/survey.csv] }
    retry: { maxAttempts: 1 }
    timeoutMs: 600000 # reading 10 million readings takes longer than the default 30 s on a busy machine
    pipeline:
      version: 1.0.0
      definition: >-
        outlier(method=hampel, halfWindow=5, threshold=6) ->
        grid(method=block-mean, spacing=${spacing.toPrecision(6)}) -> qc(supportKm=1)
      checkpoint: { maxNanRatio: 0.9 }
`;
}

/** VmHWM (peak RSS) of `pid` and its descendants, KiB each, read from /proc. */
function treePeaks(root: number, peaks: Map<number, { name: string; kib: number }>): void {
  const children = new Map<number, number[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e.name)]);
    } catch { /* gone */ }
  }
  const walk = (pid: number) => {
    const now = procPeak(pid);
    const prev = peaks.get(pid);
    if (now && (!prev || now.kib > prev.kib)) peaks.set(pid, now);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
}

const dir = await Deno.makeTempDir({ prefix: "gam-bench-survey-" });
try {
  const t0 = performance.now();
  const { lines, bytes } = await writeSurvey(`${dir}/survey.csv`);
  console.log(
    `survey: ${readings.toLocaleString("en")} readings on ${lines} lines, ` +
      `${(bytes / 2 ** 20).toFixed(0)} MiB of CSV, written in ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  await Deno.writeTextFile(`${dir}/config.yaml`, config(dir));
  const database = Deno.env.get("DATABASE_URL");
  if (database) {
    // A server database is not migrated on open.
    const migrate = await spawnGam(["db", "migrate"], { stdout: "null" }).output();
    if (!migrate.success) throw new Error(new TextDecoder().decode(migrate.stderr));
  }
  console.log(`database: ${database ? "PostgreSQL server (DATABASE_URL)" : "embedded (PGlite)"}`);
  const started = performance.now();
  const child = spawnGam([
    "run",
    "--config",
    `${dir}/config.yaml`,
    "--json",
    "--workers",
    String(arg("--workers", 2)),
    ...(Deno.args.includes("--no-cache") ? ["--no-cache"] : []),
  ]);
  const peaks = new Map<number, { name: string; kib: number }>();
  const sampler = setInterval(() => treePeaks(child.pid, peaks), 50);
  const out = await child.output();
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  const main = peaks.get(child.pid)?.kib ?? 0;
  const others = [...peaks].filter(([pid]) => pid !== child.pid).map(([, p]) => p.kib);
  const sandbox = others.length ? Math.max(...others) : 0;
  if (!out.success) {
    console.error(new TextDecoder().decode(out.stderr).split("\n").slice(-8).join("\n"));
    throw new Error(`gam run failed with exit status ${out.code}`);
  }
  const summary = JSON.parse(new TextDecoder().decode(out.stdout));
  const m = summary.modalities.find((x: { modality: string }) => x.modality === "magnetic");
  console.log(
    `gam run: ${seconds.toFixed(1)} s; ${m.pointsIn.toLocaleString("en")} readings in, ` +
      `${m.outliersRemoved} outliers, grid ${m.gridSize}, ${m.anomalies} anomalies`,
  );
  console.log(
    `peak RSS: gam ${(main / 1024).toFixed(0)} MiB, plugin sandbox ${
      (sandbox / 1024).toFixed(0)
    } MiB (VmHWM sampled every 50 ms; ${navigator.hardwareConcurrency} cores)`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
