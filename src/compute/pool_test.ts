import assert from "node:assert/strict";
import {
  CANCEL_GRACE_MS,
  ComputeError,
  type ComputeJob,
  type CoreKernels,
  defaultWorkerCount,
  MAX_WORKERS,
  WorkerPool,
} from "./mod.ts";
import type { TestKernels } from "./testdata/test_worker.ts";
import { mulberry32 as rng } from "../plugins/in_process.ts";

const testWorker = new URL("./testdata/test_worker.ts", import.meta.url);
/** A pool of the test worker: the gam-core kernels plus the test-only ones. */
const testPool = (size: number) =>
  new WorkerPool<CoreKernels & TestKernels>({ size, workerUrl: testWorker });

Deno.test("WorkerPool.run() calls a wasm kernel in a worker", async () => {
  await using pool = new WorkerPool({ size: 2 });
  assert.equal(pool.size, 2);
  const version = await pool.run({ kernel: "core_version", args: {} });
  assert.match(version, /^\d+\.\d+\.\d+$/);
});

Deno.test("WorkerPool.run() transfers typed arrays and detaches the caller's buffer", async () => {
  await using pool = testPool(1);
  const input = new Float64Array([1, 2, 3.5]);
  const pending = pool.run({ kernel: "__test_double", args: { values: input } }, {
    transfer: [input.buffer],
  });
  assert.equal(input.buffer.byteLength, 0, "caller's buffer is detached after posting");
  assert.equal(input.length, 0);
  const out = await pending;
  assert.ok(out instanceof Float64Array);
  assert.deepEqual([...out], [2, 4, 7]);
});

Deno.test("WorkerPool.run() transfers inputs to a wasm kernel and its result back", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const lon = new Float64Array([0, 1]), lat = new Float64Array([0, 0]);
  // A 3 x 1 grid of nodes at lon 0, 0.5, 1 on the equator: distances 0, 0.5, 0 degrees.
  const spec = new Float64Array([0, 0, 0.5, 1, 3, 1]);
  const pending = pool.run(
    { kernel: "distance_to_nearest", args: { lon, lat, spec, row0: 0, row1: 1 } },
    { transfer: [lon.buffer, lat.buffer] },
  );
  assert.equal(lon.byteLength, 0, "lon was transferred, not copied");
  assert.equal(lat.byteLength, 0, "lat was transferred, not copied");
  assert.equal(spec.length, 6, "spec (not in the transfer list) was copied");
  const d = await pending;
  assert.ok(d instanceof Float64Array);
  assert.deepEqual([...d], [0, 0.5, 0]);
});

Deno.test("WorkerPool.run() rejects with the kernel's message for a bad argument", async () => {
  await using pool = new WorkerPool({ size: 1 });
  await assert.rejects(
    pool.run({
      kernel: "distance_to_nearest",
      args: {
        lon: new Float64Array(10),
        lat: new Float64Array(9),
        spec: new Float64Array([0, 0, 1, 1, 2, 2]),
        row0: 0,
        row1: 1,
      },
    }),
    (e: unknown) =>
      e instanceof ComputeError && e.kernel === "distance_to_nearest" && !e.workerLost &&
      e.message ===
        "Kernel distance_to_nearest failed: lon and lat must have equal lengths (got 10 and 9)",
  );
  assert.equal(pool.replacedWorkers, 0);
});

Deno.test("WorkerPool.run() queues jobs when every worker is busy", async () => {
  await using pool = testPool(2);
  const jobs = Array.from(
    { length: 7 },
    (_, i) => pool.run({ kernel: "__test_double", args: { values: new Float64Array([i]) } }),
  );
  const out = await Promise.all(jobs);
  assert.deepEqual(out.map((a) => a[0]), [0, 2, 4, 6, 8, 10, 12]);
});

