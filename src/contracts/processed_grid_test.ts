import assert from "node:assert/strict";
import { ContractError } from "./errors.ts";
import { validateProcessedGrid } from "./processed_grid.ts";
import { validateAnomaly, validateInversionResult } from "./anomaly.ts";
import { canonicalChecksum, gridChecksum, GridChecksumStream } from "./checksum.ts";
import type { ProcessedGrid } from "./processed_grid.ts";

function grid(o: Record<string, unknown> = {}) {
  return {
    lat: new Float64Array([45, 45.5, 46]),
    lon: new Float64Array([10, 10.5]),
    values: new Float64Array([1, 2, NaN, 4, 5, 6]),
    units: "mGal",
    crs: "EPSG:4326",
    resolution: { lon: 0.5, lat: 0.5 },
    registration: "gridline",
    provenance: [{ step: "grid", version: "1.0.0", params: { method: "idw" } }],
    ...o,
  };
}

Deno.test("validateProcessedGrid() accepts a valid grid with NaN nodata", () => {
  const g = validateProcessedGrid(grid());
  assert.equal(g.values.length, 6);
  assert.ok(Number.isNaN(g.values[2]));
});

Deno.test("validateProcessedGrid() rejects every broken rule with its field", async (t) => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      "decreasing lat",
      { lat: new Float64Array([46, 45.5, 45]) },
      /lat: must be strictly increasing/,
    ],
    ["non-finite lon", { lon: new Float64Array([10, Infinity]) }, /lon\[1\]: must be finite/],
    [
      "wrong size",
      { values: new Float64Array(5) },
      /values: length 5 differs from lat x lon = 3 x 2/,
    ],
    [
      "plain array values",
      { values: [1, 2, 3, 4, 5, 6] },
      /values: expected a Float32Array or Float64Array/,
    ],
    [
      "resolution mismatch",
      { resolution: { lon: 0.25, lat: 0.5 } },
      /resolution\.lon: 0\.25 degrees differs from the lon axis step 0\.5/,
    ],
    ["bad registration", { registration: "corner" }, /registration/],
    ["bad crs", { crs: "WGS84" }, /crs/],
    ["negative resolution", { resolution: { lon: -1, lat: 0.5 } }, /resolution\.lon/],
  ];
  for (const [name, o, pattern] of cases) {
    await t.step(name, () => {
      assert.throws(() => validateProcessedGrid(grid(o), "stage grid"), (e: unknown) => {
        assert.ok(e instanceof ContractError);
        assert.match(e.message, /^ProcessedGrid from stage grid breaks its contract/);
        assert.match(e.message, pattern);
        return true;
      });
    });
  }
});

Deno.test("gridChecksum() is the same for Float64 storage split or joined, and changes with data", () => {
  const a = validateProcessedGrid(grid());
  const b = validateProcessedGrid(grid({ values: new Float64Array([1, 2, NaN, 4, 5, 6]) }));
  assert.equal(gridChecksum(a), gridChecksum(b));
  const c = validateProcessedGrid(grid({ values: new Float64Array([1, 2, 0, 4, 5, 6]) }));
  assert.notEqual(gridChecksum(a), gridChecksum(c), "NaN and 0 must not hash the same");
  // A big array crosses the chunked NaN normalisation boundary.
  const big = new Float32Array(200_000).map((_, i) => (i % 7 === 0 ? NaN : i));
  assert.equal(canonicalChecksum({ v: big }), canonicalChecksum({ v: big.slice() }));
  assert.notEqual(canonicalChecksum({ v: big }), canonicalChecksum({ v: Float64Array.from(big) }));
});

Deno.test("canonicalChecksum() ignores NaN payloads and sign, and leaves the caller's bits alone", () => {
  const f32 = new Float32Array([1, NaN, 3, NaN]);
  const f64 = new Float64Array([1, NaN, 3, NaN]);
  const plain = [canonicalChecksum({ v: f32 }), canonicalChecksum({ v: f64 })];
  const bits32 = new Uint32Array(f32.buffer);
  bits32[1] = 0x7fc00001; // a quiet NaN with a payload
  bits32[3] = 0xffc00000; // a negative quiet NaN
  const bits64 = new Uint32Array(f64.buffer);
  bits64[3] = 0xfff80000; // negative NaN (high word)
  bits64[6] = 0x00000001; // payload in the low word of element 3
  assert.deepEqual([canonicalChecksum({ v: f32 }), canonicalChecksum({ v: f64 })], plain);
  assert.deepEqual([bits32[1], bits32[3], bits64[3], bits64[6]], [
    0x7fc00001,
    0xffc00000,
    0xfff80000,
    0x00000001,
  ]);
});

