import assert from "node:assert/strict";
import { ContractError } from "./errors.ts";
import { validateProcessedGrid } from "./processed_grid.ts";
import { validateAnomaly, validateInversionResult } from "./anomaly.ts";
import { canonicalChecksum, gridChecksum } from "./checksum.ts";

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
