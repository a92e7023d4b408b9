import assert from "node:assert/strict";
import type { ProcessedGrid, RawPoints } from "../../contracts/mod.ts";
import { gridChecksum } from "../../contracts/checksum.ts";
import { validateProcessedGrid } from "../../contracts/schemas.ts";
import { WorkerPool } from "../../compute/mod.ts";
import { createLogger } from "../../observability/mod.ts";
import { buildPipeline } from "../builder.ts";
import { runPipeline } from "../runner.ts";
import { valueStatistics } from "../statistics.ts";
import type { StageData } from "../stage.ts";
import {
  defaultStageRegistry,
  type OutlierReport,
  qcReportOf,
  qcStage,
  qualityControl,
  stageReport,
} from "./mod.ts";
import { BODIES, field } from "../../../scripts/fixtures/phase2.ts";
import { gridFixture, surveyPoints, testContext } from "./_testing.ts";

function create(id: string, params: Record<string, unknown> = {}) {
  const kind = defaultStageRegistry().get(id)!;
  return kind.create(kind.paramsSchema.parse(params));
}

Deno.test("outlier stage drops the fixture's 20 spikes by Hampel along lines and reports counts", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const input = await surveyPoints();
  const { lon, lat, value } = input.points;
  const isSpike = (k: number) => Math.abs(value[k] - field(lon[k], lat[k])) > 10;
  const out = await create("outlier", {
    method: "hampel",
    threshold: 10,
    halfWindow: 3,
    action: "drop",
  }).execute(input, testContext(pool)) as RawPoints;
  const report = stageReport(out, "outlier") as OutlierReport;
  assert.equal(report.total, 2000);
  assert.equal(report.finite, 1990);
  assert.equal(out.points.lon.length, 2000 - report.flagged);
  assert.equal(out.points.line!.length, out.points.lon.length);
  assert.equal(input.points.lon.length, 2000, "input not mutated");
  // Every spike is gone, and at most 2 genuine readings (steep body flanks) went with them.
  for (let k = 0; k < out.points.lon.length; k++) {
    const v = out.points.value[k];
    if (Number.isFinite(v)) {
      assert.ok(Math.abs(v - field(out.points.lon[k], out.points.lat[k])) < 10, `kept ${v}`);
    }
  }
  const spikes = [...value.keys()].filter(isSpike).length;
  assert.equal(spikes, 20);
  assert.ok(report.flagged >= 20 && report.flagged <= 22, JSON.stringify(report));
});

Deno.test("outlier stage sets flagged values to NaN or to the median without moving NaN", async () => {
  await using pool = new WorkerPool({ size: 1 });
  const input = await surveyPoints();
  const value = Float64Array.from(input.points.value);
  value[5] = 1e4; // one extreme value beside the fixture's own NaN
  const raw: RawPoints = { ...input, points: { ...input.points, value } };
  const nan = await create("outlier", { method: "zscore", threshold: 10, action: "nan" })
    .execute(raw, testContext(pool)) as RawPoints;
  assert.ok(Number.isNaN(nan.points.value[5]));
  const nanBefore = [...value].filter(Number.isNaN).length;
  assert.equal([...nan.points.value].filter(Number.isNaN).length, nanBefore + 1);
  const med = await create("outlier", { method: "iqr", threshold: 20, action: "median" })
    .execute(raw, testContext(pool)) as RawPoints;
  const finite = [...value].filter((v) => Number.isFinite(v) && v !== 1e4).sort((a, b) => a - b);
  const n = finite.length + 1; // the median includes the extreme value
  const all = [...finite, 1e4].sort((a, b) => a - b);
  const median = n % 2 ? all[(n - 1) / 2] : (all[n / 2 - 1] + all[n / 2]) / 2;
  assert.equal(med.points.value[5], median);
  // Hampel with median replacement on a grid works along rows.
  const { grid } = await gridFixture("bodies_grid.json");
  const spiked = Float64Array.from(grid.values);
  spiked[20 * grid.lon.length + 40] += 50;
  const g = await create("outlier", { method: "hampel", threshold: 5, action: "median" })
    .execute({ ...grid, values: spiked }, testContext(pool)) as ProcessedGrid;
  const i = 20 * grid.lon.length + 40;
  assert.ok(Math.abs(g.values[i] - grid.values[i]) < 0.5, `${g.values[i]} vs ${grid.values[i]}`);
  assert.equal((stageReport(g, "outlier") as OutlierReport).flagged >= 1, true);
});

