import assert from "node:assert/strict";
import { convert, UnitError, unitFactor } from "./mod.ts";

Deno.test("convert() gives 100 mGal = 0.001 m/s² exactly (the old Python factors were inverted)", () => {
  assert.equal(convert(100, "mGal", "m/s²"), 0.001);
  assert.equal(convert(new Float64Array([100]), "mGal", "m/s²")[0], 0.001);
  assert.equal(convert(0.001, "m/s^2", "mGal"), 100);
  assert.equal(convert(1, "mGal", "m/s²"), 1e-5);
  assert.equal(unitFactor("mGal", "m/s²"), 1e-5);
  assert.equal(unitFactor("m/s²", "mGal"), 1e5);
  // 9.81 m/s² is 981000 mGal, the usual sanity check.
  assert.equal(convert(9.81, "m/s²", "mGal"), 981000);
});

Deno.test("convert() handles µGal in every accepted spelling", () => {
  for (const u of ["µGal", "μGal", "uGal", "ugal", " microgal "]) {
    assert.equal(convert(1500, u, "mGal"), 1.5, u);
  }
  assert.equal(convert(1.5, "mGal", "uGal"), 1500);
  assert.equal(convert(1, "µGal", "m/s²"), 1e-8);
});

Deno.test("convert() handles Eötvös and s⁻² in gravity_gradient", () => {
  for (const u of ["E", "Eotvos", "Eötvös", "eotvos"]) {
    assert.equal(convert(3, u, "s^-2"), 3e-9, u);
  }
  assert.equal(convert(3e-9, "s⁻²", "E"), 3);
  assert.equal(unitFactor("E", "s-2", { modality: "gravity_gradient" }), 1e-9);
});

Deno.test("convert() handles gamma and µT in magnetic", () => {
  assert.equal(convert(42, "gamma", "nT"), 42);
  assert.equal(convert(42, "nT", "gamma"), 42);
  assert.equal(convert(48.5, "µT", "nT"), 48500);
  assert.equal(convert(48500, "nT", "uT"), 48.5);
  assert.equal(convert(1, "μT", "gamma", { modality: "magnetic" }), 1000);
});

Deno.test("convert() round trips arrays within 2 ulp and keeps NaN nodata", () => {
  // Fixed-seed LCG so the test is reproducible.
  let s = 12345;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const v = new Float64Array(1000).map(() => (rnd() - 0.5) * 400);
  v[7] = NaN;
  const pairs: [string, string][] = [["mGal", "m/s²"], ["µGal", "m/s²"], ["nT", "µT"], [
    "E",
    "s⁻²",
  ]];
  for (const [a, b] of pairs) {
    const back = convert(convert(v, a, b), b, a);
    assert.ok(Number.isNaN(back[7]));
    for (let i = 0; i < v.length; i++) {
      if (i === 7) continue;
      // Tolerance: two correctly rounded operations, so at most 2 ulp relative.
      const tol = Math.abs(v[i]) * 2 * Number.EPSILON;
      assert.ok(Math.abs(back[i] - v[i]) <= tol, `${a}->${b}->${a} at ${i}: ${back[i]} vs ${v[i]}`);
    }
  }
});

Deno.test("convert() returns a new array of the same type and leaves the input alone", () => {
  const f32 = new Float32Array([1, 2, 3]);
  const out = convert(f32, "µT", "nT");
  assert.ok(out instanceof Float32Array);
  assert.notEqual(out, f32);
  assert.deepEqual([...out], [1000, 2000, 3000]);
  assert.deepEqual([...f32], [1, 2, 3]);
  const same = convert(new Float64Array([5]), "mGal", "mgal");
  assert.ok(same instanceof Float64Array);
  assert.deepEqual([...same], [5]);
});

Deno.test("convert() rejects an unknown unit with the unit, modality and known units", () => {
  assert.throws(() => convert(1, "mGals", "mGal", { modality: "gravity" }), (e: unknown) => {
    assert.ok(e instanceof UnitError);
    assert.ok(e instanceof RangeError);
    assert.match(e.message, /"mGals"/);
    assert.match(e.message, /gravity/);
    assert.match(e.message, /mGal, µGal, m\/s²/);
    assert.equal(e.unit, "mGals");
    assert.equal(e.modality, "gravity");
    return true;
  });
  assert.throws(() => convert(1, "furlong", "mGal"), /Unknown unit "furlong" \(any modality\)/);
});

Deno.test("convert() rejects cross-modality conversion, including acceleration to gradient", () => {
  assert.throws(() => convert(1, "mGal", "nT"), (e: unknown) => {
    assert.ok(e instanceof UnitError);
    assert.equal(
      e.message,
      'Cannot convert "mGal" (gravity) to "nT" (magnetic): conversion between modalities is ' +
        "not defined; known gravity units: mGal, µGal, m/s²",
    );
    assert.deepEqual(e.known, ["mGal", "µGal", "m/s²"]);
    return true;
  });
  assert.throws(
    () => convert(1, "mGal", "E"),
    /different quantities/,
  );
  assert.throws(() => unitFactor("m/s²", "s⁻²"), UnitError);
  assert.throws(
    () => convert(1, "mGal", "nT", { modality: "gravity" }),
    /Unknown unit "nT" for modality "gravity" \(it is a magnetic unit\)/,
  );
});

Deno.test("convert() rejects an array that is not a Float64Array or Float32Array", () => {
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => convert([1, 2] as any, "mGal", "µGal"),
    (e: unknown) => e instanceof TypeError && /got \[object Array\]/.test(e.message),
  );
});
