import assert from "node:assert/strict";
import {
  parseDefinition,
  parsePipeline,
  pipelineFromList,
  PipelineSyntaxError,
} from "./definition.ts";

const ARROW =
  "outlier(method=mad, threshold=3.5) -> grid(method=mincurv, spacing=0.01) -> { fine: qc, coarse: grid(spacing=0.1) -> qc }";

Deno.test("parsePipeline() reads the arrow form with parameters and branches", () => {
  const spec = parsePipeline(ARROW);
  assert.deepEqual(spec.steps.map((s) => s.stage), ["outlier", "grid"]);
  assert.deepEqual(spec.steps[0].params, { method: "mad", threshold: 3.5 });
  assert.deepEqual(spec.steps[1].params, { method: "mincurv", spacing: 0.01 });
  assert.deepEqual(spec.branches.map((b) => b.label), ["fine", "coarse"]);
  assert.deepEqual(spec.branches[1].chain.steps.map((s) => [s.stage, s.params]), [
    ["grid", { spacing: 0.1 }],
    ["qc", {}],
  ]);
  assert.equal(spec.steps[1].column, 39);
});

Deno.test("parsePipeline() reads booleans, quoted strings, exponents and nested forks", () => {
  const spec = parsePipeline(
    `a(x=true, y='two words', z=-1.5e-3, w="q") -> { l: b -> { m: c, n: d() } }`,
  );
  assert.deepEqual(spec.steps[0].params, { x: true, y: "two words", z: -1.5e-3, w: "q" });
  const inner = spec.branches[0].chain;
  assert.deepEqual(inner.steps.map((s) => s.stage), ["b"]);
  assert.deepEqual(inner.branches.map((b) => b.label), ["m", "n"]);
});

Deno.test("parsePipeline() and the list form give the same DAG", () => {
  const list = pipelineFromList([
    { stage: "outlier", params: { method: "mad", threshold: 3.5 } },
    { stage: "grid", params: { method: "mincurv", spacing: 0.01 } },
    {
      branches: {
        fine: [{ stage: "qc" }],
        coarse: [{ stage: "grid", params: { spacing: 0.1 } }, { stage: "qc" }],
      },
    },
  ]);
  const strip = (s: unknown): unknown =>
    JSON.parse(JSON.stringify(s, (k, v) => (k === "column" ? undefined : v)));
  assert.deepEqual(strip(list), strip(parseDefinition(ARROW)));
});

Deno.test("parsePipeline() errors give the column and what was expected", async (t) => {
  const cases: [string, number, RegExp][] = [
    ["", 1, /expected a stage name, found end of definition/],
    ["grid(spacing=)", 14, /expected a parameter value .*found "\)"/],
    ["grid(spacing 0.1)", 14, /expected "=" after parameter "spacing", found "0.1"/],
    ["grid(spacing=0.1", 17, /expected "," or "\)", found end of definition/],
    ["a -> ", 6, /expected a stage name/],
    ["a -> { x: b } -> c", 15, /branches must be the last step/],
    ["a -> { x b }", 10, /expected ":" after branch label "x"/],
    ["a -> { x: b, x: c }", 14, /branch label "x" used twice/],
    ["a(k=1, k=2)", 8, /parameter "k" given twice/],
    ["a b", 3, /expected "->" or the end of the definition, found "b"/],
    ["a(x='open)", 5, /unterminated string/],
    ["a -> { }", 8, /expected a branch label/],
    ["a -> b $ c", 8, /unexpected character "\$"/],
  ];
  for (const [src, column, pattern] of cases) {
    await t.step(JSON.stringify(src), () => {
      assert.throws(() => parsePipeline(src), (e: unknown) => {
        assert.ok(e instanceof PipelineSyntaxError && e instanceof SyntaxError);
        assert.equal(e.column, column, e.message);
        assert.match(e.message, pattern);
        assert.match(e.message, new RegExp(`column ${column}:`));
        return true;
      });
    });
  }
});

Deno.test("pipelineFromList() rejects malformed lists with the item path", () => {
  assert.throws(() => pipelineFromList([]), /pipeline: expected a non-empty list/);
  assert.throws(
    () => pipelineFromList([{ branches: { a: [{ stage: "x" }] } }]),
    /pipeline\[0\]: expected a stage before/,
  );
  assert.throws(
    () => pipelineFromList([{ stage: "a" }, { branches: { x: [{ stage: "b" }] } }, { stage: "c" }]),
    /pipeline\[2\]: branches must be the last item/,
  );
  assert.throws(
    () => pipelineFromList([{ stage: "a" }, { branches: {} }]),
    /pipeline\[1\]\.branches: expected at least one branch/,
  );
  assert.throws(
    () => pipelineFromList([{ nope: 1 } as never]),
    /pipeline\[0\]: expected \{ stage, params \} or \{ branches \}/,
  );
  assert.throws(
    () => pipelineFromList([{ stage: "a" }, { branches: { x: [] } }]),
    /pipeline\[1\]\.branches\.x: expected a non-empty list/,
  );
});