Deno.test("noise stage: gaussian by sigma or wavelength, median; NaN cells stay NaN", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const { grid } = await gridFixture("bodies_grid.json");
  const ctx = testContext(pool);
  const rough = (g: ProcessedGrid) => {
    let s = 0;
    const nx = g.lon.length;
    for (let k = 1; k < g.values.length; k++) {
      const d = g.values[k] - g.values[k - 1];
      if (k % nx && Number.isFinite(d)) s += d * d;
    }
    return s;
  };
  const s1 = await create("noise", { sigma: 1 }).execute(grid, ctx) as ProcessedGrid;
  const s3 = await create("noise", { sigma: 3 }).execute(grid, ctx) as ProcessedGrid;
  assert.ok(rough(s3) < rough(s1) && rough(s1) < rough(grid), "stronger with sigma");
  // 6 km full width at 45.4°N: sigma ≈ 1 km = 0.72 cells along y and 1.02 along x.
  const w = await create("noise", { wavelengthKm: 6 }).execute(grid, ctx) as ProcessedGrid;
  assert.ok(rough(w) < rough(grid));
  const m = await create("noise", { method: "median", size: 3, footprint: "circular" })
    .execute(grid, ctx) as ProcessedGrid;
  for (const out of [s1, s3, w, m]) {
    validateProcessedGrid(out);
    for (let k = 0; k < grid.values.length; k++) {
      assert.equal(Number.isNaN(out.values[k]), Number.isNaN(grid.values[k]));
    }
  }
});

/** The run request of a pipeline over `grid`'s own extent. */
const REQUEST_OF = (grid: ProcessedGrid) => ({
  modality: "gravity",
  bbox: [grid.lon[0], grid.lat[0], grid.lon.at(-1)!, grid.lat.at(-1)!] as const,
});

/**
 * Runs the one-stage pipeline `def` on the bodies grid twice: once with the input kept by the
 * caller, once on a copy given up to the runner (`consumeInput`).
 */
async function keptAndConsumed(pool: WorkerPool, def: string) {
  const logger = createLogger({ level: "silent" });
  const { grid } = await gridFixture("bodies_grid.json");
  const request = REQUEST_OF(grid);
  const plan = buildPipeline(def, defaultStageRegistry());
  const kept = await runPipeline(plan, grid, { pool, logger, request });
  const given = structuredClone(grid);
  const consumed = await runPipeline(plan, given, { pool, logger, request, consumeInput: true });
  const a = kept.outputs[0].data as ProcessedGrid, b = consumed.outputs[0].data as ProcessedGrid;
  return { grid, given, kept, consumed, a, b };
}

Deno.test("noise stage over a consumed input: the same values and statistics, no second grid", async () => {
  await using pool = new WorkerPool({ size: 2 });
  for (const def of ["noise(sigma=2)", "noise(method=median, size=5)"]) {
    const { grid, given, kept, consumed, a, b } = await keptAndConsumed(pool, def);
    assert.notEqual(a.values, grid.values, def);
    assert.equal(b.values, given.values, `${def}: the result is written over the input`);
    assert.deepEqual(b.values, a.values, def);
    // The statistics gathered band by band are those of a pass over the result.
    assert.deepEqual(consumed.records[0].post, valueStatistics(a.values), def);
    assert.deepEqual(kept.records[0].post, consumed.records[0].post, def);
    assert.equal(kept.records[0].inputChecksum, consumed.records[0].inputChecksum, def);
    assert.equal(kept.records[0].outputChecksum, consumed.records[0].outputChecksum, def);
    // The input is measured once the first bands are posted, before any result goes over it;
    // the output is hashed band by band: both equal a pass over the whole grid.
    assert.equal(consumed.records[0].inputChecksum, gridChecksum(grid), def);
    assert.deepEqual(consumed.records[0].pre, valueStatistics(grid.values), def);
    assert.equal(consumed.records[0].outputChecksum, gridChecksum({ ...a, provenance: [] }), def);
  }
});

