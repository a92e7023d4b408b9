import assert from "node:assert/strict";
import { footprintDistance, type FootprintLayout } from "./footprint.ts";
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

Deno.test("footprintDistance() is within one cell of brute force, a small fraction on average", async () => {
  const r = rng(13);
  // Two clusters at 60°N, one of them partly outside the grid, and a large empty area.
  const n = 300;
  const lon = Float64Array.from({ length: n }, (_, k) => (k % 2 ? 10.1 : 10.8) + 0.15 * r());
  const lat = Float64Array.from({ length: n }, (_, k) => (k % 2 ? 60.05 : 60.7) + 0.4 * r());
  const layout = { west: 10, south: 60, spacing: 0.02, nx: 51, ny: 41 };
  const got = await footprintDistance(lon, lat, layout);
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

Deno.test("footprintDistance() without points is Infinity everywhere", async () => {
  const d = await footprintDistance(new Float64Array(0), new Float64Array(0), {
    west: 0,
    south: 0,
    spacing: 1,
    nx: 3,
    ny: 2,
  });
  assert.ok(d.every((x) => x === Infinity));
});

Deno.test("footprintDistance() in the core equals the TypeScript transform bit for bit", async () => {
  const r = rng(20261204);
  let layouts = 0;
  for (let trial = 0; trial < 60; trial++) {
    const nx = 1 + Math.floor(r() * 90), ny = 1 + Math.floor(r() * 70);
    const spacing = [0.001, 0.01, 0.25][trial % 3];
    const layout = { west: -42 + r(), south: -60 + 120 * r(), spacing, nx, ny };
    // Lines (dense along, sparse across), clusters, points beyond the grid, or none.
    const n = trial % 10 === 0 ? 0 : Math.floor(r() * 3000);
    const lon = new Float64Array(n), lat = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const line = trial % 2 === 0;
      const u = line ? Math.floor(r() * 6) / 6 : r(), v = r();
      lon[k] = layout.west + (line ? v : u) * nx * spacing * 1.2 - 0.1 * nx * spacing;
      lat[k] = layout.south + (line ? u : v) * ny * spacing * 1.2 - 0.1 * ny * spacing;
    }
    const got = await footprintDistance(lon, lat, layout);
    const want = footprintDistanceTs(lon, lat, layout);
    assert.equal(got.length, want.length);
    const a = new Uint32Array(got.buffer), b = new Uint32Array(want.buffer);
    const at = a.findIndex((x, k) => x !== b[k]);
    assert.equal(at, -1, `layout ${JSON.stringify(layout)}, ${n} points: node ${at >> 1}`);
    layouts++;
  }
  assert.equal(layouts, 60);
});

/**
 * 1-D distance transform in place: the `n` values of `a` at `a[start + p * stride]` become
 * `min_p (w2 * (q - p)² + a[p])`, with the minimising `p` in `arg` (-1 when every value is
 * Infinity). `f`, `v` and `z` are scratch of at least `n` (`z`: `n + 1`) elements.
 */
function transform1d(
  a: Float64Array,
  arg: Int32Array,
  start: number,
  stride: number,
  n: number,
  w2: number,
  f: Float64Array,
  v: Int32Array,
  z: Float64Array,
): void {
  for (let q = 0; q < n; q++) f[q] = a[start + q * stride];
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[q];
    if (fq === Infinity) continue;
    const hq = fq + w2 * q * q;
    let s = -Infinity;
    while (k >= 0) {
      const p = v[k];
      s = (hq - (f[p] + w2 * p * p)) / (2 * w2 * (q - p));
      if (s > z[k]) break;
      k--;
    }
    k++;
    v[k] = q;
    z[k] = k === 0 ? -Infinity : s;
  }
  if (k < 0) {
    for (let q = 0; q < n; q++) arg[start + q * stride] = -1;
    return;
  }
  z[k + 1] = Infinity;
  let j = 0;
  for (let q = 0; q < n; q++) {
    while (z[j + 1] < q) j++;
    const p = v[j];
    a[start + q * stride] = w2 * (q - p) * (q - p) + f[p];
    arg[start + q * stride] = p;
  }
}

/**
 * The row pass of the transform: the same envelope as {@linkcode transform1d} over the `n`
 * contiguous values of `a` from `start`, keeping only the argmins (into `col`; the values are
 * not needed). Returns false when every value is Infinity (no point at all).
 */
function rowArgmins(
  a: Float64Array,
  start: number,
  n: number,
  w2: number,
  col: Int32Array,
  v: Int32Array,
  z: Float64Array,
): boolean {
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = a[start + q];
    if (fq === Infinity) continue;
    const hq = fq + w2 * q * q;
    let s = -Infinity;
    while (k >= 0) {
      const p = v[k];
      s = (hq - (a[start + p] + w2 * p * p)) / (2 * w2 * (q - p));
      if (s > z[k]) break;
      k--;
    }
    k++;
    v[k] = q;
    z[k] = k === 0 ? -Infinity : s;
  }
  if (k < 0) return false;
  z[k + 1] = Infinity;
  let j = 0;
  for (let q = 0; q < n; q++) {
    while (z[j + 1] < q) j++;
    col[q] = v[j];
  }
  return true;
}

/**
 * Seeds of the points `[from, to)`: each point's nearest node (clamped to the grid) keeps the
 * squared distance (in `d`) and offsets (in `off`, longitude then latitude, degrees) of its
 * closest point. Out of line, per chunk of points, so that V8 optimises the loop.
 */
