import assert from "node:assert/strict";
import { GridOptionError, gridPoints, projectedGridExtent } from "./gridding.ts";
import { WorkerPool } from "./mod.ts";
import { cellSizeKm } from "./mod.ts";
import { toLonLat } from "../formats/mod.ts";
import { readGrid, writeGrid } from "../formats/mod.ts";
import { moduleTempDir } from "../_testing/temp_dir.ts";
import { validateProcessedGrid } from "../contracts/schemas.ts";

/** Mulberry32: a small fixed-seed PRNG. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CRS = "EPSG:32755"; // WGS 84 / UTM zone 55S, central meridian 147 E
const BBOX: [number, number, number, number] = [146.8, -37.6, 147.2, -37.3];

/**
 * n points scattered in BBOX's projected extent, generated in metres (so a planar field is
 * exact at them) and given to the gridder as EPSG:4326 longitudes and latitudes.
 */
function planarSurvey(n: number, field: (x: number, y: number) => number) {
  const [x0, y0, x1, y1] = projectedGridExtent(BBOX, CRS, 1000);
  const r = rng(7);
  const x = new Float64Array(n), y = new Float64Array(n), value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = x0 - 2000 + (x1 - x0 + 4000) * r();
    y[i] = y0 - 2000 + (y1 - y0 + 4000) * r();
    value[i] = field(x[i], y[i]);
  }
  const { lon, lat } = toLonLat(CRS, x, y);
  return { x, y, points: { lon, lat, value } };
}

Deno.test("gridPoints() in a projected CRS reproduces a planar ramp at the metre nodes", async () => {
  const ramp = (x: number, y: number) => 0.01 * (x - 500000) - 0.002 * (y - 5.8e6) + 40;
  const { points } = planarSurvey(3000, ramp);
  const { grid } = await gridPoints(null, points, {
    bbox: BBOX,
    spacing: 1000,
    method: "linear",
    crs: CRS,
  });
  validateProcessedGrid(grid);
  assert.equal(grid.crs, CRS);
  assert.deepEqual(grid.resolution, { lon: 1000, lat: 1000 });
  const extent = projectedGridExtent(BBOX, CRS, 1000);
  assert.equal(grid.lon[0], extent[0]);
  assert.equal(grid.lat[0], extent[1]);
  assert.equal(grid.lon.at(-1), extent[2]);
  assert.equal(grid.lat.at(-1), extent[3]);
  assert.ok(extent.every((v) => v % 1000 === 0), `extent ${extent} snapped to the spacing`);
  let checked = 0;
  for (let j = 0; j < grid.lat.length; j++) {
    for (let i = 0; i < grid.lon.length; i++) {
      const v = grid.values[j * grid.lon.length + i];
      const want = ramp(grid.lon[i], grid.lat[j]);
      assert.ok(
        Math.abs(v - want) <= 1e-9 * (1 + Math.abs(want)),
        `node ${j},${i}: ${v} vs ${want}`,
      );
      checked++;
    }
  }
  assert.equal(checked, grid.values.length);
  assert.equal(grid.provenance[0].params.crs, CRS);
  assert.equal(grid.provenance[0].params.spacing, 1000);
});

Deno.test("gridPoints() in a projected CRS uses the planar metric: idw equals a naive metre reference", async () => {
  const { x, y, points } = planarSurvey(
    2000,
    (px, py) => Math.sin(px / 7000) * 50 + Math.cos(py / 5000) * 30,
  );
  await using pool = new WorkerPool({ size: 2 });
  const k = 6, power = 2, radius = 9000;
  const { grid } = await gridPoints(pool, points, {
    bbox: BBOX,
    spacing: 2000,
    method: "idw",
    k,
    power,
    radius,
    crs: CRS,
  });
  for (let j = 0; j < grid.lat.length; j += 3) {
    for (let i = 0; i < grid.lon.length; i += 3) {
      const nx = grid.lon[i], ny = grid.lat[j];
      const near = Array.from(x, (_, p) => ({ p, d: Math.hypot(x[p] - nx, y[p] - ny) }))
        .filter((e) => e.d <= radius)
        .sort((a, b) => a.d - b.d || a.p - b.p)
        .slice(0, k);
      let num = 0, den = 0;
      for (const { p, d } of near) {
        const w = 1 / d ** power;
        num += w * points.value[p], den += w;
      }
      const want = near.length === 0 ? NaN : num / den;
      const got = grid.values[j * grid.lon.length + i];
      if (Number.isNaN(want)) assert.ok(Number.isNaN(got), `node ${j},${i} should be empty`);
      else assert.ok(Math.abs(got - want) <= 1e-9 * (1 + Math.abs(want)), `${got} vs ${want}`);
    }
  }
  // The footprint is in km: metres / 1000 (within a cell, footprint.ts).
  const d = grid.dataDistanceKm!;
  const i0 = Math.floor(grid.lon.length / 2), j0 = Math.floor(grid.lat.length / 2);
  const exact = Math.min(
    ...Array.from(x, (_, p) => Math.hypot(x[p] - grid.lon[i0], y[p] - grid.lat[j0])),
  ) / 1000;
  assert.ok(Math.abs(d[j0 * grid.lon.length + i0] - exact) <= 2, `${d[j0 * grid.lon.length + i0]}`);
  assert.ok(exact < 2, `a node in the middle of a dense survey is near data (${exact} km)`);
});