/** A `nx` x `ny` grid of a smooth field plus seeded noise, with NaN holes and one row of gaps. */
function syntheticGrid(nx: number, ny: number): ProcessedGrid {
  let seed = 5;
  const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const values = new Float64Array(nx * ny).map((_, k) =>
    2e4 + 300 * Math.sin((k % nx) / 37) * Math.cos(Math.floor(k / nx) / 23) + 5 * rand()
  );
  for (let k = 0; k < values.length; k += 211) values[k] = NaN;
  values.fill(NaN, 7 * nx, 8 * nx);
  return {
    lon: Float64Array.from({ length: nx }, (_, i) => 10 + i * 0.001),
    lat: Float64Array.from({ length: ny }, (_, j) => 45 + j * 0.001),
    values,
    units: "nT",
    crs: "EPSG:4326",
    registration: "gridline",
    resolution: { lon: 0.001, lat: 0.001 },
    provenance: [],
  };
}

Deno.test("noise and spectral stages: the statistics workers measure in blocks are those of a pass over each grid", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const logger = createLogger({ level: "silent" });
  // Rows that do not fill whole blocks (1000 and 4097 values), bands of many rows.
  for (const [nx, ny] of [[1000, 1500], [4097, 300]]) {
    const grid = syntheticGrid(nx, ny);
    const bbox = [grid.lon[0], grid.lat[0], grid.lon.at(-1)!, grid.lat.at(-1)!] as const;
    const request = { modality: "magnetic", bbox };
    const defs = [
      "noise(sigma=3)",
      "noise(method=median, size=3)",
      "bandpass(lowKm=1, highKm=20)",
      "tilt",
      // Stabilised (three jobs, no blocks): the runner's own pass.
      "rtp(inclination=20, declination=5)",
    ];
    for (const def of defs) {
      const plan = buildPipeline(def, defaultStageRegistry());
      const kept = await runPipeline(plan, grid, { pool, logger, request });
      const given = structuredClone(grid);
      const consumed = await runPipeline(plan, given, {
        pool,
        logger,
        request,
        consumeInput: true,
      });
      assert.deepEqual(kept.failures, [], def);
      const out = kept.outputs[0].data as ProcessedGrid;
      for (const run of [kept, consumed]) {
        assert.deepEqual(run.records[0].pre, valueStatistics(grid.values), `${def} ${nx}`);
        assert.deepEqual(run.records[0].post, valueStatistics(out.values), `${def} ${nx}`);
      }
      assert.deepEqual((consumed.outputs[0].data as ProcessedGrid).values, out.values);
      // Given on shared memory, as `gam filter` reads a grid: the spectral stages run in
      // parts (grids of 1.2 and 1.5 Mi cells, a pool of two) over it, the input measured
      // by the workers and the output hashed as its rows come.
      const values = new Float64Array(new SharedArrayBuffer(grid.values.length * 8));
      values.set(grid.values);
      const shared = await runPipeline(plan, {
        ...grid,
        values: values as unknown as Float64Array<ArrayBuffer>,
      }, { pool, logger, request, consumeInput: true });
      assert.deepEqual(
        Float64Array.from((shared.outputs[0].data as ProcessedGrid).values),
        out.values,
      );
      for (const key of ["pre", "post", "inputChecksum", "outputChecksum"] as const) {
        assert.deepEqual(
          shared.records[0][key],
          kept.records[0][key],
          `${def} ${nx}: shared, ${key}`,
        );
      }
    }
  }
});

