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
