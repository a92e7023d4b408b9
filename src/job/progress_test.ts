import assert from "node:assert/strict";
import { createProgress } from "./progress.ts";

Deno.test("plain progress prints a line per new task, on completion and at most every interval", () => {
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
  assert.match(
    lines[1],
    /^gravity\s+50% grid \(fine\) 500\/1,000 cells elapsed 1\.2s eta 1\.2s\n$/,
  );
  assert.match(lines[2], /100% .* eta 0\.0s/);
  assert.match(lines[3], /^gravity\s+done in 1\.3s/);
  assert.ok(!lines.join("").includes("\x1b"), "no escape codes outside a terminal");
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
