import assert from "node:assert/strict";
import {
  type BandOptions,
  cellSizeKm,
  ComputeError,
  fftFilter,
  FilterOptionError,
  gaussianFilter,
  gaussianHalo,
  gridCompleteness,
  hampelFilter,
  KM_PER_DEGREE,
  medianFilter,
  outlierMask,
  qcAnomalies,
  qcSeams,
  WorkerPool,
} from "./mod.ts";
import { mulberry32 as rng } from "../plugins/in_process.ts";

function noisyGrid(
  nx: number,
  ny: number,
  seed: number,
  nanShare = 0.05,
): Float64Array<ArrayBuffer> {
  const r = rng(seed);
  return Float64Array.from(
    { length: nx * ny },
    (_, i) => r() < nanShare ? NaN : Math.sin(i / 17) * 5 + r() * 2,
  );
}

function sameBits(a: Float64Array, b: Float64Array, label: string): void {
  assert.equal(a.length, b.length, label);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length * 2);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i] && !(Number.isNaN(a[i >> 1]) && Number.isNaN(b[i >> 1]))) {
      assert.fail(`${label}: cell ${i >> 1} differs: ${a[i >> 1]} vs ${b[i >> 1]}`);
    }
  }
}

Deno.test("gaussianFilter() and medianFilter() are bit-identical for 1 and 3 workers and any banding", async () => {
  const nx = 157, ny = 203;
  const grid = { values: noisyGrid(nx, ny, 7), nx, ny };
  await using one = new WorkerPool({ size: 1 });
  await using three = new WorkerPool({ size: 3 });
  // sigma 2.3: kernel radius round(9.2) = 9 rows, halo ceil(9.2) = 10 rows.
  assert.equal(gaussianHalo(2.3), 10);
  const g1 = await gaussianFilter(one, grid, { sigmaX: 1.7, sigmaY: 2.3, bands: 1 });
  for (const bands of [2, 3, 7, 50, 203]) {
    const gN = await gaussianFilter(three, grid, { sigmaX: 1.7, sigmaY: 2.3, bands });
    sameBits(gN, g1, `gaussian, ${bands} bands`);
  }
  const m1 = await medianFilter(one, grid, { size: 5, circular: true, bands: 1 });
  for (const bands of [3, 11]) {
    sameBits(
      await medianFilter(three, grid, { size: 5, circular: true, bands }),
      m1,
      `median ${bands}`,
    );
  }
  // NaN cells stay NaN, valid cells get finite values (gaps do not spread).
  for (let i = 0; i < grid.values.length; i++) {
    assert.equal(Number.isNaN(g1[i]), Number.isNaN(grid.values[i]), `cell ${i}`);
    assert.equal(Number.isNaN(m1[i]), Number.isNaN(grid.values[i]), `cell ${i}`);
  }
  assert.equal(grid.values.length, nx * ny, "the caller's grid is not detached");
  // In place: the result overwrites the input only once no band still to be posted reads it,
  // also when a halo spans many bands (1-row bands, halo 10) and with 1 worker.
  for (const [pool, bands] of [[three, 2], [three, 7], [three, 203], [one, 50]] as const) {
    const copy = { ...grid, values: grid.values.slice() };
    let posted = 0;
    const gIn = await gaussianFilter(pool, copy, {
      sigmaX: 1.7,
      sigmaY: 2.3,
      bands,
      inPlace: true,
      onPosted: () => posted++,
    });
    assert.equal(gIn, copy.values, "in place: the caller's array comes back");
    assert.equal(posted, 1);
    sameBits(gIn, g1, `gaussian in place, ${bands} bands`);
    const copyM = { ...grid, values: grid.values.slice() };
    const mIn = await medianFilter(pool, copyM, { size: 5, circular: true, bands, inPlace: true });
    sameBits(mIn, m1, `median in place, ${bands} bands`);
  }
});