Deno.test("WorkerPool.run() rejects with ComputeError naming the kernel for an unknown kernel", async () => {
  await using pool = new WorkerPool({ size: 1 });
  await assert.rejects(
    // @ts-expect-error: not a kernel name (the check is what this test is about at run time)
    pool.run({ kernel: "no_such_kernel", args: {} }),
    (e: unknown) => {
      assert.ok(e instanceof ComputeError);
      assert.equal(e.kernel, "no_such_kernel");
      assert.match(e.message, /TypeError: Unknown kernel "no_such_kernel": expected one of /);
      assert.equal(e.workerLost, false);
      return true;
    },
  );
  assert.equal(pool.replacedWorkers, 0);
});

Deno.test("WorkerPool.run() rejects options that are not the kernel's before it runs", async () => {
  await using pool = new WorkerPool({ size: 1 });
  const values = new Float64Array([1, 2, 3]);
  await assert.rejects(
    // @ts-expect-error: "k" is the old name of outliers_iqr's threshold
    pool.run({ kernel: "outliers_iqr", args: { values, k: 1.5 } }),
    (e: unknown) =>
      e instanceof ComputeError && !e.workerLost &&
      /has no option "k"; its options are values, threshold/.test(e.message),
  );
  await assert.rejects(
    // @ts-expect-error: threshold missing
    pool.run({ kernel: "outliers_iqr", args: { values } }),
    /needs option "threshold", received undefined/,
  );
  assert.equal(pool.replacedWorkers, 0);
});

Deno.test("WorkerPool replaces a worker whose wasm instance trapped", async () => {
  await using pool = new WorkerPool({ size: 1 });
  // 2^28 float64 = 2 GiB, more than a 32-bit wasm memory can allocate in one piece: the Rust
  // allocator aborts, a real trap (`unreachable`) of the core's instance. The buffer is only
  // reserved, never written (zero pages), and is transferred, not copied.
  const huge = new Float64Array(2 ** 28);
  await assert.rejects(
    pool.run({ kernel: "outliers_zscore", args: { values: huge, threshold: 3 } }, {
      transfer: [huge.buffer],
    }),
    (e: unknown) => {
      assert.ok(e instanceof ComputeError);
      assert.equal(e.kernel, "outliers_zscore");
      assert.match(e.message, /RuntimeError: unreachable/);
      assert.equal(e.workerLost, true);
      return true;
    },
  );
  assert.equal(pool.replacedWorkers, 1);
  assert.match(await pool.run({ kernel: "core_version", args: {} }), /^\d/);
  // The same with a signal, whose cancel flag the worker watches around the kernel: the trap's
  // RuntimeError is what the pool sees (the worker is replaced), not a failure to unwatch.
  const again = new Float64Array(2 ** 28);
  await assert.rejects(
    pool.run({ kernel: "outliers_zscore", args: { values: again, threshold: 3 } }, {
      transfer: [again.buffer],
      signal: new AbortController().signal,
    }),
    (e: unknown) => e instanceof ComputeError && e.workerLost && /unreachable/.test(e.message),
  );
  assert.equal(pool.replacedWorkers, 2);
  assert.match(await pool.run({ kernel: "core_version", args: {} }), /^\d/);
});

Deno.test("WorkerPool replaces a worker that died and the next job works", async () => {
  await using pool = testPool(1);
  await assert.rejects(
    pool.run({ kernel: "__test_crash", args: {} }),
    (e: unknown) => {
      assert.ok(e instanceof ComputeError);
      assert.match(e.message, /worker died: .*deliberate crash/);
      assert.equal(e.workerLost, true);
      return true;
    },
  );
  assert.equal(pool.replacedWorkers, 1);
  const out = await pool.run({
    kernel: "__test_double",
    args: { values: new Float64Array([21]) },
  });
  assert.equal(out[0], 42);
});

