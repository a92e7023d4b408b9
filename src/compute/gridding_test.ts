import assert from "node:assert/strict";
import {
  gridLayout,
  GridOptionError,
  gridPoints,
  type GridPointsOptions,
  NoPointsError,
  type Points,
  warmUpGridding,
} from "./gridding.ts";
import { WorkerPool } from "./mod.ts";

/** Mulberry32: a small fixed-seed PRNG. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n points in [10, 12] x [-2, 0] from a smooth field; points on a few exact nodes too. */
function synthetic(n: number, seed = 42): Points {
  const r = rng(seed);
  const lon = new Float64Array(n), lat = new Float64Array(n), value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lon[i] = 10 + 2 * r();
    lat[i] = -2 + 2 * r();
    value[i] = Math.sin(lon[i] * 3) * Math.cos(lat[i] * 2) * 100 + 5 * lat[i];
  }
  // Duplicated positions exercise tie-breaking by input order.
  for (let i = 0; i < 20; i++) {
    lon[n - 1 - i] = lon[i];
    lat[n - 1 - i] = lat[i];
  }
  return { lon, lat, value };
}

function bytes(a: Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

const BASE = { bbox: [10, -2, 12, 0] as const, spacing: 0.02 };

const BANDED: [string, Partial<GridPointsOptions>][] = [
  ["block-mean", { method: "block-mean" }],
  ["block-median", { method: "block-median" }],
  ["nearest radius 0.05", { method: "nearest", radius: 0.05 }],
  ["nearest unlimited", { method: "nearest" }],
  ["idw k 12 radius 0.1", { method: "idw", k: 12, radius: 0.1, power: 2 }],
  ["idw k 5 unlimited", { method: "idw", k: 5, power: 1.5 }],
  ["nearest pixel + maxDistance", {
    method: "nearest",
    registration: "pixel",
    maxDistance: 0.03,
  }],
];

for (const [name, opts] of BANDED) {
  Deno.test(`gridPoints() ${name} is bit-identical with 1, 2 and 3 workers`, async () => {
    const points = synthetic(4000);
    const results: Float64Array[][] = [];
    for (const [size, bands] of [[1, 1], [2, undefined], [3, 7]] as const) {
      await using pool = new WorkerPool({ size });
      const r = await gridPoints(pool, points, {
        ...BASE,
        ...opts,
        bands,
      } as GridPointsOptions);
      results.push([r.grid.values as Float64Array, ...(r.count ? [r.count, r.spread!] : [])]);
    }
    const [one, ...others] = results;
    const finite = one[0].filter((v) => Number.isFinite(v)).length;
    assert.ok(finite > one[0].length / 4, `${finite} finite nodes: the test grid is mostly empty`);
    for (const other of others) {
      assert.equal(other.length, one.length);
      for (let p = 0; p < one.length; p++) {
        assert.deepEqual(bytes(other[p]), bytes(one[p]), `plane ${p} differs`);
      }
    }
  });
}

Deno.test("gridPoints() without a pool (calling thread) equals the pool bit for bit", async () => {
  const points = synthetic(3000, 5);
  const methods: Partial<GridPointsOptions>[] = [
    { method: "block-mean" },
    { method: "block-median", blockStatistics: false },
    { method: "nearest", radius: 0.05, maxDistance: 0.04 },
    { method: "idw", k: 8, radius: 0.1 },
    { method: "linear" },
    { method: "mincurv" },
  ];
  await using pool = new WorkerPool({ size: 2 });
  await warmUpGridding(null, "idw");
  await warmUpGridding(pool, "idw");
  for (const opts of methods) {
    const o = { ...BASE, spacing: 0.04, ...opts } as GridPointsOptions;
    const a = await gridPoints(pool, points, o);
    const b = await gridPoints(null, points, o);
    const planes = (r: typeof a) => [r.grid.values as Float64Array, r.count, r.spread];
    assert.equal(b.count === undefined, opts.blockStatistics === false || !a.count);
    planes(a).forEach((p, k) => {
      const q = planes(b)[k];
      if (p === undefined || q === undefined) return assert.equal(q, p, `${o.method} plane ${k}`);
      assert.deepEqual(bytes(q), bytes(p), `${o.method} plane ${k} differs`);
    });
  }
  assert.equal(points.lon.length, 3000, "the caller's arrays are intact");
});

Deno.test("gridPoints() nearest equals a brute-force nearest search on a small input", async () => {
  const points = synthetic(300, 7);
  await using pool = new WorkerPool({ size: 2 });
  const { grid } = await gridPoints(pool, points, { ...BASE, spacing: 0.1, method: "nearest" });
  let i = 0;
  for (const la of grid.lat) {
    const c = Math.cos((la * Math.PI) / 180);
    for (const lo of grid.lon) {
      let best = Infinity, bestV = NaN;
      for (let p = 0; p < points.lon.length; p++) {
        const d = ((points.lon[p] - lo) * c) ** 2 + (points.lat[p] - la) ** 2;
        if (d < best) best = d, bestV = points.value[p];
      }
      assert.equal(grid.values[i++], bestV);
    }
  }
});

Deno.test("gridPoints() masks nodes farther than maxDistance from every point", async () => {
  // Two points far apart: only nodes within 0.05 degrees of one of them keep a value.
  const points = {
    lon: new Float64Array([10.5, 11.5]),
    lat: new Float64Array([-1.5, -0.5]),
    value: new Float64Array([1, 2]),
  };
  await using pool = new WorkerPool({ size: 2 });
  const { grid } = await gridPoints(pool, points, {
    ...BASE,
    spacing: 0.02,
    method: "nearest",
    maxDistance: 0.05,
  });
  let kept = 0;
  for (let j = 0; j < grid.lat.length; j++) {
    for (let i = 0; i < grid.lon.length; i++) {
      const v = grid.values[j * grid.lon.length + i];
      const c = Math.cos((grid.lat[j] * Math.PI) / 180);
      const d = Math.min(
        Math.hypot((grid.lon[i] - 10.5) * c, grid.lat[j] + 1.5),
        Math.hypot((grid.lon[i] - 11.5) * c, grid.lat[j] + 0.5),
      );
      if (d <= 0.05 - 1e-9) {
        assert.ok(v === 1 || v === 2);
        kept++;
      } else if (d > 0.05 + 1e-9) assert.ok(Number.isNaN(v), `node ${i},${j} at ${d}`);
    }
  }
  assert.ok(kept >= 2 * 9, `${kept} nodes kept`);
});

Deno.test("gridPoints() block-mean returns GMT-style count and spread planes", async () => {
  // Three points in the block of node (10, -2) (gridline: block spans +- spacing/2).
  const points = {
    lon: new Float64Array([10, 10.001, 9.999, 11]),
    lat: new Float64Array([-2, -1.999, -2.001, -1]),
    value: new Float64Array([1, 2, 6, 10]),
  };
  await using pool = new WorkerPool({ size: 1 });
  const r = await gridPoints(pool, points, { ...BASE, spacing: 0.5, method: "block-mean" });
  assert.deepEqual([...r.grid.lon], [10, 10.5, 11, 11.5, 12]);
  assert.equal(r.grid.values[0], 3);
  assert.equal(r.count![0], 3);
  const sd = Math.sqrt(((1 - 3) ** 2 + (2 - 3) ** 2 + (6 - 3) ** 2) / 2);
  assert.ok(Math.abs(r.spread![0] - sd) < 1e-12, `spread ${r.spread![0]} vs ${sd}`);
  assert.equal(r.grid.values[2 * 5 + 2], 10);
  assert.ok(Number.isNaN(r.count![1]), "empty blocks are NaN in every plane");
  assert.ok(Number.isNaN(r.grid.values[1]));
  assert.equal(r.grid.provenance[0].params.method, "block-mean");
});

Deno.test("gridPoints() mincurv and linear reproduce a smooth field through the pool", async () => {
  // A plane plus a broad bump sampled at 4000 random points; both methods must stay within 2%
  // of the field's range (RMS) inside the data hull.
  const points = synthetic(4000, 11);
  const f = (x: number, y: number) =>
    30 * x - 20 * y + 50 * Math.exp(-((x - 11) ** 2 + (y + 1) ** 2));
  points.value = points.lon.map((x, i) => f(x, points.lat[i]));
  await using pool = new WorkerPool({ size: 2 });
  for (const method of ["mincurv", "linear"] as const) {
    const { grid } = await gridPoints(pool, points, {
      bbox: [10.1, -1.9, 11.9, -0.1],
      spacing: 0.05,
      method,
    });
    let se = 0, n = 0;
    for (let j = 0; j < grid.lat.length; j++) {
      for (let i = 0; i < grid.lon.length; i++) {
        const v = grid.values[j * grid.lon.length + i];
        assert.ok(Number.isFinite(v), `${method} node ${i},${j} is ${v}`);
        se += (v - f(grid.lon[i], grid.lat[j])) ** 2;
        n++;
      }
    }
    const range = 30 * 2 + 20 * 2 + 50;
    assert.ok(Math.sqrt(se / n) < 0.02 * range, `${method} RMS ${Math.sqrt(se / n)}`);
  }
});

Deno.test("gridLayout() puts gridline nodes up to maxLon inclusive and pixel nodes at centres", () => {
  const g = gridLayout([10, -1, 14, 1], 0.01, "gridline");
  assert.equal(g.nx, 401);
  assert.equal(g.ny, 201);
  assert.equal(g.lon[400], 10 + 400 * 0.01);
  const p = gridLayout([10, -1, 14, 1], 0.01, "pixel");
  assert.equal(p.nx, 400);
  assert.equal(p.lon[0], 10.005);
  assert.ok(Math.abs(p.lat[199] - 0.995) < 1e-12);
  assert.equal(gridLayout([0, 0, 0.3, 0.3], 0.1, "gridline").nx, 4, "0.3 / 0.1 rounds down");
});

Deno.test("gridPoints() rejects invalid options naming the option", async () => {
  const points = synthetic(100);
  await using pool = new WorkerPool({ size: 1 });
  const cases: [Partial<GridPointsOptions>, string, RegExp][] = [
    [{ spacing: 0 }, "spacing", /spacing must be a finite number > 0 degrees, got 0/],
    [{ spacing: -1 }, "spacing", /got -1/],
    [
      { method: "kriging" as never },
      "method",
      /method must be one of block-mean, .* got "kriging"/,
    ],
    [{ radius: -2 }, "radius", /radius must be > 0 degrees/],
    [{ k: 2.5, method: "idw" }, "k", /k must be an integer >= 1, got 2.5/],
    [{ tension: 1 }, "tension", /tension must be in \[0, 1\), got 1/],
    [{ k: 5 }, "k", /k applies to idw, not to nearest/],
    [{ tension: 0.5, method: "idw" }, "tension", /tension applies to mincurv, not to idw/],
    [{ maxDistance: 0 }, "maxDistance", /maxDistance must be a number > 0 degrees/],
    [{ registration: "corner" as never }, "registration", /"gridline" or "pixel"/],
    [
      { spacing: 0.0001, maxCells: 1000 },
      "maxCells",
      /20001 x 20001 = 400040001 nodes, above the limit of 1000/,
    ],
  ];
  for (const [opts, option, message] of cases) {
    await assert.rejects(
      gridPoints(pool, points, { ...BASE, method: "nearest", ...opts } as GridPointsOptions),
      (e: unknown) => {
        assert.ok(e instanceof GridOptionError, `${option}: ${e}`);
        assert.equal(e.option, option);
        assert.match(e.message, message);
        return true;
      },
    );
  }
  await assert.rejects(
    gridPoints(pool, points, { ...BASE, bbox: [5, 1, 2, 3] as never, method: "nearest" }),
    /Invalid bbox in bbox/,
  );
});

Deno.test("gridPoints() rejects a bbox with no points", async () => {
  await using pool = new WorkerPool({ size: 1 });
  await assert.rejects(
    gridPoints(pool, synthetic(100), { bbox: [20, 20, 21, 21], spacing: 0.1, method: "idw" }),
    (e: unknown) =>
      e instanceof NoPointsError &&
      e.message === "no point lies inside the bbox [20, 20, 21, 21] (100 points read)",
  );
});