Deno.test("gaussianFilter() smooths more as sigma grows (the strength is not 1/sigma)", async () => {
  const n = 128;
  const r = rng(3);
  const white = { values: Float64Array.from({ length: n * n }, () => r() - 0.5), nx: n, ny: n };
  await using pool = new WorkerPool({ size: 2 });
  const std = (a: Float64Array) => {
    let s = 0, s2 = 0, k = 0;
    // interior only, away from the truncated edges
    for (let j = 20; j < n - 20; j++) {
      for (let i = 20; i < n - 20; i++) {
        s += a[j * n + i];
        s2 += a[j * n + i] ** 2;
        k++;
      }
    }
    return Math.sqrt(s2 / k - (s / k) ** 2);
  };
  const stds = [];
  for (const sigma of [0.5, 1, 2, 4]) {
    stds.push(std(await gaussianFilter(pool, white, { sigmaX: sigma, sigmaY: sigma })));
  }
  for (let i = 1; i < stds.length; i++) {
    assert.ok(stds[i] < 0.6 * stds[i - 1], `std ${stds.join(", ")} must drop as sigma doubles`);
  }
  // White noise of variance 1/12 through a 2-D Gaussian of sigma s: std ≈ sqrt(1/12)/(2 s sqrt(pi)).
  const expected = Math.sqrt(1 / 12) / (2 * 4 * Math.sqrt(Math.PI));
  assert.ok(Math.abs(stds[3] / expected - 1) < 0.15, `sigma 4: ${stds[3]} vs ${expected}`);
});

Deno.test("outlierMask() through the wasm boundary keeps NaN from misaligning the mask", async () => {
  await using pool = new WorkerPool({ size: 1 });
  // The earlier Python version built the mask on the NaN-stripped array and applied it to the
  // full one, which would flag index 4 (the 3) instead of index 3 (the 100) here.
  const base = [1, 2.1, NaN, 100, 3, NaN, 2, 1.5, 2.5, 1.8, 2.2, NaN, 1.9];
  for (const [method, threshold] of [["zscore", 2.5], ["iqr", 1.5], ["mad", 3.5]] as const) {
    const mask = await outlierMask(pool, Float64Array.from(base), { method, threshold });
    assert.ok(mask instanceof Uint8Array, method);
    assert.deepEqual([...mask], base.map((_, i) => (i === 3 ? 1 : 0)), method);
  }
  await assert.rejects(
    outlierMask(pool, Float64Array.from(base), { method: "mad", threshold: -1 }),
    (e: unknown) => e instanceof FilterOptionError && e.option === "threshold",
  );
  await assert.rejects(
    outlierMask(pool, Float64Array.from(base), { method: "sigma" as "mad", threshold: 1 }),
    /method must be one of zscore, iqr, mad, got "sigma"/,
  );
});

Deno.test("hampelFilter() flags a spike within its own line and returns window medians", async () => {
  await using pool = new WorkerPool({ size: 1 });
  // Two interleaved lines: line 7 has a spike at index 6, line 8 is smooth and much higher.
  const values = Float64Array.from([
    1,
    50,
    1.1,
    50.2,
    0.9,
    49.9,
    9,
    50.1,
    1,
    50,
    1.2,
    50.1,
    NaN,
    50,
  ]);
  const lines = Float64Array.from(values, (_, i) => (i % 2 === 0 ? 7 : 8));
  const { mask, medians } = await hampelFilter(pool, values, lines, {
    halfWindow: 2,
    threshold: 3,
  });
  assert.deepEqual([...mask], [...values].map((_, i) => (i === 6 ? 1 : 0)));
  assert.ok(Math.abs(medians[6] - 1) < 0.11, `median of the spike's window ${medians[6]}`);
  await assert.rejects(
    hampelFilter(pool, values, lines.subarray(1), { halfWindow: 2, threshold: 3 }),
    /lineIds must have one id per value \(14\), got 13/,
  );
});

