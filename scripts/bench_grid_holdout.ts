/**
 * `deno task bench:grid-holdout`: minimum curvature on real data, against GMT. The Rio
 * aeromagnetic readings (`rio-magnetic.csv.gz`, found or fetched by src/datasets) in the README example's bbox are
 * split 90/10 with a fixed seed; `gam grid --method mincurv` and `gmt blockmedian | gmt surface
 * -T0.25 -A<cos(centre latitude)>` grid the 90%, and each grid is interpolated bilinearly at the
 * held-out 10%. Prints the held-out RMS error (nT) and the wall time of each tool (process spawn
 * to exit, parsing included). A benchmark, not a test: it never fails on the numbers.
 *
 *   deno task bench:grid-holdout [--spacing DEG]   (default 0.001)
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readGrid, readTable } from "../src/formats/mod.ts";
import { fetchDataset } from "../src/datasets/mod.ts";

const REPO = new URL("..", import.meta.url).pathname;
const DATA = await fetchDataset("rio-magnetic.csv.gz");
const [W, S, E, N] = [-42.6, -22.5, -41.9, -22.0];
const { values: flags } = parseArgs({
  args: Deno.args,
  options: { spacing: { type: "string", default: "0.001" } },
});
const D = Number(flags.spacing);

const table = await readTable(DATA, {
  columns: ["longitude", "latitude", "total_field_anomaly_nt"],
});
const [lon, lat, z] = table.columns;
let seed = 4242;
const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
const train: string[] = [];
const held: [number, number, number][] = [];
for (let i = 0; i < lon.length; i++) {
  if (!(lon[i] >= W && lon[i] <= E && lat[i] >= S && lat[i] <= N)) continue;
  if (random() < 0.1) held.push([lon[i], lat[i], z[i]]);
  else train.push(`${lon[i]},${lat[i]},${z[i]}`);
}
const dir = await Deno.makeTempDir({ prefix: "gam-bench-holdout-" });
try {
  await Deno.writeTextFile(`${dir}/train.csv`, `lon,lat,z\n${train.join("\n")}\n`);
  const R = `-R${W}/${E}/${S}/${N}`, I = `-I${D}`;
  const aspect = Math.cos(((S + N) / 2) * Math.PI / 180);
  // name, command, arguments, the grid it writes
  const runs: [string, string, string[], string][] = [
    ["gam grid mincurv", Deno.execPath(), [
      "run",
      "-A",
      `${REPO}src/cli/main.ts`,
      "grid",
      ...["--input", `${dir}/train.csv`, "--x", "lon", "--y", "lat", "--z", "z"],
      ...["--bbox", `${W},${S},${E},${N}`, "--spacing", `${D}`, "--method", "mincurv"],
      ...["--out", `${dir}/gam.tif`],
    ], `${dir}/gam.tif`],
    ["gmt blockmedian+surface", "sh", [
      "-c",
      `gmt blockmedian ${dir}/train.csv -hi1 ${R} ${I} -bo3d > ${dir}/bm.bin && ` +
      `gmt surface ${dir}/bm.bin -bi3d ${R} ${I} -T0.25 -A${aspect} -G${dir}/gmt.nc && ` +
      `gdal_translate -q -of GTiff ${dir}/gmt.nc ${dir}/gmt.tif`,
    ], `${dir}/gmt.tif`],
  ];
  console.log(
    `bench:grid-holdout: ${train.length} readings gridded at ${D}°, ${held.length} held out`,
  );
  for (const [name, cmd, args, path] of runs) {
    const t0 = performance.now();
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output()
      .catch((e) => ({ success: false, stderr: new TextEncoder().encode(String(e)) }));
    const secs = (performance.now() - t0) / 1000;
    if (!out.success) {
      console.log(`${name.padEnd(24)} FAILED: ${new TextDecoder().decode(out.stderr).trim()}`);
      continue;
    }
    const g = await readGrid(path);
    const nx = g.lon.length, ny = g.lat.length;
    let sum = 0, n = 0;
    for (const [x, y, v] of held) {
      const fi = (x - W) / D, fj = (y - S) / D;
      const i = Math.min(Math.floor(fi), nx - 2), j = Math.min(Math.floor(fj), ny - 2);
      const a = fi - i, b = fj - j;
      const at = (ii: number, jj: number) => g.values[jj * nx + ii];
      const est = (1 - a) * (1 - b) * at(i, j) + a * (1 - b) * at(i + 1, j) +
        (1 - a) * b * at(i, j + 1) + a * b * at(i + 1, j + 1);
      if (est === est) sum += (est - v) ** 2, n++;
    }
    console.log(
      `${name.padEnd(24)} held-out RMS ${Math.sqrt(sum / n).toFixed(3)} nT ` +
        `(${n} readings)  ${secs.toFixed(2)} s`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