Deno.test("noise stage over a consumed input that fails half-way records its input's statistics", async () => {
  await using real = new WorkerPool({ size: 2 });
  // 8 bands of 512 Ki cells: the fifth job fails once the first band's result is in, so that
  // band went over the input (bands are stored in order: waiting for the first job, whose
  // caller stores it before this callback runs, makes that certain whichever band ends first).
  const grid = syntheticGrid(2048, 2048);
  const want = valueStatistics(grid.values);
  let jobs = 0;
  let first: Promise<unknown> | undefined;
  const run = ((job, options) => {
    if (++jobs === 5) return first!.then(() => Promise.reject(new Error("band 5 failed")));
    const promise = real.run(job, options);
    if (jobs === 1) first = promise;
    return promise;
  }) as WorkerPool["run"];
  const failing = { size: real.size, run } as unknown as WorkerPool;
  let pre: unknown;
  const ctx = {
    ...testContext(failing),
    consumeInput: true,
    measureInput: () => {},
    knownInputStatistics: (s: unknown) => (pre = s),
  };
  const given = structuredClone(grid);
  await assert.rejects(
    () => create("noise", { sigma: 2 }).execute(given, ctx),
    /band 5 failed/,
  );
  assert.notDeepEqual(given.values, grid.values, "bands were written over the input");
  assert.deepEqual(pre, want);
});

Deno.test("a spectral stage in parts that fails before its last step leaves its input and records its statistics", async () => {
  await using real = new WorkerPool({ size: 2 });
  const grid = syntheticGrid(1000, 1100); // 1.1 Mi cells: in parts on a pool of two
  const want = valueStatistics(grid.values);
  // The row step (before the workers' input blocks are in) or the column step (after)
  // fails: nothing was written over the input either way.
  for (const kernel of ["fft_split_rows", "fft_split_columns"]) {
    const run = ((job, options) =>
      job.kernel === kernel
        ? Promise.reject(new Error(`${kernel} failed`))
        : real.run(job, options)) as WorkerPool["run"];
    const failing = { size: real.size, run } as unknown as WorkerPool;
    let pre: unknown;
    const values = new Float64Array(new SharedArrayBuffer(grid.values.length * 8));
    values.set(grid.values);
    const ctx = {
      ...testContext(failing),
      consumeInput: true,
      measureInput: (o?: { statistics?: boolean }) => {
        if (o?.statistics !== false) {
          pre ??= valueStatistics(values);
        }
      },
      knownInputStatistics: (s: unknown) => (pre = s),
    };
    await assert.rejects(
      () =>
        create("bandpass", { lowKm: 1, highKm: 20 }).execute({
          ...grid,
          values: values as unknown as Float64Array<ArrayBuffer>,
        }, ctx),
      new RegExp(`${kernel} failed`),
    );
    assert.deepEqual(values, Float64Array.from(grid.values), `${kernel}: the input is intact`);
    assert.deepEqual(pre, want, kernel);
  }
});