Deno.test("hampelFilter() a few lines at a time gives the one call's mask and medians", async () => {
  await using pool = new WorkerPool({ size: 1 });
  // 9 lines of uneven lengths, interleaved in runs (a line comes back after others), with
  // spikes, NaN values and a line id -0 that is the same line as 0.
  const random = rng(20);
  const n = 5000;
  const lines = Float64Array.from({ length: n }, (_, i) => {
    const id = Math.floor(i / 137 + 3 * random()) % 9;
    return id === 0 && i % 2 ? -0 : id;
  });
  const values = Float64Array.from(lines, (id, i) => {
    const r = random();
    return r < 0.01 ? NaN : r < 0.03 ? 100 * id + 500 : 100 * id + Math.sin(i / 50) + r;
  });
  const options = { halfWindow: 4, threshold: 3 };
  const whole = await hampelFilter(pool, values, lines, options);
  const flagged = whole.mask.reduce((a, b) => a + b, 0);
  assert.ok(flagged > 20, `${flagged} flagged`);
  for (const chunkReadings of [1, 600, 1500]) {
    const chunked = await hampelFilter(pool, values, lines, { ...options, chunkReadings });
    assert.deepEqual(chunked.mask, whole.mask, `chunkReadings ${chunkReadings}`);
    assert.deepEqual(chunked.medians, whole.medians, `chunkReadings ${chunkReadings}`);
  }
});

Deno.test("fftFilter() keeps a sinusoid inside the band, suppresses it outside, continues upward", async () => {
  const nx = 256, ny = 192, dx = 2, dy = 2; // km
  const lambda = 32; // km, along x: 16 whole periods, so the detrend plane is ~0
  const values = Float64Array.from(
    { length: nx * ny },
    (_, i) => Math.sin((2 * Math.PI * (i % nx) * dx) / lambda),
  );
  const grid = { values, nx, ny };
  await using pool = new WorkerPool({ size: 2 });
  const amp = (a: Float64Array) => {
    let m = 0;
    for (let j = 40; j < ny - 40; j++) {
      for (let i = 40; i < nx - 40; i++) m = Math.max(m, Math.abs(a[j * nx + i]));
    }
    return m;
  };
  const run = (operation: Parameters<typeof fftFilter>[2]["operation"]) =>
    fftFilter(pool, grid, { dxKm: dx, dyKm: dy, operation });
  const inside = await run({
    op: "bandpass",
    lowKm: 10,
    highKm: 200,
    shape: "butterworth",
    order: 4,
  });
  assert.ok(Math.abs(amp(inside) - 1) < 0.02, `inside the band: ${amp(inside)}`);
  // In place: the same values, computed in the caller's own buffer (detached meanwhile).
  const copy = values.slice();
  const insideInPlace = await fftFilter(pool, { values: copy, nx, ny }, {
    dxKm: dx,
    dyKm: dy,
    operation: { op: "bandpass", lowKm: 10, highKm: 200, shape: "butterworth", order: 4 },
    inPlace: true,
  });
  assert.equal(copy.length, 0, "the caller's buffer went to the worker");
  assert.deepEqual(insideInPlace, inside);
  const outside = await run({ op: "bandpass", lowKm: 4, highKm: 12, shape: "cosine" });
  assert.ok(amp(outside) < 0.02, `outside the band: ${amp(outside)}`);
  // Upward continuation by h multiplies a wavelength-L field by exp(-2 pi h / L).
  const up = await run({ op: "upward", heightM: 5000 });
  const expected = Math.exp((-2 * Math.PI * 5) / lambda);
  assert.ok(Math.abs(amp(up) / expected - 1) < 0.02, `upward: ${amp(up)} vs ${expected}`);
  // Bad parameters: checked in TypeScript (option named) and by the kernel (ComputeError).
  await assert.rejects(run({ op: "upward", heightM: -1 }), /heightM must be a finite height >= 0/);
  await assert.rejects(
    fftFilter(pool, { values: new Float64Array(1), nx: 1, ny: 1 }, {
      dxKm: 1,
      dyKm: 1,
      operation: { op: "tilt" },
    }),
    (e: unknown) => e instanceof ComputeError && e.kernel === "fft_filter_into",
  );
});

