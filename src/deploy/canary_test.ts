import assert from "node:assert/strict";
import { compareCanaryRuns, rmsDifference } from "./mod.ts";
import type { CanaryRunSummary } from "./mod.ts";

Deno.test("rmsDifference() compares the nodes valued in both and counts those valued in one", () => {
  const a = new Float64Array([1, 2, 3, NaN, 5]);
  const b = new Float64Array([1, 4, 3, NaN, NaN]);
  const d = rmsDifference(a, b);
  assert.equal(d.nodes, 3);
  assert.equal(d.mismatched, 1);
  assert.ok(Math.abs(d.rms - Math.sqrt(4 / 3)) < 1e-12);
  assert.throws(() => rmsDifference(a, b.subarray(1)), /differ in size: 5 and 4 nodes/);
});

const run = (
  runId: string,
  grids: { branch: string; checksum: string }[],
  anomalies = 3,
  outcome = "ok",
): CanaryRunSummary => ({
  runId,
  modalities: [{
    modality: "gravity",
    outcome,
    anomalies,
    grids: grids.map((g) => ({ ...g, tif: "/nonexistent.tif" })),
  }],
});

Deno.test("compareCanaryRuns() with a neutral change: equal checksums pass, any other fails", async () => {
  const bbox: [number, number, number, number] = [10, 45, 10.1, 45.1];
  const rules = { neutral: true, rms: 0, anomalyCount: 0 };
  const same = await compareCanaryRuns(
    bbox,
    run("a", [{ branch: "fine", checksum: "sha256:1" }]),
    run("b", [{ branch: "fine", checksum: "sha256:1" }]),
    rules,
  );
  assert.deepEqual(same.map((c) => [c.branch, c.passed, c.detail]), [
    ["fine", true, "checksum equal"],
  ]);
  const changed = await compareCanaryRuns(
    bbox,
    run("a", [{ branch: "fine", checksum: "sha256:1" }, {
      branch: "coarse",
      checksum: "sha256:2",
    }]),
    run("b", [{ branch: "fine", checksum: "sha256:9" }]),
    rules,
  );
  assert.deepEqual(changed.map((c) => [c.branch, c.passed]), [["fine", false], ["coarse", false]]);
  assert.match(changed[0].detail, /checksum sha256:9 differs from sha256:1/);
  assert.match(changed[1].detail, /grid missing in the new color's run/);
});

Deno.test("compareCanaryRuns() fails a modality that did not succeed on either color", async () => {
  const bbox: [number, number, number, number] = [10, 45, 10.1, 45.1];
  const rules = { neutral: false, rms: 1, anomalyCount: 5 };
  const failedNew = await compareCanaryRuns(
    bbox,
    run("a", []),
    run("b", [], 3, "failed"),
    rules,
  );
  assert.equal(failedNew.length, 1);
  assert.equal(failedNew[0].passed, false);
  assert.match(failedNew[0].detail, /the new color's run did not succeed \(failed\)/);
  const failedOwner = await compareCanaryRuns(bbox, run("a", [], 3, "failed"), run("b", []), rules);
  assert.match(failedOwner[0].detail, /the owner's run did not succeed/);
  // No grid, same anomaly counts within the tolerance: only the count is checked.
  const counts = await compareCanaryRuns(bbox, run("a", [], 3), run("b", [], 9), rules);
  assert.deepEqual(counts.map((c) => [c.passed, c.detail]), [
    [false, "anomalies 9 vs 3 (difference 6 > 5)"],
  ]);
});
