import assert from "node:assert/strict";
import type { Bbox } from "../contracts/mod.ts";
import { gridPoints, type GridPointsOptions } from "../compute/gridding.ts";
import { mulberry32 } from "../plugins/in_process.ts";
import { effectiveHalo, haloMinimum, ownedRange, planTiles, splitPlan } from "./tiles.ts";
import { stitchTiles } from "./stitch.ts";
import {
  buildPipeline,
  defaultStageRegistry,
  qcReportOf,
  runPipeline,
} from "../preprocessing/mod.ts";
import { WorkerPool } from "../compute/mod.ts";
import { createLogger } from "../observability/mod.ts";

const BBOX: Bbox = [10, 45, 10.8, 45.6];

/** Scattered points of a smooth field with a little noise, in a fixed order. */
function points(n: number) {
  const rnd = mulberry32(7);
  const lon = new Float64Array(n), lat = new Float64Array(n), value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lon[i] = BBOX[0] - 0.1 + rnd() * 1.0;
    lat[i] = BBOX[1] - 0.1 + rnd() * 0.8;
    value[i] = 50 * Math.sin(lon[i] * 7) * Math.cos(lat[i] * 5) + (rnd() - 0.5);
  }
  return { lon, lat, value };
}

/** The points inside `bbox`, in their original order (what a file source returns for a tile). */
function inside(p: ReturnType<typeof points>, bbox: Bbox) {
  const keep: number[] = [];
  for (let i = 0; i < p.lon.length; i++) {
    if (p.lon[i] >= bbox[0] && p.lon[i] <= bbox[2] && p.lat[i] >= bbox[1] && p.lat[i] <= bbox[3]) {
      keep.push(i);
    }
  }
  const pick = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
  return { lon: pick(p.lon), lat: pick(p.lat), value: pick(p.value) };
}

async function tiledVsWhole(o: Omit<GridPointsOptions, "bbox">, haloDeg: number) {
  const p = points(6000);
  const whole = (await gridPoints(null, inside(p, BBOX), { ...o, bbox: BBOX })).grid;
  const halo = effectiveHalo({ unit: "auto" }, haloDeg, o.spacing, BBOX).halo;
  const tiles = planTiles(BBOX, { size: 0.2, halo });
  assert.equal(tiles.length, 12);
  const grids = [];
  for (const tile of tiles) {
    const r = await gridPoints(null, inside(p, tile.halo), { ...o, bbox: tile.halo, frame: BBOX });
    grids.push({ tile, grid: r.grid });
  }
  const stitched = stitchTiles(grids, {
    bbox: BBOX,
    spacing: o.spacing,
    registration: o.registration ?? "gridline",
  });
  assert.deepEqual(stitched.lon, whole.lon);
  assert.deepEqual(stitched.lat, whole.lat);
  return { whole, stitched };
}

for (const method of ["block-mean", "block-median", "nearest", "idw"] as const) {
  Deno.test(`a tiled ${method} grid is bit-identical to the whole grid`, async () => {
    const o = {
      spacing: 0.01,
      method,
      ...(method === "nearest" || method === "idw" ? { radius: 0.03 } : {}),
      ...(method === "idw" ? { k: 8 } : {}),
    };
    const { whole, stitched } = await tiledVsWhole(o, 0.03);
    const bytes = (v: Float64Array | Float32Array) =>
      new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    const a = bytes(whole.values), b = bytes(stitched.values);
    assert.equal(a.length, b.length);
    let differ = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
    assert.equal(differ, 0, `${differ} bytes differ`);
  });
}

for (const method of ["linear", "mincurv"] as const) {
  Deno.test(`a tiled ${method} grid is within 1% of the field's std of the whole grid`, async () => {
    const o = { spacing: 0.01, method };
    const stages =
      buildPipeline(`grid(method=${method}, spacing=0.01)`, defaultStageRegistry(), "1.0.0")
        .root.stages;
    const { whole, stitched } = await tiledVsWhole(o, haloMinimum(stages).degrees);
    let n = 0, sum = 0, sum2 = 0, d2 = 0;
    for (let i = 0; i < whole.values.length; i++) {
      const a = whole.values[i], b = stitched.values[i];
      if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
      n++;
      sum += a;
      sum2 += a * a;
      d2 += (a - b) ** 2;
    }
    const std = Math.sqrt(sum2 / n - (sum / n) ** 2);
    const rms = Math.sqrt(d2 / n);
    assert.ok(rms <= 0.01 * std, `RMS ${rms} > 1% of std ${std}`);
    // The QC stage's seam check along the tile edges (square tiles of 0.2 degrees from the
    // south-west node, as planTiles cuts them): no seam above its threshold.
    await using pool = new WorkerPool({ size: 1 });
    const silent = createLogger({ level: "error", sink: () => {} });
    const qc = await runPipeline(
      buildPipeline("qc(tileDeg=0.2)", defaultStageRegistry(), "1.0.0"),
      stitched,
      { pool, logger: silent, request: { modality: "gravity", bbox: BBOX } },
    );
    const report = qcReportOf(qc.outputs[0].data)!;
    assert.ok(report.seamsChecked);
    assert.ok(report.seams.length >= 17, `${report.seams.length} seams`); // 12 tiles: 17 edges
    const worst = Math.max(...report.seams.map((x) => Math.abs(x.offset)));
    console.log(
      `${method}: RMS ${rms.toExponential(3)} = ${(100 * rms / std).toFixed(4)}% of std ` +
        `${std.toFixed(3)} over ${n} nodes; seams ${report.seams.length}, flagged ` +
        `${report.seams.filter((x) => x.flagged).length}, largest |offset| ${
          worst.toExponential(2)
        }`,
    );
    assert.deepEqual(report.seams.filter((x) => x.flagged), []);
  });
}

