import assert from "node:assert/strict";
import { gridChecksum, GridChecksumStream } from "./checksum.ts";
import type { ProcessedGrid } from "./processed_grid.ts";

function grid(values: ProcessedGrid["values"], nx: number): ProcessedGrid {
  const ny = values.length / nx;
  return {
    lat: Float64Array.from({ length: ny }, (_, i) => -10 + i * 0.25),
    lon: Float64Array.from({ length: nx }, (_, i) => 20 + i * 0.25),
    values,
    units: "nT",
    crs: "EPSG:4326",
    resolution: { lon: 0.25, lat: 0.25 },
    registration: "gridline",
    provenance: [],
  };
}

Deno.test("GridChecksumStream: any cut into ranges gives gridChecksum of the finished grid", () => {
  const values = Float64Array.from({ length: 300 * 501 }, (_, i) => Math.sin(i / 7) * 100);
  for (let i = 0; i < values.length; i += 61) values[i] = NaN;
  // One NaN with a payload: hashed as the canonical NaN, whatever range it falls in.
  new DataView(values.buffer).setUint32(8 * 5 + 4, 0xfff80001, true);
  const g = grid(values, 501);
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

Deno.test("GridChecksumStream refuses ranges out of order and an early digest", () => {
  const g = grid(new Float64Array(12).fill(1), 4);
  const stream = new GridChecksumStream(g, g.values);
  assert.throws(() => stream.update(4, 8), /range 4\.\.8 received, expected one from 0 up to 12/);
  stream.update(0, 4);
  assert.throws(() => stream.digest(), /4 of 12 values hashed, expected all/);
  assert.throws(() => stream.update(4, 13), /expected one from 4 up to 12/);
  stream.update(4, 12);
  assert.equal(stream.digest(), gridChecksum(g));
});

Deno.test("GridChecksumStream.matches only the grid it hashed", () => {
  const g = grid(new Float64Array(12).fill(1), 4);
  const stream = new GridChecksumStream(g, g.values);
  assert.ok(stream.matches({ ...g }));
  assert.ok(!stream.matches({ ...g, units: "mGal" }));
  assert.ok(!stream.matches({ ...g, lat: g.lat.slice() }));
  assert.ok(!stream.matches({ ...g, values: g.values.slice() }));
  assert.ok(!stream.matches({ ...g, registration: "pixel" }));
});
