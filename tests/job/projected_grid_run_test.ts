/**
 * Gridding in a projected CRS end to end (issue 20): ASEG's MuppetTown sample (ASEG-GDF2, MGA
 * zone 55 eastings/northings) read by the `file` plugin with `crs: EPSG:28355`, gridded by the
 * `grid` stage with `crs=EPSG:28355` in `gam run`, and by `gam grid --crs`; the GeoTIFFs are
 * checked with `gdalinfo -json` and `gdallocationinfo`.
 */
import assert from "node:assert/strict";
import { readAsegGdf } from "../../src/formats/mod.ts";
import { projectedGridExtent } from "../../src/compute/gridding.ts";
import { toLonLat } from "../../src/formats/mod.ts";
import { openDatabase } from "../../src/persistence/mod.ts";
import { fileSurveyConfig, runConfig, writeConfig } from "./_file_survey.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const DAT = new URL("../data/survey_formats/muppettown.dat", import.meta.url).pathname;
const CRS = "EPSG:28355";
const BBOX: [number, number, number, number] = [147.43, -34.34, 147.44, -34.33];
const dec = new TextDecoder();

/** The sample's MGA eastings, northings and compensated magnetic field. */
async function muppetTown() {
  const s = await readAsegGdf(DAT, { columns: ["EAST_MGA", "NORTH_MGA", "MAGCOMP"] });
  const [x, y, mag] = s.columns;
  return { x, y, mag };
}

async function gdalinfo(path: string) {
  const out = await new Deno.Command("gdalinfo", { args: ["-json", path] }).output();
  assert.ok(out.success, dec.decode(out.stderr));
  return JSON.parse(dec.decode(out.stdout));
}

async function valueAt(path: string, x: number, y: number): Promise<number> {
  const out = await new Deno.Command("gdallocationinfo", {
    args: ["-valonly", "-geoloc", "-b", "1", path, String(x), String(y)],
  }).output();
  assert.ok(out.success, dec.decode(out.stderr));
  return Number(dec.decode(out.stdout).trim());
}

/**
 * Checks a nearest-neighbour GeoTIFF of the sample at 5 m: EPSG:28355, 5 m pixels, the extent
 * of the bbox, and at each reading's position the value of its nearest reading.
 */
async function checkGeoTiff(path: string): Promise<void> {
  const info = await gdalinfo(path);
  assert.equal(info.stac["proj:epsg"], 28355);
  assert.match(info.coordinateSystem.wkt, /GDA94 \/ MGA zone 55/);
  assert.deepEqual([info.geoTransform[1], info.geoTransform[5]], [5, -5]);
  const [x0, y0, x1, y1] = projectedGridExtent(BBOX, CRS, 5);
  // Gridline registration: nodes on the extent's edges, pixels centred on them.
  assert.deepEqual(info.cornerCoordinates.lowerLeft, [x0 - 2.5, y0 - 2.5]);
  assert.deepEqual(info.cornerCoordinates.upperRight, [x1 + 2.5, y1 + 2.5]);
  const { x, y, mag } = await muppetTown();
  for (let i = 0; i < x.length; i++) {
    // The node nearest to reading i, and the reading nearest to that node.
    const nx = x0 + Math.round((x[i] - x0) / 5) * 5, ny = y0 + Math.round((y[i] - y0) / 5) * 5;
    let best = 0;
    for (let p = 1; p < x.length; p++) {
      if (Math.hypot(x[p] - nx, y[p] - ny) < Math.hypot(x[best] - nx, y[best] - ny)) best = p;
    }
    assert.equal(await valueAt(path, nx, ny), Math.fround(mag[best]), `node near reading ${i}`);
  }
}

