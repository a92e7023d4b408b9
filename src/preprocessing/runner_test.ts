import assert from "node:assert/strict";
import { z } from "zod";
import type { ProcessedGrid } from "../contracts/mod.ts";
import type { WorkerPool } from "../compute/mod.ts";
import { createLogger } from "../observability/mod.ts";
import {
  buildPipeline,
  PipelineDefinitionError,
  planStages,
  type StageRegistry,
} from "./builder.ts";
import { CheckpointError } from "./checkpoint.ts";
import { runPipeline } from "./runner.ts";
import type { Stage, StageContext, StageData, StageKind } from "./stage.ts";

// Test doubles: small stages on tiny grids, so the runner's own behaviour is what is tested.
function grid(values: number[], nx = 2, spacing = 0.5): ProcessedGrid {
  const ny = values.length / nx;
  return {
    lat: Float64Array.from({ length: ny }, (_, j) => 45 + j * spacing),
    lon: Float64Array.from({ length: nx }, (_, i) => 10 + i * spacing),
    values: Float64Array.from(values),
    units: "mGal",
    crs: "EPSG:4326",
    resolution: { lon: spacing, lat: spacing },
    registration: "gridline",
    provenance: [],
  };
}

const events: string[] = [];

function kind<S extends z.ZodType>(
  id: string,
  paramsSchema: S,
  execute: (input: StageData, params: z.infer<S>, ctx: StageContext) => Promise<StageData>,
  spacing?: (p: z.infer<S>) => number | undefined,
): StageKind {
  return {
    id,
    version: "1.2.3",
    summary: `${id} test stage`,
    paramsSchema,
    create: (params: z.infer<S>) => ({
      id,
      version: "1.2.3",
      params,
      spacing: spacing?.(params),
      execute: (input: StageData, ctx: StageContext) => execute(input, params, ctx),
    } as Stage<z.infer<S>>),
  } as StageKind;
}

const registry: StageRegistry = new Map([
  [
    "add",
    kind("add", z.strictObject({ k: z.number() }), (input, p) => {
      const g = input as ProcessedGrid;
      return Promise.resolve({ ...g, values: g.values.map((v) => v + p.k) });
    }),
  ],
  [
    "slow",
    kind("slow", z.strictObject({ ms: z.number().int().positive() }), async (input, p, ctx) => {
      events.push(`slow start ${p.ms}`);
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, p.ms);
        ctx.signal.addEventListener("abort", () => {
          clearTimeout(t);
          reject(ctx.signal.reason);
        });
      });
      events.push(`slow end ${p.ms}`);
      return input;
    }),
  ],
  [
    "boom",
    kind("boom", z.strictObject({}), () => Promise.reject(new RangeError("kernel exploded"))),
  ],
  [
    "holes",
    kind("holes", z.strictObject({}), (input) => {
      const g = input as ProcessedGrid;
      return Promise.resolve({ ...g, values: g.values.map((v, i) => (i === 0 ? v : NaN)) });
    }),
  ],
  [
    "respace",
    kind(
      "respace",
      z.strictObject({ spacing: z.number().positive() }),
      (input) => Promise.resolve(input),
      (p) => p.spacing,
    ),
  ],
]);

/** What the runner granted each `double` call, in call order. */
const granted: boolean[] = [];
// A stage that consumes its input when the runner lets it (doubles the values over them).
const double: StageKind = {
  id: "double",
  version: "1.0.0",
  summary: "double test stage",
  paramsSchema: z.strictObject({}),
  create: (params) => ({
    id: "double",
    version: "1.0.0",
    params,
    consumesInput: true,
    execute(input: StageData, ctx: StageContext) {
      const g = input as ProcessedGrid;
      granted.push(ctx.consumeInput === true);
      const values = ctx.consumeInput ? g.values : new Float64Array(g.values.length);
      for (let i = 0; i < values.length; i++) values[i] = 2 * g.values[i];
      return Promise.resolve({ ...g, values });
    },
  }),
};
const withDouble: StageRegistry = new Map([...registry, ["double", double]]);

const pool = {} as WorkerPool; // the test stages do not compute on the pool
const logger = createLogger({ level: "silent" });
const request = { modality: "gravity", bbox: [10, 45, 11, 46] as const };

Deno.test("runPipeline() runs a chain in order and records provenance", async () => {
  const plan = buildPipeline("add(k=1) -> add(k=10)", registry, "2.0.0");
  const r = await runPipeline(plan, grid([1, 2, 3, 4]), { pool, logger, request });
  assert.equal(r.failures.length, 0);
  assert.equal(r.outputs.length, 1);
  const out = r.outputs[0].data as ProcessedGrid;
  assert.deepEqual([...out.values], [12, 13, 14, 15]);
  assert.deepEqual(out.provenance.map((p) => [p.step, p.version, p.params]), [
    ["add", "1.2.3", { k: 1 }],
    ["add", "1.2.3", { k: 10 }],
  ]);
  assert.equal(r.records.length, 2);
  assert.equal(r.records[0].outputChecksum, r.records[1].inputChecksum);
  assert.notEqual(r.records[0].inputChecksum, r.records[0].outputChecksum);
  assert.deepEqual([r.records[0].pre.mean, r.records[1].post?.mean], [2.5, 13.5]);
});