Deno.test("WorkerPool.run() replaces the worker of a cancelled job that does not stop", async () => {
  await using pool = testPool(1);
  const controller = new AbortController();
  // A JavaScript spin never checks its cancel flag: after CANCEL_GRACE_MS its worker is
  // replaced. (Terminated, it still spins to its end: see RunOptions.signal.)
  const ms = CANCEL_GRACE_MS + 4_000;
  const running = pool.run({ kernel: "__test_busy", args: { ms } }, {
    signal: controller.signal,
  });
  const queued = pool.run({ kernel: "__test_busy", args: { ms } }, {
    signal: controller.signal,
  });
  const reason = new Error("user cancelled");
  controller.abort(reason);
  await assert.rejects(running, (e) => e === reason, "rejected at once, not after the grace");
  await assert.rejects(queued, (e) => e === reason);
  assert.equal(pool.replacedWorkers, 0, "the worker is given its grace period");
  // The next job waits for the replacement worker.
  const out = await pool.run({
    kernel: "__test_double",
    args: { values: new Float64Array([1]) },
  });
  assert.equal(out[0], 2);
  assert.equal(pool.replacedWorkers, 1, "only the busy worker was replaced");
  assert.equal(pool.stoppedKernels, 0);
});

/** Random points in the unit square and a value field, for the gridding kernels. */
function scattered(n: number): { lon: Float64Array; lat: Float64Array; value: Float64Array } {
  const rand = rng(7);
  const lon = new Float64Array(n), lat = new Float64Array(n), value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lon[i] = rand();
    lat[i] = rand();
    value[i] = Math.sin(6 * lon[i]) * Math.cos(4 * lat[i]);
  }
  return { lon, lat, value };
}

/** A 600 x 500 grid of a smooth field with a few NaN cells. */
function field(): { grid: Float64Array; nx: number; ny: number } {
  const nx = 600, ny = 500, grid = new Float64Array(nx * ny);
  for (let k = 0; k < grid.length; k++) {
    grid[k] = k % 997 === 0 ? NaN : Math.sin(k / 317) + Math.cos(k / 1231);
  }
  return { grid, nx, ny };
}

/** The NaN cells of each row of `grid` (`ny` rows of `nx`), as the row step returns them. */
function holeCounts(grid: Float64Array, nx: number, ny: number): Uint32Array {
  const counts = new Uint32Array(ny);
  grid.forEach((v, k) => Number.isNaN(v) && counts[Math.floor(k / nx)]++);
  return counts;
}

