import assert from "node:assert/strict";
import { parseByteSize, parseDuration } from "./quantities.ts";
import { cronProblem } from "./cron.ts";

Deno.test("parseDuration() converts text durations to seconds", () => {
  assert.equal(parseDuration("7d"), 604800);
  assert.equal(parseDuration("12h"), 43200);
  assert.equal(parseDuration("30m"), 1800);
  assert.equal(parseDuration("1h30m"), 5400);
  assert.equal(parseDuration("250ms"), 0.25);
  assert.equal(parseDuration("2w"), 1209600);
  assert.equal(parseDuration(90), 90);
});

Deno.test("parseDuration() rejects what is not a duration", () => {
  for (const bad of ["7 days", "", "d", "-1h", "1y", -5, NaN, null, [1]]) {
    assert.equal(parseDuration(bad), undefined, String(bad));
  }
});

Deno.test("parseByteSize() reads decimal and binary units", () => {
  assert.equal(parseByteSize("2GiB"), 2147483648);
  assert.equal(parseByteSize("500MB"), 500_000_000);
  assert.equal(parseByteSize("1.5 kB"), 1500);
  assert.equal(parseByteSize("64kib"), 65536);
  assert.equal(parseByteSize(4096), 4096);
  assert.equal(parseByteSize("17"), 17);
});

Deno.test("parseByteSize() rejects unknown units, fractions of bytes given as numbers and negatives", () => {
  for (const bad of ["2 lots", "GB", "-1MB", 1.5, -1, "1e3"]) {
    assert.equal(parseByteSize(bad), undefined, String(bad));
  }
});

Deno.test("cronProblem() accepts 5-field expressions and macros, refuses the rest", () => {
  for (const ok of ["*/15 * * * *", "0 3 * * MON-FRI", "30 3 1 JAN,JUL *", "@daily", "@hourly"]) {
    assert.equal(cronProblem(ok), undefined, ok);
  }
  assert.match(cronProblem("61 * * * *")!, /minute: 61/);
  assert.match(cronProblem("0 0 0 * * *")!, /expected 5 fields .* got 6 fields/);
  assert.match(cronProblem("0 3 * *")!, /got 4 fields/);
  assert.match(cronProblem("0 0 30 2 *")!, /never matches/);
  assert.match(cronProblem("0 0 * * 8")!, /day ?of ?week/i);
});