Deno.test("a consuming stage writes over an input given up by the caller or made by the run", async () => {
  granted.length = 0;
  const kept = grid([1, 2, 3, 4]);
  const r = await runPipeline(buildPipeline("double -> double", withDouble), kept, {
    pool,
    logger,
    request,
  });
  // The caller kept its input: read-only; the first stage's output belongs to the run.
  assert.deepEqual(granted, [false, true]);
  assert.deepEqual([...kept.values], [1, 2, 3, 4]);
  assert.deepEqual([...(r.outputs[0].data as ProcessedGrid).values], [4, 8, 12, 16]);
  // The provenance keeps the input's checksum and statistics from before it was consumed.
  const given = grid([1, 2, 3, 4]);
  const before = [r.records[0].inputChecksum, r.records[0].pre];
  granted.length = 0;
  const c = await runPipeline(buildPipeline("double -> double", withDouble), given, {
    pool,
    logger,
    request,
    consumeInput: true,
  });
  assert.deepEqual(granted, [true, true]);
  const out = c.outputs[0].data as ProcessedGrid;
  assert.equal(out.values, given.values); // no second array
  assert.deepEqual([...given.values], [4, 8, 12, 16]);
  assert.deepEqual([c.records[0].inputChecksum, c.records[0].pre], before);
  assert.equal(c.records[1].outputChecksum, r.records[1].outputChecksum);
  // A stage that hands its input on unchanged does not make the caller's array the run's.
  granted.length = 0;
  const passed = grid([1, 2, 3, 4]);
  await runPipeline(buildPipeline("respace(spacing=0.5) -> double", withDouble), passed, {
    pool,
    logger,
    request,
  });
  assert.deepEqual(granted, [false]);
  assert.deepEqual([...passed.values], [1, 2, 3, 4]);
});

Deno.test("a forked grid is never consumed: every branch starts from the same values", async () => {
  granted.length = 0;
  const input = grid([1, 2, 3, 4]);
  const r = await runPipeline(
    buildPipeline("double -> { a: double -> double, b: add(k=1), c: double }", withDouble),
    input,
    { pool, logger, request, consumeInput: true },
  );
  assert.equal(r.failures.length, 0);
  const out = (
    b: string,
  ) => [...(r.outputs.find((o) => o.branch === b)!.data as ProcessedGrid).values];
  assert.deepEqual(out("a"), [8, 16, 24, 32]);
  assert.deepEqual(out("b"), [3, 5, 7, 9]);
  assert.deepEqual(out("c"), [4, 8, 12, 16]);
  // The trunk consumed the caller's input; at the fork nobody may: a's second stage may.
  assert.deepEqual([...input.values], [2, 4, 6, 8]);
  assert.deepEqual(granted.toSorted(), [false, false, true, true]);
  assert.equal(granted[0], true);
});

Deno.test("runPipeline() takes a stage's known statistics instead of another pass", async () => {
  const reported = { count: 4, nanRatio: 0, min: -1, max: -1, mean: -1, std: 0 };
  const stats = kind("stats", z.strictObject({}), (input, _p, ctx) => {
    const g = input as ProcessedGrid;
    const values = g.values.map((v) => v + 1);
    ctx.knownStatistics?.(values, reported);
    return Promise.resolve({ ...g, values });
  });
  const r = await runPipeline(
    buildPipeline("stats", new Map([["stats", stats]])),
    grid([1, 2, 3, 4]),
    {
      pool,
      logger,
      request,
    },
  );
  assert.deepEqual(r.records[0].post, reported);
});

Deno.test("runPipeline() runs branches concurrently", async () => {
  events.length = 0;
  const plan = buildPipeline("add(k=0) -> { a: slow(ms=120), b: slow(ms=60) }", registry);
  const r = await runPipeline(plan, grid([1, 2, 3, 4]), { pool, logger, request });
  assert.deepEqual(r.outputs.map((o) => o.branch).sort(), ["a", "b"]);
  // Both started before either ended: the branches overlapped.
  assert.deepEqual(events.slice(0, 2).sort(), ["slow start 120", "slow start 60"]);
  // The shorter branch finished first although it was declared second.
  assert.deepEqual(events.slice(2), ["slow end 60", "slow end 120"]);
});