Deno.test("spectral stages over a consumed input: the input's buffer goes to the worker, same result and records", async () => {
  await using pool = new WorkerPool({ size: 2 });
  for (
    const def of [
      "bandpass(lowKm=4, highKm=40, shape=cosine)",
      "upward(heightM=2000)",
      "derivative(direction=total-gradient)",
      "tilt",
      // At a high inclination: a low one is stabilised in two bands, which keeps its input.
      "rtp(inclination=60, declination=10)",
    ]
  ) {
    const { grid, given, kept, consumed, a, b } = await keptAndConsumed(pool, def);
    // The kept input is intact; the given one was handed to the worker (detached, length 0).
    assert.deepEqual(
      grid,
      (await gridFixture("bodies_grid.json")).grid,
      `${def}: kept input intact`,
    );
    assert.equal(given.values.length, 0, `${def}: the given input's buffer went to the worker`);
    assert.deepEqual(b.values, a.values, def);
    assert.deepEqual(kept.records[0].post, consumed.records[0].post, def);
    assert.equal(kept.records[0].inputChecksum, consumed.records[0].inputChecksum, def);
    assert.equal(kept.records[0].outputChecksum, consumed.records[0].outputChecksum, def);
    // Given on shared memory (as `gam filter` reads an FFT's input): measured while the worker
    // transforms it, the result written over it, the same records.
    const values = new Float64Array(new SharedArrayBuffer(grid.values.length * 8));
    values.set(grid.values);
    const logger = createLogger({ level: "silent" });
    const shared = await runPipeline(buildPipeline(def, defaultStageRegistry()), {
      ...grid,
      values: values as unknown as Float64Array<ArrayBuffer>,
    }, { pool, logger, request: REQUEST_OF(grid), consumeInput: true });
    const c = shared.outputs[0].data as ProcessedGrid;
    assert.deepEqual(Float64Array.from(c.values), a.values, `${def}: shared`);
    assert.equal(c.values as unknown, values, `${def}: the result is over the input`);
    for (const key of ["pre", "post", "inputChecksum", "outputChecksum"] as const) {
      assert.deepEqual(shared.records[0][key], kept.records[0][key], `${def}: shared, ${key}`);
    }
  }
});

Deno.test("potential-field stages keep the grid's axes and set units", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const { grid } = await gridFixture("bodies_grid.json");
  const ctx = testContext(pool);
  const cases: [string, Record<string, unknown>, string][] = [
    ["upward", { heightM: 2000 }, "mGal"],
    ["bandpass", { lowKm: 4, highKm: 40, shape: "cosine" }, "mGal"],
    ["derivative", { direction: "vertical" }, "mGal/km"],
    ["derivative", { direction: "x" }, "mGal/km"],
    ["derivative", { direction: "y" }, "mGal/km"],
    ["derivative", { direction: "total-gradient" }, "mGal/km"],
    ["tilt", {}, "rad"],
    ["rtp", { inclination: -30, declination: -20 }, "mGal"],
  ];
  for (const [id, params, units] of cases) {
    const out = validateProcessedGrid(await create(id, params).execute(grid, ctx), id);
    assert.equal(out.units, units, id);
    assert.deepEqual(out.lat, grid.lat, id);
    const finite = [...out.values].filter(Number.isFinite).length;
    assert.equal(finite, grid.values.length - 9, `${id}: the 3 x 3 hole is restored as NaN`);
  }
  const tilt = await create("tilt").execute(grid, ctx) as ProcessedGrid;
  for (const v of tilt.values) {
    if (Number.isFinite(v)) assert.ok(Math.abs(v) <= Math.PI / 2 + 1e-12);
  }
  // Upward continuation smooths: the peak of the strongest body drops.
  const up = await create("upward", { heightM: 3000 }).execute(grid, ctx) as ProcessedGrid;
  const peak = (g: ProcessedGrid) => {
    const nx = g.lon.length;
    const i = Math.round((BODIES[0][0] - 10) / 0.0125),
      j = Math.round((BODIES[0][1] - 45) / 0.0125);
    return g.values[j * nx + i] - g.values[j * nx + i + 20];
  };
  assert.ok(peak(up) < peak(grid), `${peak(up)} vs ${peak(grid)}`);
});

