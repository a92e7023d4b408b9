import assert from "node:assert/strict";
import { footprintDistance } from "./footprint.ts";
import { mulberry32 as rng } from "../plugins/in_process.ts";

/** Brute force: the gridding metric, longitude scaled by the cosine of the node's latitude. */
function bruteForce(
  lon: Float64Array,
  lat: Float64Array,
  l: Parameters<typeof footprintDistance>[2],
) {
  const out = new Float64Array(l.nx * l.ny);
  for (let j = 0; j < l.ny; j++) {
    const y = l.south + j * l.spacing, c = Math.cos((y * Math.PI) / 180);
    for (let i = 0; i < l.nx; i++) {
      const x = l.west + i * l.spacing;
      let best = Infinity;
      for (let p = 0; p < lon.length; p++) {
        best = Math.min(best, Math.hypot((lon[p] - x) * c, lat[p] - y));
      }
      out[j * l.nx + i] = best;
    }
  }
  return out;
}

Deno.test("footprintDistance() is within one cell of brute force, a small fraction on average", () => {
  const r = rng(13);
  // Two clusters at 60°N, one of them partly outside the grid, and a large empty area.
  const n = 300;
  const lon = Float64Array.from({ length: n }, (_, k) => (k % 2 ? 10.1 : 10.8) + 0.15 * r());
  const lat = Float64Array.from({ length: n }, (_, k) => (k % 2 ? 60.05 : 60.7) + 0.4 * r());
  const layout = { west: 10, south: 60, spacing: 0.02, nx: 51, ny: 41 };
  const got = footprintDistance(lon, lat, layout);
  const want = bruteForce(lon, lat, layout);
  let sum = 0, near = 0;
  for (let k = 0; k < got.length; k++) {
    const e = Math.abs(got[k] - want[k]);
    assert.ok(e < layout.spacing, `node ${k}: ${got[k]} vs ${want[k]}`);
    // A distance to a real point (offsets kept in float32): never shorter beyond rounding.
    assert.ok(got[k] >= want[k] - 1e-6 * layout.spacing, `node ${k}: shorter than the truth`);
    sum += e;
    if (want[k] <= layout.spacing) near++;
  }
  const mean = sum / got.length;
  assert.ok(mean < 0.1 * layout.spacing, `mean error ${mean / layout.spacing} cells`);
  assert.ok(near > 100, "the check covers many nodes next to the data");
  assert.ok(Math.max(...want) > 10 * layout.spacing, "and nodes far from the data");
});

Deno.test("footprintDistance() without points is Infinity everywhere", () => {
  const d = footprintDistance(new Float64Array(0), new Float64Array(0), {
    west: 0,
    south: 0,
    spacing: 1,
    nx: 3,
    ny: 2,
  });
  assert.ok(d.every((x) => x === Infinity));
});