Deno.test("cellSizeKm() scales longitude by the cosine of the centre latitude", () => {
  const { dxKm, dyKm } = cellSizeKm({
    lat: Float64Array.from([59, 61]),
    resolution: { lon: 0.1, lat: 0.1 },
  });
  assert.ok(Math.abs(dyKm - 0.1 * KM_PER_DEGREE) < 1e-12);
  assert.ok(Math.abs(dxKm - dyKm * 0.5) < 1e-9, `${dxKm}`);
});

Deno.test("gridCompleteness() counts nodes with data or within supportKm of data", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const nx = 10, ny = 10;
  const values = new Float64Array(nx * ny).fill(1);
  for (let j = 0; j < 4; j++) for (let i = 0; i < 4; i++) values[j * nx + i] = NaN; // 16-cell hole
  const grid = {
    lon: Float64Array.from({ length: nx }, (_, i) => i * 0.01),
    lat: Float64Array.from({ length: ny }, (_, j) => j * 0.01),
    values,
    resolution: { lon: 0.01, lat: 0.01 },
  };
  const zero = await gridCompleteness(pool, grid);
  assert.equal(zero.cells, 100);
  assert.equal(zero.supported, 84);
  // Within 1.2 km (just over one cell, 1.11 km): the hole's outer ring (7 cells) is supported.
  const near = await gridCompleteness(pool, grid, { supportKm: 1.2 });
  assert.equal(near.supported, 91);
  assert.ok(
    Math.abs(near.distanceKm![0] - 4 * 0.01 * KM_PER_DEGREE) < 0.05,
    `${near.distanceKm![0]}`,
  );
  const box = await gridCompleteness(pool, grid, { bbox: [0, 0, 0.035, 0.035] });
  assert.equal(box.cells, 16);
  assert.equal(box.fraction, 0);
});

Deno.test("gridCompleteness() gives the kernel's distances over every valid node, bit for bit", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const nx = 37, ny = 29, random = rng(7);
  const values = Float64Array.from({ length: nx * ny }, () => random());
  // Holes: a block, a ragged band and scattered cells.
  for (let j = 5; j < 12; j++) for (let i = 3; i < 15; i++) values[j * nx + i] = NaN;
  for (let j = 0; j < ny; j++) for (let i = 20 + (j % 5); i < 26; i++) values[j * nx + i] = NaN;
  for (let k = 0; k < values.length; k += 13) values[k] = NaN;
  const exact = (n: number, x0: number, d: number) =>
    Float64Array.from({ length: n }, (_, i) => x0 + i * d);
  const onAxes = { lon: exact(nx, -40.1, 0.013), lat: exact(ny, 60.2, 0.011) };
  // Axes a few ulps off the kernel's node positions: every valid node must then be given.
  const offAxes = { lon: onAxes.lon.map((x) => x * (1 + 3e-16)), lat: onAxes.lat };
  assert.ok(offAxes.lon.some((x, i) => x !== offAxes.lon[0] + i * 0.013));
  for (const axes of [onAxes, offAxes]) {
    const grid = { ...axes, values, resolution: { lon: 0.013, lat: 0.011 } };
    const got = await gridCompleteness(pool, grid, { supportKm: 2, bands: 4 });
    const lon: number[] = [], lat: number[] = [];
    values.forEach((v, k) => {
      if (v === v) lon.push(axes.lon[k % nx]), lat.push(axes.lat[Math.floor(k / nx)]);
    });
    const spec = new Float64Array([axes.lon[0], axes.lat[0], 0.013, 0.011, nx, ny]);
    const all = await pool.run({
      kernel: "distance_to_nearest",
      args: { lon: new Float64Array(lon), lat: new Float64Array(lat), spec, row0: 0, row1: ny },
    });
    const want = all.map((d) => d * KM_PER_DEGREE);
    assert.deepEqual(got.distanceKm, want);
    let max = -Infinity, sum = 0;
    for (const d of want) (max = Math.max(max, d)), (sum += d);
    assert.equal(got.maxDistanceKm, max);
    assert.equal(got.meanDistanceKm, sum / want.length);
    const lean = await gridCompleteness(pool, grid, { supportKm: 2, distances: false });
    assert.deepEqual((await gridCompleteness(pool, grid, { supportKm: 2 })).distanceKm, want);
    assert.equal(lean.distanceKm, undefined);
    const { distanceKm: _, ...statistics } = got;
    assert.deepEqual(lean, statistics);
  }
});

