import assert from "node:assert/strict";
import { validateProcessedGrid } from "../../contracts/schemas.ts";
import { WorkerPool } from "../../compute/mod.ts";
import { createLogger } from "../../observability/mod.ts";
import { buildPipeline, PipelineDefinitionError, planStages } from "../builder.ts";
import { runPipeline } from "../runner.ts";
import type { StageData } from "../stage.ts";
import * as surface from "../mod.ts";
import { defaultStageRegistry, stageReport } from "./mod.ts";
import { gridFixture, surveyPoints, testContext } from "./_testing.ts";

const ALL = [
  "bandpass",
  "bouguer",
  "derivative",
  "grid",
  "noise",
  "normal-gravity",
  "outlier",
  "qc",
  "rtp",
  "tilt",
  "units",
  "upward",
];

Deno.test("defaultStageRegistry() holds every stage with a semver version and a summary", () => {
  const registry = defaultStageRegistry();
  assert.deepEqual([...registry.keys()].sort(), ALL);
  for (const [id, kind] of registry) {
    assert.equal(kind.id, id);
    assert.match(kind.version, /^\d+\.\d+\.\d+$/, `${id} version`);
    assert.ok(kind.summary.length > 10, `${id} summary`);
  }
  assert.equal(surface.defaultStageRegistry().size, ALL.length, "mod.ts re-exports the registry");
});

Deno.test("buildPipeline() builds the issue's arrow example with the default registry", () => {
  const plan = buildPipeline(
    "outlier(method=mad, threshold=3.5) -> grid(method=mincurv, spacing=0.01) -> " +
      "{ fine: qc, coarse: grid(spacing=0.1) -> qc }",
    defaultStageRegistry(),
    "1.0.0",
  );
  const stages = planStages(plan).map(({ branch, stage }) => `${branch}:${stage.id}`);
  assert.deepEqual(stages, [
    "main:outlier",
    "main:grid",
    "fine:qc",
    "coarse:grid",
    "coarse:qc",
  ]);
  const coarse = planStages(plan)[3].stage;
  assert.equal(coarse.spacing, 0.1, "the grid stage promises its spacing to the checkpoint");
  assert.equal((coarse.params as { method: string }).method, "block-mean", "default method");
});

Deno.test("stage parameter schemas reject bad values naming the stage and field", () => {
  const registry = defaultStageRegistry();
  const cases: [string, RegExp][] = [
    ["noise(method=gaussian)", /stage "noise".*sigma: gaussian needs exactly one of sigma/],
    ["noise(method=median)", /stage "noise".*size: median needs size/],
    ["noise(method=median, size=4)", /size: must be an odd integer >= 1/],
    ["noise(sigma=2, size=3)", /size: size applies to median only/],
    ["noise(method=median, size=3, sigma=1)", /sigma: sigma and wavelengthKm apply to gaussian/],
    ["bandpass(lowKm=50, highKm=10)", /stage "bandpass".*highKm: must be larger than lowKm \(50\)/],
    [
      "bandpass(lowKm=5, highKm=10, shape=cosine, order=3)",
      /stage "bandpass".*order: applies to shape butterworth, not cosine/,
    ],
    ["rtp(inclination=30, declination=400)", /declination: must be in \[-180, 360\] degrees/],
    ["grid(method=nearest, spacing=0)", /stage "grid".*spacing/],
    ["grid(method=kriging, spacing=0.1)", /stage "grid".*method/],
    ["qc(order=3)", /stage "qc".*order/],
    ["rtp(inclination=100, declination=0)", /stage "rtp".*inclination/],
    ["upward(heightM=-5)", /stage "upward".*heightM/],
    ["outlier(method=sigma)", /stage "outlier".*method/],
    ["tilt(order=2)", /stage "tilt"/],
    ["derivative(direction=z)", /stage "derivative".*direction/],
  ];
  for (const [definition, pattern] of cases) {
    assert.throws(
      () => buildPipeline(definition, registry),
      (e: unknown) => e instanceof PipelineDefinitionError && pattern.test(e.message),
      definition,
    );
  }
});

