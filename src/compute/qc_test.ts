import assert from "node:assert/strict";
import {
  completenessScan,
  float32Exact,
  gridCompleteness,
  KM_PER_DEGREE,
  qcAnomalies,
  warmUpFilter,
  WorkerPool,
} from "./mod.ts";
import { mulberry32 as rng } from "../plugins/in_process.ts";

/** A smooth field with three bodies and noise, float32 numbers widened to float64. */
function bodiesGrid(nx: number, ny: number, seed: number) {
  const step = 0.01;
  const lon = Float64Array.from({ length: nx }, (_, i) => 10 + i * step);
  const lat = Float64Array.from({ length: ny }, (_, j) => 45 + j * step);
  const r = rng(seed);
  const bodies = [[10.3, 45.2, 5], [10.7, 45.5, -4], [10.05, 45.7, 3]];
  const values = Float64Array.from({ length: nx * ny }, (_, k) => {
    const x = lon[k % nx], y = lat[Math.floor(k / nx)];
    let v = 3 * (x - 10) + 2 * (y - 45) + 0.3 * (r() - 0.5);
    for (const [bx, by, a] of bodies) {
      v += a * Math.exp(-((x - bx) ** 2 + (y - by) ** 2) / (2 * 0.03 ** 2));
    }
    return k % 89 === 7 ? NaN : Math.fround(v);
  });
  return { lon, lat, values, resolution: { lon: step, lat: step } };
}

Deno.test("float32Exact() narrows only values that are all float32 numbers", () => {
  const exact = new Float64Array([0.5, NaN, -3, Math.fround(0.1), Infinity, -0]);
  const narrowed = float32Exact(exact);
  assert.ok(narrowed instanceof Float32Array);
  assert.deepEqual(Array.from(narrowed!), Array.from(exact));
  assert.ok(Object.is(narrowed![5], -0));
  assert.equal(float32Exact(new Float64Array([1, 0.1])), undefined);
  assert.equal(float32Exact(new Float64Array([1e300])), undefined, "beyond float32's range");
  assert.equal(float32Exact(new Float64Array(0))!.length, 0);
});

Deno.test("qcAnomalies() of float32 values gives the records of their float64 widening", async () => {
  await using pool = new WorkerPool({ size: 2 });
  await warmUpFilter(pool, "qc");
  const grid = bodiesGrid(97, 83, 5);
  const values32 = Float32Array.from(grid.values);
  for (
    const options of [
      { zThreshold: 3, minCells: 4 },
      { zThreshold: 2, minCells: 1, order: 2 as const },
      { zThreshold: 2.5, minCells: 2, regional: "lowpass" as const, regionalKm: 20 },
    ]
  ) {
    const want = await qcAnomalies(pool, grid, options);
    assert.ok(want.length >= 3, JSON.stringify(options));
    const got = await qcAnomalies(pool, { ...grid, values: values32 }, options);
    assert.deepEqual(got, want, JSON.stringify(options));
    // Given up: the same records, the caller's float32 values detached.
    const given = values32.slice();
    const consumed = await qcAnomalies(pool, { ...grid, values: given }, {
      ...options,
      transferValues: true,
    });
    assert.deepEqual(consumed, want);
    assert.equal(given.length, 0);
  }
});

Deno.test("completenessScan() finds the NaN nodes and the valid nodes next to one", () => {
  const nx = 13, ny = 11, r = rng(3);
  const values = Float64Array.from({ length: nx * ny }, () => r());
  // NaN in rows 2 and 3 and at a corner; rows 6 to 9 have no NaN and no NaN neighbour.
  for (const k of [2 * nx + 4, 3 * nx + 4, 3 * nx + 12, 10 * nx + 0]) values[k] = NaN;
  const scan = completenessScan({ values, lon: new Float64Array(nx), lat: new Float64Array(ny) });
  const nan = (i: number, j: number) =>
    i >= 0 && i < nx && j >= 0 && j < ny && Number.isNaN(values[j * nx + i]);
  const border: number[] = [];
  for (let k = 0; k < nx * ny; k++) {
    const i = k % nx, j = Math.floor(k / nx);
    if (!nan(i, j) && (nan(i - 1, j) || nan(i + 1, j) || nan(i, j - 1) || nan(i, j + 1))) {
      border.push(k);
    }
  }
  assert.deepEqual(scan.border, border);
  assert.equal(scan.valid, nx * ny - 4);
  assert.deepEqual(Array.from(scan.nanInRow), [0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 1]);
  for (let k = 0; k < nx * ny; k++) {
    assert.equal(((scan.nan[k >>> 5] >>> (k & 31)) & 1) === 1, Number.isNaN(values[k]), `${k}`);
  }
});

Deno.test("gridCompleteness() over rows with and without NaN gives the kernel's distances and counts", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const nx = 41, ny = 33, r = rng(9);
  const values = Float64Array.from({ length: nx * ny }, () => r());
  // A hole in rows 4 to 8 and scattered NaN in rows 20 and 27: most rows hold no NaN.
  for (let j = 4; j < 9; j++) for (let i = 10; i < 18; i++) values[j * nx + i] = NaN;
  values[20 * nx + 3] = values[27 * nx + 40] = NaN;
  const dx = 0.013, dy = 0.011;
  const onAxes = {
    lon: Float64Array.from({ length: nx }, (_, i) => -40.1 + i * dx),
    lat: Float64Array.from({ length: ny }, (_, j) => 60.2 + j * dy),
  };
  const offAxes = { lon: onAxes.lon.map((x) => x * (1 + 3e-16)), lat: onAxes.lat };
  const bbox = [-40.0, 60.25, -39.7, 60.4] as const;
  for (const axes of [onAxes, offAxes]) {
    const grid = { ...axes, values, resolution: { lon: dx, lat: dy } };
    const lon: number[] = [], lat: number[] = [];
    values.forEach((v, k) => {
      if (v === v) lon.push(axes.lon[k % nx]), lat.push(axes.lat[Math.floor(k / nx)]);
    });
    const want = (await pool.run({
      kernel: "distance_to_nearest",
      args: {
        lon: new Float64Array(lon),
        lat: new Float64Array(lat),
        spec: new Float64Array([axes.lon[0], axes.lat[0], dx, dy, nx, ny]),
        row0: 0,
        row1: ny,
      },
    })).map((d) => d * KM_PER_DEGREE);
    for (const options of [{ supportKm: 2.5 }, { supportKm: 0, bbox }, { supportKm: 1.5, bbox }]) {
      const got = await gridCompleteness(pool, grid, { ...options, bands: 3 });
      assert.deepEqual(got.distanceKm, want);
      let max = -Infinity, sum = 0, cells = 0, supported = 0;
      const [w, s, e, n] = options.bbox ?? [-Infinity, -Infinity, Infinity, Infinity];
      want.forEach((d, k) => {
        max = Math.max(max, d), sum += d;
        const x = axes.lon[k % nx], y = axes.lat[Math.floor(k / nx)];
        if (x < w - 1e-9 || x > e + 1e-9 || y < s - 1e-9 || y > n + 1e-9) return;
        cells++;
        if (values[k] === values[k] || d <= options.supportKm) supported++;
      });
      assert.equal(got.maxDistanceKm, max);
      assert.equal(got.meanDistanceKm, sum / want.length);
      assert.deepEqual([got.cells, got.supported], [cells, supported], JSON.stringify(options));
      assert.ok(got.supported < got.cells || options.bbox !== undefined);
    }
  }
});