Deno.test("WorkerPool.run() stops a cancelled kernel at its next check and keeps its worker", async (t) => {
  await using pool = new WorkerPool({ size: 1 });
  // The worker is up before the jobs: the abort below lands while the kernel runs or before
  // it starts, and either way its first check sees the flag.
  await pool.run({ kernel: "core_version", args: {} });
  const pts = scattered(20_000);
  const spec = new Float64Array([0, 0, 0.002, 0.002, 501, 501]);
  const { grid, nx, ny } = field();
  const [, , , , , slots, counters] = await pool.run({
    kernel: "fft_split_layout",
    args: { nx, ny, parts: 2 },
  });
  // Band 1 of a hole fill alone: it waits for band 0's rows, which never come.
  const exchange = {
    slots: new Float64Array(new SharedArrayBuffer(8 * slots)),
    counters: new Int32Array(new SharedArrayBuffer(4 * counters)),
  };
  // The row step of a grid without holes, large enough (3000 x 2000: tens of milliseconds)
  // that it cannot end before the abort lands, even with this thread held up by a loaded
  // machine (a row step that finds holes ends after one pass of a millisecond, and did so once).
  const wide = { nx: 3000, ny: 2000 };
  const wideGrid = Float64Array.from({ length: wide.nx * wide.ny }, (_, k) => Math.sin(k / 317));
  const [, wy2, wc] = await pool.run({ kernel: "fft_split_layout", args: { ...wide, parts: 2 } });
  const spectrum = new Float64Array(new SharedArrayBuffer(16 * wy2 * wc));
  const jobs: [string, ComputeJob][] = [
    ["minimum curvature", {
      kernel: "grid_mincurv",
      args: { ...pts, spec, tension: 0.25, convergence: 1e-300, maxIterations: 1_000_000 },
    }],
    ["idw", {
      kernel: "grid_idw",
      args: { ...pts, spec, row0: 0, row1: 501, k: 8, power: 2, radius: 0.1, minPoints: 1 },
    }],
    ["nearest", {
      kernel: "grid_nearest",
      args: { ...pts, spec, row0: 0, row1: 501, radius: 0.1 },
    }],
    ["linear", { kernel: "grid_linear", args: { ...pts, spec, row0: 0, row1: 501 } }],
    ["Gaussian", {
      kernel: "gaussian_filter",
      args: { grid, nx, ny, sigmaX: 30, sigmaY: 30, row0: 0, row1: ny },
    }],
    ["median", {
      kernel: "median_filter",
      args: { grid, nx, ny, size: 31, circular: false, row0: 0, row1: ny },
    }],
    ["spectral", {
      kernel: "fft_filter",
      args: {
        grid,
        nx,
        ny,
        dxKm: 1,
        dyKm: 1,
        op: "tilt",
        params: new Float64Array(),
        fillEnd: new Float64Array(3),
      },
    }],
    ["a hole fill band waiting for the other", {
      kernel: "fft_split_fill",
      args: {
        grid,
        nx,
        ny,
        plane: new Float64Array(5),
        counts: holeCounts(grid, nx, ny),
        part: 1,
        parts: 2,
        ...exchange,
        fillEnd: new Float64Array(3),
      },
    }],
    ["spectral, split by rows", {
      kernel: "fft_split_rows",
      args: {
        grid: wideGrid,
        spectrum,
        plane: new Float64Array(),
        counts: new Uint32Array(),
        fill: new Float64Array(),
        ...wide,
        part: 0,
        parts: 2,
      },
    }],
  ];
  for (const [name, job] of jobs) {
    await t.step(name, async () => {
      const stopped = pool.stoppedKernels;
      const controller = new AbortController();
      const running = pool.run(job, { signal: controller.signal });
      const reason = new Error("user cancelled");
      controller.abort(reason);
      await assert.rejects(running, (e) => e === reason);
      // Runs once the worker is free again: once the kernel has stopped.
      assert.match(await pool.run({ kernel: "core_version", args: {} }), /^\d/);
      assert.equal(pool.stoppedKernels, stopped + 1, `${name} stopped on the request`);
      assert.equal(pool.replacedWorkers, 0, "no worker was replaced");
    });
  }
});

Deno.test("WorkerPool.run() stops minimum curvature in the middle of its sweeps", async () => {
  await using pool = new WorkerPool({ size: 1 });
  await pool.run({ kernel: "core_version", args: {} });
  // A limit no sweep reaches and a million sweeps per level: minutes of work unless stopped.
  const job: ComputeJob = {
    kernel: "grid_mincurv",
    args: {
      ...scattered(20_000),
      spec: new Float64Array([0, 0, 0.001, 0.001, 1001, 1001]),
      tension: 0.25,
      convergence: 1e-300,
      maxIterations: 1_000_000,
    },
  };
  const controller = new AbortController();
  const running = pool.run(job, { signal: controller.signal });
  await new Promise((r) => setTimeout(r, 300));
  controller.abort(new Error("stage timeout"));
  await assert.rejects(running, /stage timeout/);
  assert.match(await pool.run({ kernel: "core_version", args: {} }), /^\d/);
  assert.equal(pool.stoppedKernels, 1);
  assert.equal(pool.replacedWorkers, 0);
});

Deno.test("WorkerPool refuses watch_cancel as a kernel: the worker calls it itself", async () => {
  await using pool = new WorkerPool({ size: 1 });
  await assert.rejects(
    // @ts-expect-error: not a kernel
    pool.run({ kernel: "watch_cancel", args: { flag: new Int32Array(1) } }),
    /Unknown kernel "watch_cancel"/,
  );
});

Deno.test("WorkerPool.run() rejects at once with an already-aborted signal", async () => {
  await using pool = new WorkerPool({ size: 1 });
  const signal = AbortSignal.abort(new RangeError("stop"));
  await assert.rejects(pool.run({ kernel: "core_version", args: {} }, { signal }), RangeError);
});

