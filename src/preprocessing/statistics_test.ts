import assert from "node:assert/strict";
import { nanCount, StatisticsAccumulator, valueStatistics } from "./statistics.ts";

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

/** A deterministic pseudo-random sequence in [0, 1) (no Math.random: failures reproduce). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

Deno.test("StatisticsAccumulator gives the same bits however the values are cut into ranges", () => {
  const rand = lcg(7);
  const v = new Float64Array(3 * 4096 + 777).map(() => 500 + 40 * rand());
  for (let i = 0; i < v.length; i += 97) v[i] = NaN;
  const whole = valueStatistics(v);
  for (let trial = 0; trial < 20; trial++) {
    const acc = new StatisticsAccumulator();
    let from = 0;
    while (from < v.length) {
      // Ranges from 1 value to more than a block: cuts inside and across block boundaries.
      const to = Math.min(v.length, from + 1 + Math.floor(rand() * 6000));
      acc.add(v, from, to);
      from = to;
    }
    assert.deepEqual(acc.result(v.length), whole, `trial ${trial}`);
  }
});

Deno.test("valueStatistics keeps precision far from zero (reference: exact two-pass sums)", () => {
  // 1e9 + noise of std ~0.29: sums of squares about zero would lose every digit of the
  // variance; the mean and std must match a compensated two-pass reference.
  const rand = lcg(11);
  const v = new Float64Array(200_003).map(() => 1e9 + rand());
  const mean = fsum(v) / v.length;
  const std = Math.sqrt(fsum(v.map((x) => (x - mean) ** 2)) / v.length);
  const s = valueStatistics(v);
  assert.ok(Math.abs(s.mean! - mean) <= 1e-15 * mean, `mean ${s.mean} vs ${mean}`);
  assert.ok(Math.abs(s.std! - std) <= 1e-8 * std, `std ${s.std} vs ${std}`);
  assert.equal(s.count, v.length);
  assert.equal(s.nanRatio, 0);
});

Deno.test("valueStatistics: empty, all-NaN, one value, infinities", () => {
  const none = { count: 0, nanRatio: 0, min: null, max: null, mean: null, std: null };
  assert.deepEqual(valueStatistics(new Float64Array(0)), none);
  assert.deepEqual(valueStatistics(new Float64Array([NaN, NaN])), {
    ...none,
    count: 2,
    nanRatio: 1,
  });
  assert.deepEqual(valueStatistics(new Float32Array([NaN, 2.5])), {
    count: 2,
    nanRatio: 0.5,
    min: 2.5,
    max: 2.5,
    mean: 2.5,
    std: 0,
  });
  const inf = valueStatistics(new Float64Array([Infinity, 1, 2]));
  assert.equal(inf.mean, Infinity);
  assert.equal(inf.max, Infinity);
  assert.equal(inf.min, 1);
});

/** Neumaier's compensated sum (the reference's own arithmetic, not the accumulator's). */
function fsum(a: Float64Array): number {
  let sum = 0, c = 0;
  for (const x of a) {
    const t = sum + x;
    c += Math.abs(sum) >= Math.abs(x) ? (sum - t) + x : (x - t) + sum;
    sum = t;
  }
  return sum + c;
}
