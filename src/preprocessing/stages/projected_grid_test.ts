import assert from "node:assert/strict";
import type { ProcessedGrid } from "../../contracts/mod.ts";
import { validateProcessedGrid } from "../../contracts/schemas.ts";
import { GridOptionError } from "../../compute/gridding.ts";
import { WorkerPool } from "../../compute/mod.ts";
import { fftFilter } from "../../compute/mod.ts";
import { buildPipeline, planStages } from "../builder.ts";
import { checkpoint } from "../checkpoint.ts";
import type { Stage } from "../stage.ts";
import {
  checkProjectedGridPlan,
  defaultStageRegistry,
  PROJECTED_GRID_STAGES,
  qcReportOf,
} from "./mod.ts";
import { toLonLat } from "../../formats/mod.ts";
import { surveyPoints, testContext } from "./_testing.ts";

function create(id: string, params: Record<string, unknown> = {}) {
  const kind = defaultStageRegistry().get(id)!;
  return kind.create(kind.paramsSchema.parse(params)) as Stage;
}

Deno.test("grid stage with crs grids in metres, passes its checkpoint, and upward uses metre cells", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const ctx = testContext(pool);
  const stage = create("grid", { method: "idw", spacing: 2000, radius: 6000, crs: "EPSG:32632" });
  const grid = await stage.execute(await surveyPoints(), ctx) as ProcessedGrid;
  validateProcessedGrid(grid);
  assert.equal(grid.crs, "EPSG:32632");
  assert.deepEqual(grid.resolution, { lon: 2000, lat: 2000 });
  assert.ok(grid.lon[0] > 100_000 && grid.lat[0] > 4_000_000, "axes are UTM metres");
  assert.deepEqual(grid.bbox, ctx.request.bbox);
  // The stage's checkpoint: the grid covers the bbox's projected extent at the promised spacing.
  checkpoint(stage, grid, { bbox: ctx.request.bbox, branch: "main" });

  const up = await create("upward", { heightM: 1000 }).execute(grid, ctx) as ProcessedGrid;
  const want = await fftFilter(pool, {
    values: Float64Array.from(grid.values),
    nx: grid.lon.length,
    ny: grid.lat.length,
  }, { dxKm: 2, dyKm: 2, operation: { op: "upward", heightM: 1000 } });
  assert.deepEqual(Array.from(up.values), Array.from(want));
  assert.equal(up.crs, "EPSG:32632");

  // Regridding a projected grid is refused, naming crs.
  await assert.rejects(
    create("grid", { spacing: 0.05 }).execute(grid, ctx),
    (e) => e instanceof GridOptionError && e.option === "crs",
  );
});

Deno.test("qc on a projected grid: completeness over the lon/lat bbox, anomalies in lon/lat and metres", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const ctx = testContext(pool);
  const points = await surveyPoints();
  const projected = await create("grid", {
    method: "idw",
    spacing: 2000,
    radius: 6000,
    crs: "EPSG:32632",
  }).execute(points, ctx) as ProcessedGrid;
  const out = await create("qc").execute(projected, ctx) as ProcessedGrid;
  const report = qcReportOf(out)!;
  // Nodes of the UTM rectangle outside the lon/lat bbox are not counted.
  assert.ok(report.completeness.cells < projected.values.length);
  assert.ok(report.completeness.fraction > 0.5, `${report.completeness.fraction}`);
  assert.equal(report.completeness.supportKm, 3 * 2);
  assert.ok(report.anomalies.length > 0, "the fixture's bodies are found");
  const { lon, lat } = toLonLat(
    "EPSG:32632",
    Float64Array.from(report.anomalies, (a) => a.attributes!.x as number),
    Float64Array.from(report.anomalies, (a) => a.attributes!.y as number),
  );
  report.anomalies.forEach((a, k) => {
    assert.ok(Math.abs(a.lon - lon[k]) < 1e-9 && Math.abs(a.lat - lat[k]) < 1e-9);
    const [w, s, e, n] = ctx.request.bbox;
    assert.ok(a.lon >= w - 0.1 && a.lon <= e + 0.1 && a.lat >= s - 0.1 && a.lat <= n + 0.1);
    assert.equal(a.attributes!.areaKm2, (a.attributes!.cells as number) * 4);
  });
  // The same bodies as on the EPSG:4326 grid: each strong anomaly there has one within 5 km here.
  const geographic = await create("grid", { method: "idw", spacing: 0.02, radius: 0.06 })
    .execute(points, ctx) as ProcessedGrid;
  const geoReport = qcReportOf(await create("qc").execute(geographic, ctx) as ProcessedGrid)!;
  for (const g of geoReport.anomalies.filter((a) => a.confidence > 0.9)) {
    const km = Math.min(
      ...report.anomalies.map((a) =>
        Math.hypot((a.lon - g.lon) * Math.cos((g.lat * Math.PI) / 180), a.lat - g.lat) * 111.2
      ),
    );
    assert.ok(km < 5, `anomaly at ${g.lon}, ${g.lat}: nearest projected one ${km} km away`);
  }
});

Deno.test("checkProjectedGridPlan() allows the cell-size stages and qc after a projected grid, refuses a second grid", () => {
  const plan = (definition: string) =>
    planStages(buildPipeline(definition, defaultStageRegistry(), "1.0.0"));
  const all = PROJECTED_GRID_STAGES.map((id) =>
    id === "rtp"
      ? "rtp(inclination=-60, declination=10)"
      : id === "bandpass"
      ? "bandpass(lowKm=1, highKm=20)"
      : id === "upward"
      ? "upward(heightM=100)"
      : id === "noise"
      ? "noise(sigma=1)"
      : id === "units"
      ? "units(to=mGal)"
      : id
  ).join(" -> ");
  checkProjectedGridPlan(plan(`grid(spacing=500, crs="EPSG:32755") -> ${all}`));
  checkProjectedGridPlan(plan("grid(spacing=0.01) -> qc"));
  assert.throws(
    () =>
      checkProjectedGridPlan(
        plan(`grid(spacing=500, crs="EPSG:32755") -> noise(sigma=1) -> grid(spacing=0.1)`),
      ),
    (e) =>
      e instanceof GridOptionError && e.option === "crs" &&
      /stage "grid" \(branch main\) cannot follow stage "grid" with crs "EPSG:32755"/.test(
        e.message,
      ),
  );
});