Deno.test("a spectral stage warns when the fill of the grid's holes stops at its sweep limit", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const { grid } = await gridFixture("bodies_grid.json");
  const lines: string[] = [];
  const ctx = {
    ...testContext(pool),
    logger: createLogger({ level: "warn", sink: (line) => lines.push(line) }),
  };
  // The fixture's 3 x 3 hole: the fill converges, nothing to say.
  const small = await create("upward", { heightM: 2000 }).execute(grid, ctx) as ProcessedGrid;
  assert.deepEqual(lines, []);
  // A 180 x 160 gap in a 200 x 180 grid, as between and beyond a survey's lines: the sweeps
  // stop at their limit.
  const [nx, ny, d] = [200, 180, 0.005];
  const lon = Float64Array.from({ length: nx }, (_, i) => 10 + i * d);
  const lat = Float64Array.from({ length: ny }, (_, j) => 45 + j * d);
  const values = Float64Array.from(
    { length: nx * ny },
    (_, k) => Math.sin((k % nx) / 9) * 3 + Math.cos(Math.floor(k / nx) / 7) * 2,
  );
  for (let j = 10; j < ny - 10; j++) values.fill(NaN, j * nx + 10, (j + 1) * nx - 10);
  const gapped: ProcessedGrid = {
    ...grid,
    lon,
    lat,
    values,
    resolution: { lon: d, lat: d },
    bbox: [lon[0], lat[0], lon[nx - 1], lat[ny - 1]],
  };
  const out = await create("upward", { heightM: 2000 }).execute(gapped, ctx) as ProcessedGrid;
  assert.equal(lines.length, 1, lines.join("\n"));
  const warning = JSON.parse(lines[0]);
  assert.equal(warning.level, "warn");
  assert.match(
    warning.msg,
    /^stage "upward": the fill of the grid's NaN cells before the transform stopped at its limit of 1000 sweeps without converging \(the last sweep still moved a filled value by [0-9.e-]+ mGal, \d+ times the tolerance of [0-9.e-]+ mGal\)/,
  );
  assert.equal(warning.sweeps, 1000);
  assert.ok(warning.update > 10 * warning.tolerance, lines[0]);
  // Only a warning: the gap comes back NaN, the rest is the transform's.
  assert.equal(out.values.filter(Number.isNaN).length, values.filter(Number.isNaN).length);
  assert.equal(small.values.filter(Number.isNaN).length, 9);
});

Deno.test("qc stage attaches completeness, seams and the three fixture bodies as anomalies", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const { grid } = await gridFixture("bodies_grid.json");
  const out = await create("qc", { zThreshold: 3, regional: "polynomial", order: 1 })
    .execute(grid, testContext(pool));
  assert.equal(gridValues(out), grid.values, "qc leaves the values alone");
  const report = qcReportOf(out)!;
  assert.equal(report.completeness.cells, 81 * 65);
  assert.equal(report.completeness.supported, 81 * 65 - 9);
  assert.equal(report.seamsChecked, false);
  assert.equal(report.anomalies.length, 3, JSON.stringify(report.anomalies));
  for (const [lon, lat, amp] of BODIES) {
    const hit = report.anomalies.find((a) => Math.hypot(a.lon - lon, a.lat - lat) < 0.03);
    assert.ok(hit, `body at ${lon}, ${lat}`);
    assert.equal(hit.type, amp > 0 ? "positive" : "negative");
  }
  // Tiles of 0.75° over the seam fixture (60 x 40 cells of 0.025°): 2 x 2 tiles whose
  // east-west boundary is the survey boundary at column 30, so the two east-west seams carry
  // the 5 mGal step and the two north-south seams none.
  const { grid: seam } = await gridFixture("seam_grid.json");
  const s = await create("qc", { tileDeg: 0.75, seamThreshold: 2 }).execute(
    seam,
    testContext(pool, [20, -30, 21.5, -29]),
  );
  const seams = qcReportOf(s)!.seams;
  assert.equal(seams.length, 4, JSON.stringify(seams));
  for (const x of seams) {
    const across = x.surveyB - x.surveyA === 1; // tiles 0|1 and 2|3 are east-west neighbours
    assert.equal(x.flagged, across, JSON.stringify(x));
    assert.ok(Math.abs(x.offset - (across ? 5 : 0)) < 0.2, JSON.stringify(x));
  }
});