Deno.test("banded filters report their finished rows in order, in place or not", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const nx = 23, ny = 41, random = rng(11);
  const values = Float64Array.from({ length: nx * ny }, () => random());
  for (
    const run of [
      (o: BandOptions) =>
        gaussianFilter(pool, { values: values.slice(), nx, ny }, { sigmaX: 1.5, sigmaY: 2, ...o }),
      (o: BandOptions) => medianFilter(pool, { values: values.slice(), nx, ny }, { size: 3, ...o }),
    ]
  ) {
    const reference = await run({ bands: 1 });
    for (const inPlace of [false, true]) {
      const ranges: [number, number][] = [];
      let seen: Float64Array | undefined;
      const out = await run({
        bands: 7,
        inPlace,
        onRows: (v, from, to) => {
          seen = v;
          ranges.push([from, to]);
          // The rows are final when reported.
          assert.deepEqual(v.subarray(from, to), reference.subarray(from, to));
        },
      });
      assert.equal(seen, out);
      assert.deepEqual(out, reference);
      assert.equal(ranges.length, 7);
      ranges.forEach(([from, to], b) => {
        assert.equal(from, b === 0 ? 0 : ranges[b - 1][1]);
        assert.ok(to > from);
      });
      assert.equal(ranges.at(-1)![1], nx * ny);
    }
  }
});

Deno.test("qcSeams() finds the level offset of a synthetic seam", async () => {
  await using pool = new WorkerPool({ size: 1 });
  const nx = 40, ny = 20;
  const values = new Float64Array(nx * ny), survey = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const east = i >= 25;
      values[j * nx + i] = 0.3 * i - 0.2 * j + (east ? 7.5 : 0);
      survey[j * nx + i] = east ? 4 : 2;
    }
  }
  const seams = await qcSeams(pool, { values, nx, ny }, survey, { offsetThreshold: 1 });
  assert.equal(seams.length, 1);
  assert.equal(seams[0].surveyA, 2);
  assert.equal(seams[0].surveyB, 4);
  assert.equal(seams[0].pairs, ny);
  assert.ok(Math.abs(seams[0].offset - 7.5) < 1e-9, `${seams[0].offset}`);
  assert.equal(seams[0].flagged, true);
  const quiet = await qcSeams(pool, { values, nx, ny }, survey, { offsetThreshold: 10 });
  assert.equal(quiet[0].flagged, false);
});

