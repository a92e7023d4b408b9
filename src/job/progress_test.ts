import assert from "node:assert/strict";
import { createProgress } from "./progress.ts";
import { createLogger } from "../observability/mod.ts";

Deno.test("plain progress writes a JSON record per new task, on completion and at most every interval", () => {
  const lines: string[] = [];
  let t = 0;
  const p = createProgress({
    tty: false,
    write: (s) => lines.push(s),
    now: () => t,
    plainIntervalMs: 1000,
  });
  p.update({ modality: "gravity", task: "grid (fine)", done: 0, total: 1000, unit: "cells" });
  t = 500;
  p.update({ modality: "gravity", task: "grid (fine)", done: 250, total: 1000, unit: "cells" });
  t = 1200;
  p.update({ modality: "gravity", task: "grid (fine)", done: 500, total: 1000, unit: "cells" });
  t = 1300;
  p.update({ modality: "gravity", task: "grid (fine)", done: 1000, total: 1000, unit: "cells" });
  p.finish("gravity", "done");
  assert.equal(lines.length, 4);
  assert.ok(lines.every((l) => l.endsWith("\n") && l.indexOf("\n") === l.length - 1));
  const records = lines.map((l) => JSON.parse(l));
  assert.equal(records[0].msg, "progress");
  assert.deepEqual(
    [records[1].task, records[1].done, records[1].total, records[1].unit],
    ["grid (fine)", 500, 1000, "cells"],
  );
  assert.equal(records[1].elapsedSeconds, 1.2);
  assert.equal(records[2].done, 1000);
  assert.equal(records[3].outcome, "done");
  assert.ok(!lines.join("").includes("\x1b"), "no escape codes outside a terminal");
});

Deno.test("plain progress goes through the logger, so stderr holds JSON log lines only", () => {
  const lines: string[] = [];
  const logger = createLogger({ sink: (l) => lines.push(l), level: "info" });
  const p = createProgress({ tty: false, logger, write: () => assert.fail("no direct writes") });
  logger.info("stage start", { stage: "grid" });
  p.update({ modality: "magnetic", task: "grid (fine)", done: 0, total: 0, unit: "" });
  logger.warn("something", {});
  p.finish("magnetic", "done");
  assert.equal(lines.length, 4);
  const records = lines.map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => r.msg), ["stage start", "progress", "something", "progress"]);
  assert.equal(records[1].task, "grid (fine)");
});

Deno.test("terminal progress redraws one bar per modality in place and erases them on close", () => {
  let out = "";
  const p = createProgress({ tty: true, write: (s) => (out += s), now: () => 0 });
  p.update({ modality: "gravity", task: "fetch", done: 1, total: 4, unit: "requests" });
  p.update({ modality: "magnetic", task: "outlier", done: 2, total: 4, unit: "points" });
  assert.ok(out.includes("\x1b[1A"), "the second draw moves up over the first bar");
  assert.ok(out.includes("[######------------------]  25% fetch"));
  assert.ok(out.includes("[############------------]  50% outlier"));
  p.close();
  assert.ok(out.endsWith("\x1b[2A\x1b[J"));
});

Deno.test("a task without fractions shows a spinner with its running time, not 0%", () => {
  let out = "";
  let t = 0;
  const p = createProgress({ tty: true, write: (s) => (out = s), now: () => t, spinIntervalMs: 0 });
  p.update({ modality: "magnetic", task: "grid (fine)", done: 0, total: 0, unit: "" });
  assert.match(out, /magnetic\s+\[\|\] grid \(fine\) running 0\.0s elapsed 0\.0s/);
  t = 2500;
  p.update({ modality: "magnetic", task: "grid (fine)", done: 0, total: 0, unit: "" });
  assert.match(out, /\[[|/\\-]\] grid \(fine\) running 2\.5s/);
  assert.doesNotMatch(out, /%/);
  p.close();
});