Deno.test("planTiles() covers the bbox once, halos clipped to the run's bbox", () => {
  const tiles = planTiles([-180, 80, -179, 90], { size: 0.4, halo: { lat: 1, lon: 2 } });
  assert.deepEqual(tiles.map((t) => t.key), [
    "r0c0",
    "r0c1",
    "r0c2",
    "r1c0",
    "r1c1",
    "r1c2",
    "r2c0",
    "r2c1",
    "r2c2",
    "r3c0",
    "r3c1",
    "r3c2",
    "r4c0",
    "r4c1",
    "r4c2",
    "r5c0",
    "r5c1",
    "r5c2",
    "r6c0",
    "r6c1",
    "r6c2",
    "r7c0",
    "r7c1",
    "r7c2",
    "r8c0",
    "r8c1",
    "r8c2",
    "r9c0",
    "r9c1",
    "r9c2",
    "r10c0",
    "r10c1",
    "r10c2",
    "r11c0",
    "r11c1",
    "r11c2",
    "r12c0",
    "r12c1",
    "r12c2",
    "r13c0",
    "r13c1",
    "r13c2",
    "r14c0",
    "r14c1",
    "r14c2",
    "r15c0",
    "r15c1",
    "r15c2",
    "r16c0",
    "r16c1",
    "r16c2",
    "r17c0",
    "r17c1",
    "r17c2",
    "r18c0",
    "r18c1",
    "r18c2",
    "r19c0",
    "r19c1",
    "r19c2",
    "r20c0",
    "r20c1",
    "r20c2",
    "r21c0",
    "r21c1",
    "r21c2",
    "r22c0",
    "r22c1",
    "r22c2",
    "r23c0",
    "r23c1",
    "r23c2",
    "r24c0",
    "r24c1",
    "r24c2",
  ]);
  assert.equal(tiles[0].halo[0], -180);
  assert.equal(tiles.at(-1)!.halo[3], 90);
  assert.equal(tiles.at(-1)!.core[2], -179);
  assert.ok(tiles.at(-1)!.east && tiles.at(-1)!.north);
  assert.throws(() => planTiles([0, 0, 1, 1], { size: 0, halo: { lat: 0, lon: 0 } }), RangeError);
});

Deno.test("ownedRange() gives every node of an axis to exactly one tile", () => {
  const axis = Float64Array.from({ length: 81 }, (_, i) => 10 + i * 0.01);
  const tiles = planTiles([10, 0, 10.8, 1], { size: 0.2, halo: { lat: 0, lon: 0 } })
    .filter((t) => t.row === 0);
  const owned = tiles.map((t) => ownedRange(axis, t.core[0], t.core[2], t.east, 0.01));
  assert.deepEqual(owned, [[0, 20], [20, 40], [40, 60], [60, 81]]);
});

Deno.test("haloMinimum() reads the grid reach and filter widths; splitPlan() cuts at qc", () => {
  const reg = defaultStageRegistry();
  const plan = buildPipeline(
    "grid(method=idw, spacing=0.01, radius=0.05) -> noise(method=gaussian, sigma=3) -> qc",
    reg,
    "1.0.0",
  );
  const { tile, mosaic } = splitPlan(plan);
  assert.deepEqual(tile.root.stages.map((s) => s.id), ["grid", "noise"]);
  assert.deepEqual(mosaic.root.stages.map((s) => s.id), ["qc"]);
  const m = haloMinimum(tile.root.stages);
  assert.ok(Math.abs(m.degrees - 0.12) < 1e-12, String(m.degrees)); // 4 sigma x 3 cells x 0.01
  assert.match(m.reason, /gaussian/);
  assert.throws(
    () => haloMinimum(buildPipeline("grid(method=idw, spacing=0.01)", reg, "1").root.stages),
    /no finite radius/,
  );
  assert.throws(() => splitPlan(buildPipeline("qc", reg, "1")), /no "grid" stage/);
  assert.throws(
    () =>
      splitPlan(
        buildPipeline('grid(spacing=500, crs="EPSG:32755") -> upward(heightM=10)', reg, "1"),
      ),
    /stage "grid" has crs "EPSG:32755": a queued run tiles and stitches EPSG:4326 grids only/,
  );
  const raised = effectiveHalo({ unit: "km", value: 1 }, 0.05, 0.01, [10, 0, 11, 1]);
  assert.equal(raised.raised, true);
  assert.ok(raised.halo.lat >= 0.05);
});