Deno.test("qcAnomalies() reports three synthetic bodies at their positions as Anomaly records", async () => {
  await using pool = new WorkerPool({ size: 1 });
  const nx = 101, ny = 81, step = 0.01;
  const bodies = [[10.2, 45.2, 5], [10.7, 45.5, -4], [10.8, 45.15, 3]];
  const lon = Float64Array.from({ length: nx }, (_, i) => 10 + i * step);
  const lat = Float64Array.from({ length: ny }, (_, j) => 45 + j * step);
  const r = rng(11);
  const values = Float64Array.from({ length: nx * ny }, (_, k) => {
    const x = lon[k % nx], y = lat[Math.floor(k / nx)];
    let v = 3 * (x - 10) + 2 * (y - 45) + 0.05 * (r() - 0.5);
    for (const [bx, by, a] of bodies) {
      v += a * Math.exp(-((x - bx) ** 2 + (y - by) ** 2) / (2 * 0.03 ** 2));
    }
    return v;
  });
  const anomalies = await qcAnomalies(pool, {
    lon,
    lat,
    values,
    resolution: { lon: step, lat: step },
  }, {
    zThreshold: 4,
    minCells: 4,
  });
  assert.equal(anomalies.length, 3, JSON.stringify(anomalies));
  // Given up to the worker: the same records, and the caller's values are detached.
  const given = values.slice();
  const grid = { lon, lat, values: given, resolution: { lon: step, lat: step } };
  const opts = { zThreshold: 4, minCells: 4, transferValues: true };
  assert.deepEqual(await qcAnomalies(pool, grid, opts), anomalies);
  assert.equal(given.length, 0);
  for (const [bx, by, a] of bodies) {
    const hit = anomalies.find((an) => Math.hypot(an.lon - bx, an.lat - by) < 0.02);
    assert.ok(hit, `body at ${bx}, ${by}`);
    assert.equal(hit.type, a > 0 ? "positive" : "negative");
    assert.ok(hit.confidence > 0 && hit.confidence <= 1);
    assert.equal(hit.depth, 0);
    assert.ok((hit.attributes.areaKm2 as number) > 0);
  }
  // A flat grid has no residual spread and so no anomalies (not an error).
  const flat = await qcAnomalies(pool, {
    lon,
    lat,
    values: new Float64Array(nx * ny).fill(2),
    resolution: { lon: step, lat: step },
  });
  assert.deepEqual(flat, []);
});

Deno.test("filter wrappers reject bad grids and options naming the option", async () => {
  await using pool = new WorkerPool({ size: 1 });
  const grid = { values: new Float64Array(6), nx: 3, ny: 2 };
  await assert.rejects(
    gaussianFilter(pool, { ...grid, nx: 4 }, { sigmaX: 1, sigmaY: 1 }),
    /grid values length 6 differs from nx \* ny = 4 \* 2/,
  );
  await assert.rejects(gaussianFilter(pool, grid, { sigmaX: -1, sigmaY: 1 }), /sigmaX must be/);
  await assert.rejects(medianFilter(pool, grid, { size: 4 }), /size must be an odd integer/);
  await assert.rejects(
    fftFilter(pool, grid, { dxKm: 0, dyKm: 1, operation: { op: "tilt" } }),
    /dxKm must be a cell size > 0 km/,
  );
  await assert.rejects(
    fftFilter(pool, grid, {
      dxKm: 1,
      dyKm: 1,
      operation: { op: "bandpass", lowKm: 5, highKm: 2, shape: "gaussian" },
    }),
    /highKm must be a wavelength > lowKm/,
  );
  await assert.rejects(
    qcSeams(pool, grid, new Float64Array(2), { offsetThreshold: 1 }),
    /survey must have one id per cell \(6\), got 2/,
  );
});