Deno.test("gridPoints() refuses an unsupported crs and a frame with a projected crs, naming crs", async () => {
  const { points } = planarSurvey(50, () => 1);
  const frames: ({ crs: string; frame?: [number, number, number, number] })[] = [
    { crs: "EPSG:9999" },
    { crs: CRS, frame: [146, -38, 148, -37] },
  ];
  for (const extra of frames) {
    await assert.rejects(
      gridPoints(null, points, { bbox: BBOX, spacing: 1000, method: "nearest", ...extra }),
      (e) => e instanceof GridOptionError && e.option === "crs",
    );
  }
});

Deno.test("cellSizeKm() of a projected grid is its spacing in metres / 1000", () => {
  assert.deepEqual(
    cellSizeKm({
      lat: new Float64Array([5.8e6, 5.8e6 + 250]),
      resolution: { lon: 500, lat: 250 },
      crs: CRS,
    }),
    { dxKm: 0.5, dyKm: 0.25 },
  );
});

Deno.test("writeGrid() records a projected grid's CRS in Zarr and GeoTIFF (gdalinfo)", async () => {
  const { points } = planarSurvey(3000, (x) => x / 1000);
  const { grid } = await gridPoints(null, points, {
    bbox: BBOX,
    spacing: 1000,
    method: "block-mean",
    registration: "pixel",
    crs: CRS,
  });
  grid.units = "nT";
  const dir = await moduleTempDir();
  await writeGrid(`${dir}/g.zarr`, grid);
  const back = await readGrid(`${dir}/g.zarr`);
  assert.equal(back.crs, CRS);
  assert.deepEqual(back.bbox, BBOX);
  assert.deepEqual(Array.from(back.lon), Array.from(grid.lon));
  assert.deepEqual(Array.from(back.lat), Array.from(grid.lat));

  await writeGrid(`${dir}/g.tif`, grid);
  const out = await new Deno.Command("gdalinfo", { args: ["-json", `${dir}/g.tif`] }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(info.stac["proj:epsg"], 32755);
  assert.match(info.coordinateSystem.wkt, /UTM zone 55S/);
  assert.deepEqual(info.geoTransform, [
    grid.lon[0] - 500,
    1000,
    0,
    grid.lat.at(-1)! + 500,
    0,
    -1000,
  ]);
  const extent = projectedGridExtent(BBOX, CRS, 1000);
  assert.deepEqual(info.cornerCoordinates.lowerLeft, [extent[0], extent[1]]);
  assert.deepEqual(info.cornerCoordinates.upperRight, [extent[2], extent[3]]);
  assert.deepEqual(info.size, [grid.lon.length, grid.lat.length]);
  // A node's value where GDAL locates its easting/northing.
  const i = 5, j = 7;
  const loc = await new Deno.Command("gdallocationinfo", {
    args: [
      "-valonly",
      "-geoloc",
      "-b",
      "1",
      `${dir}/g.tif`,
      String(grid.lon[i]),
      String(grid.lat[j]),
    ],
  }).output();
  assert.ok(loc.success, new TextDecoder().decode(loc.stderr));
  const want = Math.fround(grid.values[j * grid.lon.length + i]);
  // gdallocationinfo prints 15 significant digits.
  const got = Number(new TextDecoder().decode(loc.stdout).trim());
  assert.ok(Math.abs(got - want) <= 1e-12 * Math.abs(want), `${got} vs ${want}`);
});