Deno.test("validateAnomaly() checks depth, confidence and coordinates", () => {
  assert.deepEqual(
    validateAnomaly({ lon: 10, lat: 45, depth: 120, confidence: 0.7, type: "positive" }).attributes,
    {},
  );
  assert.throws(
    () => validateAnomaly({ lon: 10, lat: 45, depth: -1, confidence: 0.5, type: "x" }),
    /depth must be >= 0 metres/,
  );
  assert.throws(
    () => validateAnomaly({ lon: 10, lat: 45, depth: 0, confidence: 1.5, type: "x" }),
    /confidence/,
  );
  assert.throws(
    () => validateAnomaly({ lon: 190, lat: 45, depth: 0, confidence: 0.5, type: "x" }),
    /lon/,
  );
  assert.throws(
    () => validateAnomaly({ lon: 10, lat: 45, depth: 0, confidence: 0.5, type: "" }),
    /type/,
  );
});

Deno.test("validateInversionResult() requires model and uncertainty of the same shape", () => {
  const ok = validateInversionResult({ modelType: "density", model: grid(), uncertainty: grid() });
  assert.equal(ok.modelType, "density");
  const other = grid({
    lat: new Float64Array([45, 46]),
    values: new Float64Array(4),
    resolution: { lon: 0.5, lat: 1 },
  });
  assert.throws(
    () => validateInversionResult({ modelType: "density", model: grid(), uncertainty: other }),
    /uncertainty grid \(2 x 2\) must have the same shape and coordinates as the model grid \(3 x 2\)/,
  );
});

/** The test grid with `values` on `nx` columns (axes of 0.5° steps to match). */
function sized(values: ProcessedGrid["values"], nx: number): ProcessedGrid {
  const ny = values.length / nx;
  return validateProcessedGrid(grid({
    lat: Float64Array.from({ length: ny }, (_, i) => 45 + i * 0.5),
    lon: Float64Array.from({ length: nx }, (_, i) => 10 + i * 0.5),
    values,
  }));
}

Deno.test("GridChecksumStream: any cut into ranges gives gridChecksum of the finished grid", () => {
  const values = Float64Array.from({ length: 300 * 501 }, (_, i) => Math.sin(i / 7) * 100);
  for (let i = 0; i < values.length; i += 61) values[i] = NaN;
  // One NaN with a payload: hashed as the canonical NaN, whatever range it falls in.
  new DataView(values.buffer).setUint32(8 * 5 + 4, 0xfff80001, true);
  const g = sized(values, 501);
  const want = gridChecksum(g);
  let seed = 3;
  for (let trial = 0; trial < 10; trial++) {
    const stream = new GridChecksumStream(g, values);
    for (let from = 0; from < values.length;) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      const to = Math.min(values.length, from + 1 + (seed % 90_000));
      stream.update(from, to);
      from = to;
    }
    assert.equal(stream.digest(), want, `trial ${trial}`);
    assert.ok(stream.matches(g));
  }
  // Float32 values hash as float32, as gridChecksum does.
  const f32 = Float32Array.from(values);
  const s32 = new GridChecksumStream(g, f32);
  s32.update(0, f32.length);
  assert.equal(s32.digest(), gridChecksum({ ...g, values: f32 }));
  assert.notEqual(s32.digest(), want);
});

Deno.test("gridChecksum() normalises NaN payloads in any chunk of a large grid, the caller's bits kept", () => {
  const values = Float64Array.from({ length: 200 * 301 }, (_, i) => Math.cos(i / 11) * 50);
  const canonical = values.slice();
  const odd = values.slice();
  const view = new DataView(odd.buffer);
  // One NaN with a payload near the start, one in a later chunk, one in the last value.
  for (const k of [7, 40_000, values.length - 1]) {
    canonical[k] = NaN;
    view.setUint32(8 * k + 4, 0xfff80001, true);
    view.setUint32(8 * k, 0x1, true);
  }
  const want = gridChecksum(sized(canonical, 301));
  assert.equal(gridChecksum(sized(odd, 301)), want);
  assert.equal(view.getUint32(8 * 40_000, true), 0x1, "the caller's bits are left alone");
  const stream = new GridChecksumStream(sized(odd, 301), odd);
  stream.update(0, 39_999);
  stream.update(39_999, odd.length);
  assert.equal(stream.digest(), want);
});

Deno.test("GridChecksumStream refuses ranges out of order and an early digest", () => {
  const g = sized(new Float64Array(12).fill(1), 4);
  const stream = new GridChecksumStream(g, g.values);
  assert.throws(() => stream.update(4, 8), /range 4\.\.8 received, expected one from 0 up to 12/);
  stream.update(0, 4);
  assert.throws(() => stream.digest(), /4 of 12 values hashed, expected all/);
  assert.throws(() => stream.update(4, 13), /expected one from 4 up to 12/);
  stream.update(4, 12);
  assert.equal(stream.digest(), gridChecksum(g));
});

Deno.test("GridChecksumStream.matches only the grid it hashed", () => {
  const g = sized(new Float64Array(12).fill(1), 4);
  const stream = new GridChecksumStream(g, g.values);
  assert.ok(stream.matches({ ...g }));
  assert.ok(!stream.matches({ ...g, units: "nT" }));
  assert.ok(!stream.matches({ ...g, lat: g.lat.slice() }));
  assert.ok(!stream.matches({ ...g, values: g.values.slice() }));
  assert.ok(!stream.matches({ ...g, registration: "pixel" }));
});