Deno.test("filters and QC run on a grid made from the South Africa gravity survey", async () => {
  const { fetchDataset } = await import("../datasets/mod.ts");
  const file = await fetchDataset("south-africa-gravity.ast.gz");
  const { readTable } = await import("../formats/mod.ts");
  const { gridPoints } = await import("./gridding.ts");
  const t = await readTable(file, { columns: [1, 2, 4], header: false });
  const [lat, lon, value] = t.columns;
  assert.equal(t.rows, 14559);
  await using pool = new WorkerPool({ size: 2 });
  const { grid } = await gridPoints(pool, { lon, lat, value }, {
    bbox: [16, -35, 33, -22],
    spacing: 0.1,
    method: "block-mean",
    units: "mGal",
  });
  const a = {
    values: grid.values as Float64Array<ArrayBuffer>,
    nx: grid.lon.length,
    ny: grid.lat.length,
  };
  const valid = [...a.values].filter(Number.isFinite);
  const lo = Math.min(...valid), hi = Math.max(...valid);
  const smooth = await gaussianFilter(pool, a, { sigmaX: 1.5, sigmaY: 1.5 });
  const median = await medianFilter(pool, a, { size: 3 });
  for (const out of [smooth, median]) {
    for (let i = 0; i < out.length; i++) {
      assert.equal(Number.isNaN(out[i]), Number.isNaN(a.values[i]), `cell ${i}`);
      if (Number.isFinite(out[i])) assert.ok(out[i] >= lo - 1e-9 && out[i] <= hi + 1e-9);
    }
  }
  const { dxKm, dyKm } = cellSizeKm(grid);
  const up = await fftFilter(pool, a, { dxKm, dyKm, operation: { op: "upward", heightM: 10000 } });
  const std = (x: Float64Array) => {
    const v = [...x].filter(Number.isFinite);
    const m = v.reduce((s, y) => s + y, 0) / v.length;
    return Math.sqrt(v.reduce((s, y) => s + (y - m) ** 2, 0) / v.length);
  };
  assert.ok(std(up) < std(a.values), `upward continuation smooths: ${std(up)} vs ${std(a.values)}`);
  const c = await gridCompleteness(pool, grid, { supportKm: 15 });
  assert.ok(c.fraction > 0.2 && c.fraction < 1, `completeness ${c.fraction}`);
  const anomalies = await qcAnomalies(pool, grid, {
    regional: "lowpass",
    regionalKm: 300,
    zThreshold: 4,
  });
  assert.ok(anomalies.length > 0);
  for (const an of anomalies) {
    assert.ok(an.lon >= 16 && an.lon <= 33 && an.lat >= -35 && an.lat <= -22, JSON.stringify(an));
  }
});

Deno.test("the pool wrappers match scipy/numpy references within 1e-6 relative", async () => {
  // Fixtures of gam-core (scripts/fixtures/filters_reference.py): 48 x 40 grid, dx 1.5 km,
  // dy 2 km; Gaussian as normalised convolution (scipy constant mode ratio) everywhere,
  // median as a NaN-ignoring generic_filter, FFT ops from an independent numpy version.
  const dir = new URL("../../crates/gam-core/tests/fixtures/filters/", import.meta.url);
  const read = async (name: string) => {
    const b = await Deno.readFile(new URL(`${name}.f64`, dir));
    return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8).slice();
  };
  const nx = 48, ny = 40;
  const close = (got: Float64Array, want: Float64Array, scale: number, what: string) => {
    for (let i = 0; i < want.length; i++) {
      if (Number.isNaN(want[i])) {
        assert.ok(Number.isNaN(got[i]), `${what}: cell ${i} should be NaN`);
        continue;
      }
      const tol = 1e-6 * Math.max(Math.abs(want[i]), scale);
      assert.ok(Math.abs(got[i] - want[i]) <= tol, `${what}: cell ${i} ${got[i]} vs ${want[i]}`);
    }
  };
  await using pool = new WorkerPool({ size: 2 });
  const holey = { values: await read("input_holey"), nx, ny };
  const clean = { values: await read("input_clean"), nx, ny };
  close(
    await gaussianFilter(pool, holey, { sigmaX: 1.5, sigmaY: 2.5, bands: 3 }),
    await read("gaussian_nan"),
    1e-12,
    "gaussian",
  );
  for (
    const [size, circular, name] of [[5, true, "median_5_circle"], [5, false, "median_5_square"], [
      3,
      false,
      "median_3_square",
    ]] as const
  ) {
    close(
      await medianFilter(pool, holey, { size, circular, bands: 3 }),
      await read(name),
      1e-12,
      name,
    );
  }
  const cases: [string, Parameters<typeof fftFilter>[2]["operation"]][] = [
    ["fft_00_bandpass-gaussian", { op: "bandpass", lowKm: 4, highKm: 30, shape: "gaussian" }],
    ["fft_02_bandpass-butterworth", {
      op: "bandpass",
      lowKm: 4,
      highKm: 30,
      shape: "butterworth",
      order: 2,
    }],
    ["fft_04_upward", { op: "upward", heightM: 2000 }],
    ["fft_05_vertical-derivative", { op: "derivative", direction: "vertical" }],
    ["fft_06_derivative-x", { op: "derivative", direction: "x" }],
    ["fft_07_derivative-y", { op: "derivative", direction: "y" }],
    ["fft_08_total-gradient", { op: "total-gradient" }],
    ["fft_09_tilt", { op: "tilt" }],
    // The plain operator against numpy (the stabilised one is three such jobs).
    ["fft_10_rtp", { op: "rtp", inclination: 35, declination: -12, stabilize: false }],
  ];
  for (const [name, operation] of cases) {
    const want = await read(name);
    const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    close(await fftFilter(pool, clean, { dxKm: 1.5, dyKm: 2, operation }), want, scale, name);
  }
});