function seedPoints(
  lon: Float64Array,
  lat: Float64Array,
  from: number,
  to: number,
  layout: FootprintLayout,
  cos: Float64Array,
  d: Float64Array,
  off: Float32Array,
): void {
  const { west, south, spacing, nx, ny } = layout;
  const inv = 1 / spacing;
  for (let p = from; p < to; p++) {
    let i = Math.floor((lon[p] - west) * inv + 0.5), j = Math.floor((lat[p] - south) * inv + 0.5);
    i = i < 0 ? 0 : i >= nx ? nx - 1 : i;
    j = j < 0 ? 0 : j >= ny ? ny - 1 : j;
    const ox = lon[p] - (west + i * spacing), oy = lat[p] - (south + j * spacing);
    const dx = ox * cos[j];
    const d2 = dx * dx + oy * oy;
    const k = j * nx + i;
    if (d2 < d[k]) d[k] = d2, off[2 * k] = ox, off[2 * k + 1] = oy;
  }
}

/**
 * The distances of row `j`: for each node, the nearest of the points of its chosen seed (column
 * `col[i]`, row `row[j * nx + col[i]]`) and that seed's 8 neighbours, in the node's metric
 * (`c2` = cosine of the row's latitude).
 */
function distanceRow(
  d: Float64Array,
  row: Int32Array,
  col: Int32Array,
  off: Float32Array,
  j: number,
  layout: FootprintLayout,
  c2: number,
): void {
  const { spacing, nx, ny } = layout;
  const base = j * nx;
  for (let i = 0; i < nx; i++) {
    const c = col[i], r = row[base + c];
    let best = Infinity;
    if (c > 0 && c < nx - 1 && r > 0 && r < ny - 1) {
      // Inside the grid: three neighbouring seeds (six floats) a row, without bounds tests.
      for (let rr = r - 1; rr <= r + 1; rr++) {
        const dyNode = (rr - j) * spacing;
        const q = 2 * (rr * nx + c - 1);
        const x0 = off[q], x1 = off[q + 2], x2 = off[q + 4];
        if (x0 === x0) {
          const dx = ((c - 1 - i) * spacing + x0) * c2, dy = dyNode + off[q + 1];
          const e = dx * dx + dy * dy;
          if (e < best) best = e;
        }
        if (x1 === x1) {
          const dx = ((c - i) * spacing + x1) * c2, dy = dyNode + off[q + 3];
          const e = dx * dx + dy * dy;
          if (e < best) best = e;
        }
        if (x2 === x2) {
          const dx = ((c + 1 - i) * spacing + x2) * c2, dy = dyNode + off[q + 5];
          const e = dx * dx + dy * dy;
          if (e < best) best = e;
        }
      }
    } else {
      for (let rr = Math.max(0, r - 1); rr <= Math.min(ny - 1, r + 1); rr++) {
        const dyNode = (rr - j) * spacing;
        for (let cc = Math.max(0, c - 1); cc <= Math.min(nx - 1, c + 1); cc++) {
          const q = 2 * (rr * nx + cc), ox = off[q];
          if (ox !== ox) continue;
          const dx = ((cc - i) * spacing + ox) * c2, dy = dyNode + off[q + 1];
          const e = dx * dx + dy * dy;
          if (e < best) best = e;
        }
      }
    }
    d[base + i] = Math.sqrt(best);
  }
}

/**
 * The TypeScript transform the core's replaced (before 2026-12-04), the reference its
 * distances must equal bit for bit.
 */
function footprintDistanceTs(
  lon: Float64Array,
  lat: Float64Array,
  layout: FootprintLayout,
): Float64Array<ArrayBuffer> {
  const { south, spacing, nx, ny } = layout;
  const cells = nx * ny;
  // Seed values, then (in place) the two transforms, then the distances.
  const d = new Float64Array(cells).fill(Infinity);
  // Offsets of each seed node's closest point from the node, degrees, longitude and latitude
  // side by side (NaN: no point), kept in node order so that seeding and the final pass read
  // one cache line per node.
  const off = new Float32Array(2 * cells).fill(NaN);
  const cos = new Float64Array(ny);
  for (let j = 0; j < ny; j++) cos[j] = Math.cos(((south + j * spacing) * Math.PI) / 180);
  for (let p = 0; p < lon.length; p += 65536) {
    seedPoints(lon, lat, p, Math.min(lon.length, p + 65536), layout, cos, d, off);
  }
  const n = Math.max(nx, ny);
  const f = new Float64Array(n), v = new Int32Array(n), z = new Float64Array(n + 1);
  // Columns (north-south, spacing in degrees of latitude), then rows with each row's own
  // longitude scale: min over seeds of cos²(lat_row) dlon² + dlat² + seed.
  const row = new Int32Array(cells), col = new Int32Array(nx);
  for (let i = 0; i < nx; i++) transform1d(d, row, i, nx, ny, spacing * spacing, f, v, z);
  for (let j = 0; j < ny; j++) {
    const w = spacing * cos[j];
    if (rowArgmins(d, j * nx, nx, Math.max(w * w, 1e-300), col, v, z)) {
      distanceRow(d, row, col, off, j, layout, cos[j]);
    } else {
      d.fill(Infinity, j * nx, (j + 1) * nx); // no point at all
    }
  }
  // The scratch (12 bytes a node) is released now rather than at some later garbage collection,
  // where it would add to the peak memory of the writing that follows (`gam grid`).
  for (const a of [off, row]) a.buffer.transfer(0);
  return d;
}
