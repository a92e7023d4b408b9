/**
 * Compares the compute layer of another checkout with this one in ONE process, calls alternating,
 * so that a loaded machine slows both sides alike (the separate `bench:filters` / `bench:grid`
 * runs vary by several times from run to run under load):
 *
 *   git archive <commit> | tar -x -C /tmp/before
 *   deno run -A --unstable-worker-options scripts/bench_ab.ts /tmp/before
 *
 * Cases: the FFT Gaussian bandpass, Gaussian sigma 4 and median 5 x 5 through the worker pool
 * (4096 x 4096 and 4096 x 2048, 2 workers, min of 5), and every gridding method on 200,000 seeded
 * random points onto 801 x 801 nodes (min of 3). Prints one line per case: before, after, in s.
 * Only wrappers whose signatures both trees share are called (`fftFilter`, `gaussianFilter`,
 * `medianFilter` from `filters.ts` or `mod.ts`, `gridPoints`, `WorkerPool`).
 *
 * @module
 */

type Api = Record<string, (...args: unknown[]) => unknown> & {
  WorkerPool: new (o: { size: number }) => { close(): Promise<void> };
};

async function load(root: string): Promise<Api> {
  const mod = await import(`${root}/src/compute/mod.ts`);
  // Before the compute/ split the filters lived in filters.ts only; since the surfaces split,
  // gridPoints is on the gridding.ts sub-surface.
  const filters = await import(`${root}/src/compute/filters.ts`);
  const gridding = await import(`${root}/src/compute/gridding.ts`);
  return { ...filters, ...gridding, ...mod } as Api;
}

if (import.meta.main) {
  const before = Deno.args[0];
  if (!before) {
    console.error("usage: bench_ab.ts BEFORE_CHECKOUT_DIR");
    Deno.exit(2);
  }
  const trees = {
    before: await load(before),
    after: await load(new URL("..", import.meta.url).pathname),
  };
  const sides = ["before", "after"] as const;
  const pools = {
    before: new trees.before.WorkerPool({ size: 2 }),
    after: new trees.after.WorkerPool({ size: 2 }),
  };

  const time = async (name: string, reps: number, run: (api: Api, pool: unknown) => unknown) => {
    const best = { before: Infinity, after: Infinity };
    for (let r = 0; r < reps; r++) {
      for (const side of r % 2 ? [...sides].reverse() : sides) {
        const t0 = performance.now();
        await run(trees[side], pools[side]);
        best[side] = Math.min(best[side], performance.now() - t0);
      }
    }
    console.log(
      `${name.padEnd(32)} before ${(best.before / 1000).toFixed(3)} s   after ${
        (best.after / 1000).toFixed(3)
      } s`,
    );
  };

  const n = 4096;
  const values = new Float64Array(n * n).map((_, i) =>
    Math.sin((i % n) / 37) * Math.cos(Math.floor(i / n) / 53) * 10 + (i % 7) * 0.1
  );
  const grid = { values, nx: n, ny: n };
  const bandpass = { op: "bandpass", lowKm: 10, highKm: 100, shape: "gaussian" };
  await time(
    "FFT gaussian bandpass 4096^2",
    5,
    (a, p) => a.fftFilter(p, grid, { dxKm: 1, dyKm: 1, operation: bandpass }),
  );
  await time(
    "gaussian sigma 4 4096^2",
    5,
    (a, p) => a.gaussianFilter(p, grid, { sigmaX: 4, sigmaY: 4 }),
  );
  const half = { values: values.subarray(0, n * 2048), nx: n, ny: 2048 };
  await time("median 5x5 4096x2048", 5, (a, p) => a.medianFilter(p, half, { size: 5 }));

  const m = 200_000;
  let seed = 7;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const lon = new Float64Array(m), lat = new Float64Array(m), value = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    lon[i] = rand();
    lat[i] = rand();
    value[i] = Math.sin(9 * lon[i]) + lat[i] ** 2;
  }
  const methods: [string, Record<string, unknown>][] = [
    ["block-mean", {}],
    ["block-median", {}],
    ["nearest", { radius: 0.004 }],
    ["idw", { radius: 0.006 }],
    ["linear", {}],
    ["mincurv", {}],
  ];
  for (const [method, extra] of methods) {
    // As `gam grid` does: the pool for nearest and idw, the calling thread for the others.
    const onPool = method === "nearest" || method === "idw";
    await time(`grid ${method}`, 3, (a, p) =>
      a.gridPoints(onPool ? p : null, { lon, lat, value }, {
        method,
        bbox: [0, 0, 1, 1],
        spacing: 0.00125,
        units: "mGal",
        ...extra,
      }));
  }
  await Promise.all(sides.map((s) => pools[s].close()));
}