Deno.test("gam run grids an MGA survey in EPSG:28355 and writes its GeoTIFF in that CRS", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-projected-" }));
  try {
    const config = fileSurveyConfig(dir, {
      bbox: BBOX,
      params: {
        path: DAT,
        columns: { lon: "EAST_MGA", lat: "NORTH_MGA", value: "MAGCOMP", line: "LINE" },
        crs: CRS,
        licence: "CC-BY-4.0",
        citation: "ASEG-GDF2 MuppetTown sample",
      },
      read: [DAT, DAT.replace(/\.dat$/, ".dfn")],
      definition: `grid(method=nearest, spacing=5, radius=8, crs="${CRS}") -> qc`,
      maxNanRatio: 1,
    });
    await writeConfig(`${dir}/gam.yaml`, config);
    const run = (yaml: string) => runConfig(dir, yaml);
    const out = await run(`${dir}/gam.yaml`);
    assert.equal(out.code, 0, out.stdout + out.stderr.slice(-3000));
    const { runId } = JSON.parse(out.stdout);
    await checkGeoTiff(`${dir}/out/runs/${runId}/grids/magnetic-main.tif`);

    // Persisted with the request's lon/lat bbox, the CRS and the spacing in metres.
    const db = await openDatabase({ url: "", dataDir: `${dir}/out/db` });
    try {
      const [row] = await db.sql.query<{ bbox: string; crs: string; spacing: number }>(
        `SELECT ST_AsText(g.grid_bbox) AS bbox, g.stats->>'crs' AS crs,
                (g.stats->>'spacingM')::float8 AS spacing
           FROM grids g JOIN surveys s ON s.id = g.survey_id WHERE s.run_id = $1`,
        [runId],
      );
      assert.equal(row.crs, CRS);
      assert.equal(Number(row.spacing), 5);
      const [w, so, e, n] = BBOX;
      assert.equal(row.bbox, `POLYGON((${w} ${so},${w} ${n},${e} ${n},${e} ${so},${w} ${so}))`);
    } finally {
      await db.close();
    }

    // A second run takes the grid from the preprocessing cache, CRS and axes included.
    const again = await run(`${dir}/gam.yaml`);
    assert.equal(again.code, 0, again.stderr.slice(-3000));
    const second = JSON.parse(again.stdout);
    assert.equal(second.modalities[0].cache, "hit");
    await checkGeoTiff(`${dir}/out/runs/${second.runId}/grids/magnetic-main.tif`);

    // The report draws the grid in metres.
    const html = await Deno.readTextFile(`${dir}/out/runs/${runId}/report.html`);
    assert.match(html, /5 m, EPSG:28355\)/);
    assert.match(html, /\d+ mE</);

    // A stage that needs a longitude/latitude grid after it is refused before the run, naming
    // the stage and the grid stage's crs.
    config.modalities.magnetic.pipeline.definition += " -> grid(spacing=0.001)";
    await writeConfig(`${dir}/qc.yaml`, config);
    const refused = await run(`${dir}/qc.yaml`);
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      /stage "grid" \(branch main\) cannot follow stage "grid" with crs "EPSG:28355"/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gam grid --crs EPSG:28355 grids the MGA survey in metres", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gam-projected-grid-" });
  try {
    // gam grid reads longitude/latitude: the sample's MGA positions, transformed.
    const { x, y, mag } = await muppetTown();
    const { lon, lat } = toLonLat(CRS, x, y);
    const rows = ["lon,lat,mag_nt", ...Array.from(mag, (m, i) => `${lon[i]},${lat[i]},${m}`)];
    await Deno.writeTextFile(`${dir}/survey.csv`, rows.join("\n") + "\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--unstable-worker-options",
        MAIN,
        "grid",
        `${dir}/survey.csv`,
        ...["--x", "lon", "--y", "lat", "--z", "mag_nt", "--bbox", BBOX.join(",")],
        ...["--crs", CRS, "--spacing", "5", "--method", "nearest", "--radius", "8"],
        ...["--out", `${dir}/mag.tif`],
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, dec.decode(out.stderr));
    await checkGeoTiff(`${dir}/mag.tif`);

    const bad = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        MAIN,
        "grid",
        `${dir}/survey.csv`,
        ...["--x", "lon", "--y", "lat", "--z", "mag_nt", "--bbox", BBOX.join(",")],
        ...["--crs", "EPSG:4267", "--spacing", "5", "--method", "nearest", "--out", `${dir}/b.tif`],
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(bad.code, 2);
    assert.match(dec.decode(bad.stderr), /--crs: CRS "EPSG:4267" is not supported/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