Deno.test("runPipeline() stops a failing branch and lets the others finish", async () => {
  const plan = buildPipeline(
    "add(k=1) -> { bad: boom -> add(k=5), good: add(k=2), deep: add(k=1) -> { x: boom, y: add(k=3) } }",
    registry,
  );
  const r = await runPipeline(plan, grid([0, 0, 0, 0]), { pool, logger, request });
  assert.deepEqual(r.outputs.map((o) => o.branch).sort(), ["deep/y", "good"]);
  assert.deepEqual(r.failures.map((f) => [f.branch, f.stage, f.error.message]).sort(), [
    ["bad", "boom", "kernel exploded"],
    ["deep/x", "boom", "kernel exploded"],
  ]);
  // The stage after the failure in "bad" never ran.
  assert.equal(r.records.filter((rec) => rec.branch === "bad").length, 1);
  assert.equal(r.records.find((rec) => rec.branch === "bad")?.outcome, "failed");
  assert.deepEqual([
    ...(r.outputs.find((o) => o.branch === "deep/y")!.data as ProcessedGrid).values,
  ], [5, 5, 5, 5]);
});

Deno.test("runPipeline() cancels in-flight stages when the run is aborted", async () => {
  const controller = new AbortController();
  const plan = buildPipeline("slow(ms=5000) -> add(k=1)", registry);
  const r = await runPipeline(plan, grid([1, 2]), {
    pool,
    logger,
    request,
    signal: controller.signal,
    // Aborted once the slow stage is running (an event, not a timer).
    onStage: (e) => {
      if (e.phase === "start" && e.stage.startsWith("slow")) {
        queueMicrotask(() => controller.abort(new Error("user pressed Ctrl-C")));
      }
    },
  });
  assert.equal(r.outputs.length, 0);
  assert.equal(r.records[0].outcome, "cancelled");
  assert.match(r.failures[0].error.message, /Ctrl-C/);
});

Deno.test("checkpoint fails a branch whose grid has too many NaN, naming stage and invariant", async () => {
  const plan = buildPipeline("add(k=1) -> { a: holes, b: add(k=1) }", registry);
  const r = await runPipeline(plan, grid([1, 2, 3, 4]), {
    pool,
    logger,
    request,
    maxNanRatio: 0.5,
  });
  assert.deepEqual(r.outputs.map((o) => o.branch), ["b"]);
  const f = r.failures[0];
  assert.ok(f.error instanceof CheckpointError);
  assert.match(
    f.error.message,
    /after stage "holes" \(branch a\) failed: NaN ratio 0\.7500 exceeds the configured limit 0\.5/,
  );
});

Deno.test("checkpoint rejects a grid outside the bbox and a spacing other than configured", async () => {
  const outside = await runPipeline(buildPipeline("add(k=1)", registry), grid([1, 2, 3, 4], 2, 5), {
    pool,
    logger,
    request,
  });
  assert.match(
    outside.failures[0].error.message,
    /grid extent \[10, 45, 15, 50\] lies outside the requested bbox/,
  );
  const spacing = await runPipeline(
    buildPipeline("respace(spacing=0.25)", registry),
    grid([1, 2, 3, 4]),
    {
      pool,
      logger,
      request,
    },
  );
  assert.match(
    spacing.failures[0].error.message,
    /grid lon spacing 0\.5 differs from the configured spacing 0\.25/,
  );
});

Deno.test("checkpoint rejects an output that breaks the grid contract", async () => {
  const broken = kind("broken", z.strictObject({}), (input) => {
    const g = input as ProcessedGrid;
    return Promise.resolve({ ...g, lat: Float64Array.from([46, 45]) });
  });
  const plan = buildPipeline("broken", new Map([["broken", broken]]));
  const r = await runPipeline(plan, grid([1, 2, 3, 4]), { pool, logger, request });
  assert.match(r.failures[0].error.message, /lat: must be strictly increasing/);
});

Deno.test("buildPipeline() lists known stages for an unknown id and names bad fields", () => {
  assert.throws(() => buildPipeline("add(k=1) -> ad(k=2)", registry), (e: unknown) => {
    assert.ok(e instanceof PipelineDefinitionError);
    assert.match(
      e.message,
      /Unknown stage "ad" at column 13; known stages: add, boom, holes, respace, slow/,
    );
    return true;
  });
  assert.throws(
    () => buildPipeline("add(k=one)", registry),
    /Invalid parameters for stage "add" at column 1: k: .*number/,
  );
  assert.throws(
    () => buildPipeline([{ stage: "add", params: { k: 1, j: 2 } }], registry),
    /Invalid parameters for stage "add" at step 1: .*j/,
  );
});

Deno.test("planStages() lists every stage with its branch path", () => {
  const plan = buildPipeline("add(k=1) -> { a: add(k=2), b: add(k=3) -> { c: boom } }", registry);
  assert.deepEqual(planStages(plan).map(({ branch, stage }) => `${branch}:${stage.id}`), [
    "main:add",
    "a:add",
    "b:add",
    "b/c:boom",
  ]);
});
