import assert from "node:assert/strict";
import { nanCount, StatisticsAccumulator, valueStatistics } from "./statistics.ts";
import { blockRange } from "../compute/mod.ts";

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

Deno.test("whole blocks summarised by the wasm kernel merge to the bits of adding the values", async () => {
  // The kernel a worker runs on its band (block_statistics), here on the main thread.
  const core = await import("../compute/wasm/gam_core.js");
  const rand = lcg(11);
  const v = new Float64Array(9 * 4096 + 1234).map(() => 1e6 + 30 * rand() - 15);
  for (let i = 0; i < v.length; i += 89) v[i] = NaN;
  for (let i = 4096 * 2; i < 4096 * 3; i++) v[i] = NaN; // a block without a valid value
  v[4096 * 4] = Infinity; // a block whose first valid value is infinite (shift 0)
  v[4096 * 5 + 17] = -Infinity;
  const whole = valueStatistics(v);
  for (let trial = 0; trial < 12; trial++) {
    const acc = new StatisticsAccumulator();
    let from = 0;
    while (from < v.length) {
      const to = Math.min(v.length, from + 1 + Math.floor(rand() * 3 * 4096));
      const [headEnd, tailStart] = blockRange(from, to);
      acc.add(v, from, headEnd);
      acc.addBlocks(core.block_statistics(v.subarray(from, to), from));
      acc.add(v, tailStart, to);
      from = to;
    }
    assert.deepEqual(acc.result(v.length), whole, `trial ${trial}`);
  }
  // Finite values only: the moments themselves, compared bit for bit.
  const finite = v.map((x) => (Number.isFinite(x) ? x : NaN));
  const acc = new StatisticsAccumulator();
  const [, tailStart] = blockRange(0, finite.length);
  acc.addBlocks(core.block_statistics(finite, 0));
  acc.add(finite, tailStart, finite.length);
  const ref = valueStatistics(finite);
  assert.deepEqual(acc.result(finite.length), ref);
  assert.ok(Number.isFinite(ref.std!) && ref.std! > 8);
});

Deno.test("StatisticsAccumulator.addBlocks refuses summaries away from a block boundary", () => {
  const acc = new StatisticsAccumulator();
  acc.add(new Float64Array(10));
  assert.throws(
    () => acc.addBlocks(new Float64Array(6)),
    (e: unknown) => e instanceof RangeError && /after 10 values of a block/.test(e.message),
  );
  assert.throws(
    () => new StatisticsAccumulator().addBlocks(new Float64Array(7)),
    (e: unknown) => e instanceof RangeError && /multiple of 6/.test(e.message),
  );
});
