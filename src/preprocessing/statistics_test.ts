import assert from "node:assert/strict";
import { nanCount, valueStatistics } from "./statistics.ts";

Deno.test("nanCount counts the gaps that valueStatistics reports as nanRatio", () => {
  // NaNs of any payload and sign count; infinities and negative zero do not
  const f64 = new Float64Array([1, NaN, -Infinity, -0, NaN, 3]);
  const bits = new DataView(f64.buffer);
  // element 4: a negative NaN with a payload (little-endian words: low, high)
  bits.setUint32(4 * 8, 1, true);
  bits.setUint32(4 * 8 + 4, 0xfff80000, true);
  assert.equal(nanCount(f64), 2);
  assert.equal(nanCount(f64) / f64.length, valueStatistics(f64).nanRatio);
  assert.equal(nanCount(new Float32Array([NaN, NaN, 0])), 2);
  assert.equal(nanCount(new Float64Array(0)), 0);
});
