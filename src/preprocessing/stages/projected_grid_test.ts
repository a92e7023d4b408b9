import assert from "node:assert/strict";
import type { ProcessedGrid } from "../../contracts/mod.ts";
import { validateProcessedGrid } from "../../contracts/schemas.ts";
import { GridOptionError, WorkerPool } from "../../compute/mod.ts";
import { fftFilter } from "../../compute/filters.ts";
import { buildPipeline, planStages } from "../builder.ts";
import { checkpoint } from "../checkpoint.ts";
import type { Stage } from "../stage.ts";
import { checkProjectedGridPlan, defaultStageRegistry, PROJECTED_GRID_STAGES } from "./mod.ts";
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

Deno.test("checkProjectedGridPlan() allows the cell-size stages after a projected grid and refuses qc", () => {
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
      : id
  ).join(" -> ");
  checkProjectedGridPlan(plan(`grid(spacing=500, crs="EPSG:32755") -> ${all}`));
  checkProjectedGridPlan(plan("grid(spacing=0.01) -> qc"));
  assert.throws(
    () =>
      checkProjectedGridPlan(plan(`grid(spacing=500, crs="EPSG:32755") -> noise(sigma=1) -> qc`)),
    (e) =>
      e instanceof GridOptionError && e.option === "crs" &&
      /stage "qc" \(branch main\) cannot follow stage "grid" with crs "EPSG:32755"/.test(e.message),
  );
});