Deno.test("grid stages refuse survey points naming the stage; outlier refuses drop on grids", async () => {
  const registry = defaultStageRegistry();
  const points = await surveyPoints();
  const { grid } = await gridFixture("bodies_grid.json");
  const ctx = testContext({} as WorkerPool);
  for (const id of ["noise", "bandpass", "upward", "derivative", "rtp", "tilt", "qc"]) {
    const params: Record<string, unknown> = {
      noise: { sigma: 1 },
      bandpass: { lowKm: 1, highKm: 10 },
      upward: { heightM: 100 },
      rtp: { inclination: 30, declination: 0 },
    }[id] ?? {};
    const kind = registry.get(id)!;
    const stage = kind.create(kind.paramsSchema.parse(params));
    await assert.rejects(stage.execute(points, ctx), /expects a grid, got survey points/, id);
  }
  const outlier = registry.get("outlier")!;
  const drop = outlier.create(outlier.paramsSchema.parse({ action: "drop" }));
  await assert.rejects(drop.execute(grid, ctx), /"drop" applies to survey points/);
  const hampel = outlier.create(outlier.paramsSchema.parse({ method: "hampel" }));
  const noLines = { ...points, points: { ...points.points, line: undefined } };
  await assert.rejects(hampel.execute(noLines, ctx), /needs flight-line ids/);
});

Deno.test("grid stage grids the survey onto the request bbox at its spacing (checkpoint passes)", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const plan = buildPipeline(
    "grid(method=nearest, spacing=0.05, radius=0.05)",
    defaultStageRegistry(),
  );
  const result = await runPipeline(plan, await surveyPoints(), {
    pool,
    logger: createLogger({ level: "silent" }),
    request: { modality: "gravity", bbox: [10, 45, 11, 45.8] },
  });
  assert.deepEqual(result.failures, []);
  const grid = validateProcessedGrid(result.outputs[0].data);
  assert.equal(grid.lon.length, 21);
  assert.equal(grid.lat.length, 17);
  assert.equal(grid.units, "mGal");
  assert.equal(grid.modality, "gravity");
  assert.deepEqual(grid.bbox, [10, 45, 11, 45.8]);
  assert.equal(grid.provenance.at(-1)!.step, "grid");
  // Nearest takes values from the survey: within its range (spikes included).
  const finite = [...grid.values].filter(Number.isFinite);
  assert.ok(finite.length > 0.9 * grid.values.length, `${finite.length} nodes with values`);
});

Deno.test("grid stage regrids a source grid by its nodes", async () => {
  await using pool = new WorkerPool({ size: 1 });
  const { grid: g } = await gridFixture("bodies_grid.json");
  const kind = defaultStageRegistry().get("grid")!;
  const stage = kind.create(kind.paramsSchema.parse({ method: "block-mean", spacing: 0.05 }));
  const raw: StageData = {
    source: { plugin: "model", version: "1" },
    modality: "gravity",
    kind: "grid",
    bbox: [10, 45, 11, 45.8],
    units: "mGal",
    crs: "EPSG:4326",
    metadata: { retrievedAt: "2026-11-25T00:00:00Z", licence: "CC0-1.0", citation: "x" },
    grid: { lat: g.lat, lon: g.lon, values: g.values },
  };
  const out = validateProcessedGrid(await stage.execute(raw, testContext(pool)));
  assert.equal(out.resolution.lon, 0.05);
  // The block mean over 0.05° blocks of a smooth field stays inside the field's range.
  const range = [
    Math.min(...g.values.filter(Number.isFinite)),
    Math.max(...g.values.filter(Number.isFinite)),
  ];
  for (const v of out.values) if (Number.isFinite(v)) assert.ok(v >= range[0] && v <= range[1]);
});

Deno.test("stageReport() reads reports attached to raw data and to grids", async () => {
  const { attachReport } = await import("./_grid.ts");
  const points = await surveyPoints();
  const withReport = attachReport(points, "outlier", "1.0.0", { flagged: 3 });
  assert.deepEqual(stageReport(withReport, "outlier"), { flagged: 3 });
  assert.equal(stageReport(points, "outlier"), undefined);
  const { grid } = await gridFixture("seam_grid.json");
  const twice = attachReport(attachReport(grid, "qc", "1.0.0", { n: 1 }), "qc", "1.0.0", { n: 2 });
  assert.deepEqual(stageReport(twice, "qc"), { n: 2 }, "the last report wins");
  assert.equal(stageReport(grid, "qc"), undefined);
});