/** The jobs of a hole fill of `field()` in `parts` bands, over one exchange. */
async function fillBands(pool: WorkerPool<CoreKernels & TestKernels>, parts: number) {
  const { grid, nx, ny } = field();
  const values = new Float64Array(new SharedArrayBuffer(8 * grid.length));
  values.set(grid);
  const lay = await pool.run({ kernel: "fft_split_layout", args: { nx, ny, parts } });
  const slots = new Float64Array(new SharedArrayBuffer(8 * lay[5]));
  const counters = new Int32Array(new SharedArrayBuffer(4 * lay[6]));
  const plane = new Float64Array([0.5, 0.01, -0.02, (nx - 1) / 2, (ny - 1) / 2]);
  const counts = holeCounts(grid, nx, ny);
  return Array.from({ length: parts }, (_, part) => ({
    kernel: "fft_split_fill" as const,
    args: {
      grid: values,
      nx,
      ny,
      plane,
      counts,
      part,
      parts,
      slots,
      counters,
      fillEnd: new Float64Array(3),
    },
  }));
}

/** The bands' values one after another, each band's jobs posted at once (as fftFilter does). */
const fillInBands = async (pool: WorkerPool<CoreKernels & TestKernels>, parts: number) =>
  (await Promise.all((await fillBands(pool, parts)).map((job) => pool.run(job))))
    .flatMap((b) => [...b]);

Deno.test("WorkerPool runs jobs in the order posted: fills in bands that wait for each other finish", async () => {
  await using pool = testPool(2);
  const alone = await fillInBands(pool, 1);
  assert.ok(alone.length > 250, "the field has holes");
  // Each fill's two bands wait for each other every sweep. A band waits on its worker for
  // its other band; the queue is first in, first out and a fill's bands are posted one
  // after another, so the other band is next (a queue that let other jobs by would leave
  // two first bands waiting on both workers for ever).
  const [a, b] = await Promise.all([fillInBands(pool, 2), fillInBands(pool, 2)]);
  assert.deepEqual(a, alone, "two bands give the one band's values");
  assert.deepEqual(b, alone);
  // Behind a busy worker: the first band waits on the other worker until the second starts.
  const busy = pool.run({ kernel: "__test_busy", args: { ms: 100 } });
  const [c] = await Promise.all([fillInBands(pool, 2), busy]);
  assert.deepEqual(c, alone);
  assert.equal(pool.replacedWorkers, 0);
});

Deno.test("a hole fill band refuses an exchange that is not shared memory, by name", async () => {
  await using pool = testPool(1);
  const [job] = await fillBands(pool, 2);
  const counters = new Int32Array(job.args.counters.length); // not shared
  await assert.rejects(
    pool.run({ ...job, args: { ...job.args, counters } }),
    /`slots` and `counters` must be over SharedArrayBuffers for 2 bands/,
  );
  await assert.rejects(
    pool.run({ ...job, args: { ...job.args, counters: new Int32Array(new SharedArrayBuffer(4)) } }),
    /`counters` must hold 6 values/,
  );
});

Deno.test("WorkerPool.close() rejects queued jobs and later runs", async () => {
  const pool = testPool(1);
  const first = pool.run({ kernel: "__test_busy", args: { ms: 50 } });
  const second = pool.run({ kernel: "__test_busy", args: { ms: 50 } });
  const closing = pool.close();
  await assert.rejects(second, /closed before the job started/);
  assert.equal(await first, null, "the running job finishes");
  await closing;
  await assert.rejects(pool.run({ kernel: "core_version", args: {} }), /closed/);
});

Deno.test("WorkerPool rejects a size that is not an integer from 1 to MAX_WORKERS", () => {
  assert.throws(
    () => new WorkerPool({ size: 0 }),
    /size must be an integer from 1 to 32 \(MAX_WORKERS\), got 0/,
  );
  assert.throws(() => new WorkerPool({ size: 1.5 }), RangeError);
  assert.throws(() => new WorkerPool({ size: MAX_WORKERS + 1 }), /got 33/);
  assert.ok(defaultWorkerCount() >= 1 && defaultWorkerCount() <= MAX_WORKERS);
});