/**
 * Total-field anomaly (nT, arbitrary moment) of a point dipole `depthKm` under the centre of an
 * `n` x `n` grid of `dxKm` cells, magnetised along the field (inclination `inc`, declination
 * `dec`), plus seeded noise of standard deviation about `noise` nT.
 */
function dipoleTmi(n: number, dxKm: number, inc: number, dec: number, noise: number) {
  const i = (inc * Math.PI) / 180, d = (dec * Math.PI) / 180;
  const f = [Math.cos(i) * Math.sin(d), Math.cos(i) * Math.cos(d), Math.sin(i)]; // E, N, down
  const depthKm = 3;
  const r = rng(2008);
  const v = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      const p = [(col - n / 2) * dxKm, (row - n / 2) * dxKm, -depthKm];
      const len = Math.hypot(p[0], p[1], p[2]);
      const u = p.map((x) => x / len);
      const fu = f[0] * u[0] + f[1] * u[1] + f[2] * u[2];
      let t = 0;
      for (let k = 0; k < 3; k++) t += ((3 * fu * u[k] - f[k]) / len ** 3) * f[k];
      const gauss = (r() + r() + r() + r() - 2) * Math.sqrt(3); // sd 1
      v[row * n + col] = 1e4 * t + noise * gauss;
    }
  }
  return v;
}

/**
 * Streaking measure: energy of the east-west differences over that of the north-south ones,
 * outside an 8-cell edge band. 1 for an isotropic field; N-S streaks (values changing quickly
 * from column to column) make it larger, E-W elongation smaller.
 */
function gradientEnergyRatio(v: Float64Array, n: number): number {
  let ex = 0, ey = 0;
  for (let row = 8; row < n - 9; row++) {
    for (let col = 8; col < n - 9; col++) {
      const a = v[row * n + col];
      ex += (v[row * n + col + 1] - a) ** 2;
      ey += (v[(row + 1) * n + col] - a) ** 2;
    }
  }
  return ex / ey;
}

Deno.test("fftFilter rtp of a noisy dipole at inclination -30 is not streaked", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const n = 128, dxKm = 0.5, inc = -30, dec = -20;
  // Criterion: the E-W / N-S gradient energy ratio of the RTP stays within a factor 1.25 of 1
  // (a dipole at the pole is round), with and without 5 nT of noise (0.7% of the peak).
  const within = (ratio: number) => ratio > 1 / 1.25 && ratio < 1.25;
  for (const noise of [0, 5]) {
    const values = dipoleTmi(n, dxKm, inc, dec, noise);
    const rtp = (stabilize: boolean) =>
      fftFilter(pool, { values, nx: n, ny: n }, {
        dxKm,
        dyKm: dxKm,
        operation: { op: "rtp", inclination: inc, declination: dec, stabilize },
      });
    const stable = gradientEnergyRatio(await rtp(true), n);
    assert.ok(within(stable), `noise ${noise} nT: stabilised RTP ratio ${stable.toFixed(3)}`);
    if (noise > 0) {
      // The plain operator (the only one before) amplifies the noise up to 1/sin²30° = 4x
      // across the declination: streaks, and the criterion catches them.
      const plain = gradientEnergyRatio(await rtp(false), n);
      assert.ok(!within(plain), `plain RTP ratio ${plain.toFixed(3)} should be streaked`);
    }
  }
});