Deno.test("qualityControl giving its values to the anomaly search reports what it reports keeping them", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const { grid } = await gridFixture("bodies_grid.json");
  // Gaps, so that the completeness asks the workers for distances while the search runs.
  const values = Float64Array.from(grid.values);
  for (let k = 0; k < values.length; k += 37) values[k] = NaN;
  const holed = { ...grid, values };
  const params = qcStage.paramsSchema.parse({ supportKm: 1, tileDeg: 0.5 });
  const kept = await qualityControl(pool, holed, params);
  const given = { ...holed, values: values.slice() };
  const consumed = await qualityControl(pool, given, params, { consumeValues: true });
  assert.equal(given.values.length, 0, "the values went to the anomaly search's worker");
  assert.deepEqual(consumed, kept);
  assert.ok(kept.completeness.supported < kept.completeness.cells, "the gaps count");
  assert.ok(kept.seams.length > 0 && kept.anomalies.length > 0);
});

Deno.test("qualityControl of float32 numbers reports the same from float64, from float32 and given up", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const { grid } = await gridFixture("bodies_grid.json");
  // A float32 file's values: float32 numbers, widened; gaps for the completeness.
  const values = Float64Array.from(grid.values, (v, k) => (k % 41 === 3 ? NaN : Math.fround(v)));
  const params = qcStage.paramsSchema.parse({ supportKm: 1, tileDeg: 0.5, zThreshold: 2.5 });
  const wide = await qualityControl(pool, { ...grid, values }, params);
  assert.ok(wide.anomalies.length > 0 && wide.seams.length > 0);
  assert.ok(wide.completeness.supported < wide.completeness.cells);
  const narrow = await qualityControl(pool, { ...grid, values: Float32Array.from(values) }, params);
  assert.deepEqual(narrow, wide);
  const given = { ...grid, values: values.slice() };
  const consumed = await qualityControl(pool, given, params, { consumeValues: true });
  assert.deepEqual(consumed, wide);
  assert.equal(given.values.length, 0, "the given-up float64 values are freed");
  // Kept: the caller's values are untouched.
  const kept = { ...grid, values: values.slice() };
  await qualityControl(pool, kept, params);
  assert.deepEqual(kept.values, values);
});

function gridValues(d: StageData): Float64Array | Float32Array {
  return (d as ProcessedGrid).values;
}

Deno.test("a two-branch pipeline runs outlier -> grid -> { fine: noise -> qc, coarse: grid -> qc }", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const plan = buildPipeline(
    "outlier(method=hampel, threshold=4, halfWindow=3, action=drop) -> " +
      "grid(method=idw, spacing=0.02, radius=0.06) -> " +
      "{ fine: noise(sigma=1) -> qc, coarse: grid(method=block-mean, spacing=0.1) -> qc }",
    defaultStageRegistry(),
  );
  const result = await runPipeline(plan, await surveyPoints(), {
    pool,
    logger: createLogger({ level: "silent" }),
    request: { modality: "gravity", bbox: [10, 45, 11, 45.8] },
  });
  assert.deepEqual(result.failures, []);
  const byBranch = new Map(result.outputs.map((o) => [o.branch, o.data as ProcessedGrid]));
  assert.equal(byBranch.get("fine")!.resolution.lon, 0.02);
  assert.equal(byBranch.get("coarse")!.resolution.lon, 0.1);
  for (const g of byBranch.values()) {
    const report = qcReportOf(g)!;
    assert.ok(report.completeness.fraction > 0.9, `${report.completeness.fraction}`);
    assert.deepEqual(
      g.provenance.filter((p) => !p.step.endsWith(".report")).map((p) => p.step),
      g.resolution.lon === 0.02
        ? ["grid", "grid", "noise", "qc"]
        : ["grid", "grid", "grid", "grid", "qc"],
      "the wrapper's and the runner's grid entries; regridding keeps the history",
    );
  }
  assert.equal(result.records.length, 6);
});

Deno.test("grid stage masks mincurv past the data by default; qc counts extrapolated nodes", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const all = await surveyPoints();
  // Only the western half of the bbox [10, 45, 11, 45.8] has data.
  const keep = [...all.points.lon.keys()].filter((k) => all.points.lon[k] < 10.5);
  const pick = (a: ArrayLike<number>) => Float64Array.from(keep, (k) => a[k]);
  const west: RawPoints = {
    ...all,
    points: { lon: pick(all.points.lon), lat: pick(all.points.lat), value: pick(all.points.value) },
  };
  const ctx = testContext(pool);
  const qc = create("qc");
  const masked = await create("grid", { method: "mincurv", spacing: 0.02 })
    .execute(west, ctx) as ProcessedGrid;
  const open = await create("grid", { method: "mincurv", spacing: 0.02, maxDistance: "off" })
    .execute(west, ctx) as ProcessedGrid;
  assert.ok(masked.dataDistanceKm && open.dataDistanceKm, "both carry their footprint");
  const nx = masked.lon.length;
  const eastEdge = masked.lat.length * nx - 1; // north-east corner, ~0.5° from the data
  assert.ok(Number.isNaN(masked.values[eastEdge]), "masked past 3 spacings");
  assert.ok(Number.isFinite(open.values[eastEdge]), "off: mincurv extrapolates");
  assert.ok(masked.dataDistanceKm[eastEdge] > 30, `${masked.dataDistanceKm[eastEdge]} km`);
  const a = qcReportOf(await qc.execute(masked, ctx))!.completeness;
  const b = qcReportOf(await qc.execute(open, ctx))!.completeness;
  assert.equal(a.footprint, "input points");
  assert.equal(a.extrapolated, 0);
  assert.equal(b.withValues, b.cells, "off: every node has a value");
  assert.equal(b.extrapolated, b.cells - b.supported);
  assert.equal(a.supported, b.supported, "the same nodes have data nearby");
  assert.ok(b.extrapolated > 0.3 * b.cells, `${b.extrapolated} of ${b.cells} extrapolated`);
  assert.ok(a.maxDistanceKm! > 30 && a.maxDistanceKm === b.maxDistanceKm);

  // Regridding keeps the input's footprint (sampled), not the distance to the fine nodes.
  const coarse = await create("grid", { spacing: 0.1 }).execute(open, ctx) as ProcessedGrid;
  const cnx = coarse.lon.length, ne = coarse.lat.length * cnx - 1;
  assert.ok(coarse.dataDistanceKm![ne] > 30, "the north-east coarse node is still far from data");
});

Deno.test("qc labels anomalies in the FFT edge band of an rtp grid and leaves them out", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const { grid } = await gridFixture("bodies_grid.json");
  const ctx = testContext(pool, [10, 45, 11, 45.8], "magnetic");
  const plain = qcReportOf(await create("qc").execute(grid, ctx))!;
  assert.equal(plain.edgeBand, null, "no FFT transform: no edge band");
  assert.equal(plain.edgeAnomalies, 0);
  const rtp = await create("rtp", { inclination: -30, declination: 0 }).execute(grid, ctx);
  const withStep = {
    ...(rtp as ProcessedGrid),
    provenance: [...(rtp as ProcessedGrid).provenance, {
      step: "rtp",
      version: "1.1.0",
      params: {},
    }],
  };
  const r = qcReportOf(await create("qc").execute(withStep, ctx))!;
  const g = withStep, nx = g.lon.length, ny = g.lat.length;
  assert.deepEqual(r.edgeBand, {
    lonCells: Math.max(8, Math.ceil(nx / 16)),
    latCells: Math.max(8, Math.ceil(ny / 16)),
  });
  let edge = 0;
  for (const a of r.anomalies) {
    const col = (a.lon - g.lon[0]) / g.resolution.lon, row = (a.lat - g.lat[0]) / g.resolution.lat;
    const inBand: boolean = Math.min(col, nx - 1 - col) < r.edgeBand!.lonCells ||
      Math.min(row, ny - 1 - row) < r.edgeBand!.latCells;
    assert.equal(a.attributes.edge === true, inBand, `anomaly at ${a.lon}, ${a.lat}`);
    if (inBand) edge++;
  }
  assert.equal(r.edgeAnomalies, edge);
  assert.ok(r.anomalies.length > 0);
});
