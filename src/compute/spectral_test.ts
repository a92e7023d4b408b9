import assert from "node:assert/strict";
import { ComputeError } from "./compute_error.ts";
import { WorkerPool } from "./pool.ts";
import { fftFilter, type FftOperation, FILL_MAX_SWEEPS, type HoleFillEnd } from "./spectral.ts";

/** A smooth field with a trend and a little structure, `nx` by `ny`. */
function field(nx: number, ny: number): Float64Array {
  return Float64Array.from({ length: nx * ny }, (_, k) => {
    const i = k % nx, j = Math.floor(k / nx);
    return Math.sin(i / 7) * 4 + Math.cos(j / 5) * 3 + 0.02 * i - 0.05 * j +
      ((i * 7 + j * 13) % 5) *
        0.1;
  });
}

Deno.test("fftFilter in parts across workers equals the one-job result bit for bit", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const operations: FftOperation[] = [
    { op: "bandpass", lowKm: 4, highKm: 30, shape: "gaussian" },
    { op: "bandpass", lowKm: 4, highKm: 30, shape: "butterworth", order: 2 },
    { op: "upward", heightM: 2000 },
    { op: "derivative", direction: "x" },
    { op: "tilt" },
    { op: "total-gradient" },
    { op: "rtp", inclination: 60, declination: 10 },
    // Stabilised (two bands): its low-pass runs in parts too.
    { op: "rtp", inclination: -30, declination: -20 },
  ];
  for (const [nx, ny] of [[97, 64], [64, 131]]) {
    const clean = field(nx, ny);
    const holed = clean.slice();
    for (const k of [0, 5, nx + 5, nx * 10 + 40, nx * 10 + 41, nx * ny - 1]) holed[k] = NaN;
    for (const values of [clean, holed]) {
      for (const operation of operations) {
        const run = (parts: number) =>
          fftFilter(pool, { values, nx, ny }, { dxKm: 1.5, dyKm: 2, operation, parts });
        const one = await run(1);
        const label = `${operation.op} on ${nx} x ${ny}, holes ${values === holed}`;
        assert.ok(one.some((v) => v !== 0 && Number.isFinite(v)), label);
        assert.equal(Number.isNaN(one[5]), values === holed, label);
        for (const parts of [2, 3]) assert.deepEqual(await run(parts), one, `${label}, ${parts}`);
      }
    }
  }
});

Deno.test("fftFilter in parts writes over the caller's array with inPlace", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const nx = 80, ny = 60, values = field(nx, ny);
  const operation = { op: "upward", heightM: 1000 } as const;
  const want = await fftFilter(pool, { values, nx, ny }, { dxKm: 1, dyKm: 1, operation });
  const mine = values.slice();
  const got = await fftFilter(pool, { values: mine, nx, ny }, {
    dxKm: 1,
    dyKm: 1,
    operation,
    parts: 2,
    inPlace: true,
  });
  assert.equal(got, mine, "the result is the caller's array");
  assert.deepEqual(got, want);
});

Deno.test("fftFilter in parts reports a bad parts count and an all-NaN grid", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const grid = { values: new Float64Array(64 * 64).fill(NaN), nx: 64, ny: 64 };
  const operation = { op: "tilt" } as const;
  await assert.rejects(
    fftFilter(pool, grid, { dxKm: 1, dyKm: 1, operation, parts: 0 }),
    /parts must be an integer >= 1/,
  );
  await assert.rejects(
    fftFilter(pool, grid, { dxKm: 1, dyKm: 1, operation, parts: 2 }),
    (e: unknown) =>
      e instanceof ComputeError && e.kernel === "fft_split_rows" && /no valid/.test(e.message),
  );
});

/** `values` copied onto a new `SharedArrayBuffer`. */
function sharedCopy(values: Float64Array): Float64Array<SharedArrayBuffer> {
  const out = new Float64Array(new SharedArrayBuffer(values.byteLength));
  out.set(values);
  return out;
}

/** Blocks this thread for `ms` milliseconds (the worker computes meanwhile). */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* busy */ }
}

Deno.test("fftFilter on shared values: onPosted reads the input while the worker transforms it", async () => {
  await using pool = new WorkerPool({ size: 1 });
  // Several statistics blocks of 4096 cells and a partial one.
  const nx = 97, ny = 180;
  const clean = field(nx, ny);
  const holed = clean.slice();
  for (const k of [0, 5, nx * 10 + 40, nx * ny - 1]) holed[k] = NaN;
  // Without holes the worker streams the rows (total gradient and tilt fold three
  // derivatives into them); with holes it copies the grid in.
  const operations: FftOperation[] = [
    { op: "bandpass", lowKm: 4, highKm: 30, shape: "gaussian" },
    { op: "tilt" },
    { op: "total-gradient" },
    { op: "rtp", inclination: 60, declination: 10 },
  ];
  for (const original of [clean, holed]) {
    for (const operation of operations) {
      const label = `${operation.op}, holes ${original === holed}`;
      let wantBlocks: Float64Array | undefined;
      const want = await fftFilter(pool, { values: original, nx, ny }, {
        dxKm: 1.5,
        dyKm: 2,
        operation,
        onResultBlocks: (b, from, to) => {
          assert.deepEqual([from, to], [0, nx * ny]);
          wantBlocks = b;
        },
      });
      const values = sharedCopy(original);
      let blocks: Float64Array | undefined;
      let seen: Float64Array | undefined;
      // Each report's rows as they were then: final already.
      const reported: [number, Float64Array][] = [];
      const got = await fftFilter(pool, { values, nx, ny }, {
        dxKm: 1.5,
        dyKm: 2,
        operation,
        inPlace: true,
        onResultBlocks: (b, from, to) => {
          assert.deepEqual([from, to], [0, nx * ny]);
          blocks = b;
        },
        onResultRows: (rows) => reported.push([rows, values.slice(0, rows * nx)]),
        onPosted: () => {
          // Far longer than the transform of this grid takes: without the gate the worker
          // would have written its result over the values by now.
          spin(150);
          seen = values.slice();
        },
      });
      assert.deepEqual(seen, original, `${label}: the input is intact during onPosted`);
      assert.equal(got, values, `${label}: the result is the caller's shared array`);
      assert.deepEqual(got, want, `${label}: the same result as the one job`);
      assert.equal(blocks?.length, 4 * 6, `${label}: statistics of the 4 whole blocks`);
      assert.deepEqual(blocks, wantBlocks, `${label}: the one job's statistics blocks`);
      assert.equal(reported.at(-1)?.[0], ny, `${label}: every row reported`);
      for (const [k, [rows, prefix]] of reported.entries()) {
        assert.ok(k === 0 || rows > reported[k - 1][0], `${label}: rows reported in order`);
        assert.deepEqual(prefix, want.subarray(0, rows * nx), `${label}: ${rows} rows final`);
      }
    }
  }
  // A stabilised (two-band) RTP does not take the shared path; onPosted runs first.
  const values = sharedCopy(clean);
  let intact = false;
  await fftFilter(pool, { values, nx, ny }, {
    dxKm: 1.5,
    dyKm: 2,
    operation: { op: "rtp", inclination: -30, declination: -20 },
    inPlace: true,
    onPosted: () => (intact = values.every((v, i) => v === clean[i])),
  });
  assert.ok(intact);
});

Deno.test("fftFilter in parts over shared values: the one job's result, blocks and rows, input intact during onPosted", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const nx = 97, ny = 180;
  const clean = field(nx, ny);
  const holed = clean.slice();
  for (const k of [0, 5, nx * 10 + 40, nx * 90 + 3, nx * ny - 1]) holed[k] = NaN;
  const operations: FftOperation[] = [
    { op: "bandpass", lowKm: 4, highKm: 30, shape: "gaussian" },
    { op: "tilt" },
    { op: "upward", heightM: 800 },
  ];
  for (const original of [clean, holed]) {
    for (const operation of operations) {
      const want = await fftFilter(pool, { values: original, nx, ny }, {
        dxKm: 1.5,
        dyKm: 2,
        operation,
        parts: 1,
      });
      for (const parts of [2, 3]) {
        const label = `${operation.op}, holes ${original === holed}, ${parts} parts`;
        const values = sharedCopy(original);
        let seen: Float64Array | undefined;
        const ranges: [number, number, Float64Array][] = [];
        const reported: [number, Float64Array][] = [];
        const got = await fftFilter(pool, { values, nx, ny }, {
          dxKm: 1.5,
          dyKm: 2,
          operation,
          parts,
          inPlace: true,
          onResultBlocks: (b, from, to) => ranges.push([from, to, b]),
          onResultRows: (rows) => reported.push([rows, values.slice(0, rows * nx)]),
          onPosted: () => {
            spin(150); // the row parts are done by now; the last step waits for this
            seen = values.slice();
          },
        });
        assert.deepEqual(seen, original, `${label}: the input is intact during onPosted`);
        assert.equal(got, values, `${label}: the result is the caller's shared array`);
        assert.deepEqual(got, want, `${label}: the one job's result`);
        assert.deepEqual(
          ranges.map(([from, to]) => [from, to]),
          Array.from({ length: parts }, (_, q) => [
            Math.floor((ny * q) / parts) * nx,
            Math.floor((ny * (q + 1)) / parts) * nx,
          ]),
          `${label}: one run of blocks per part, in order`,
        );
        for (const [from, to, b] of ranges) {
          const whole = await pool.run({
            kernel: "block_statistics",
            args: { values: want.slice(from, to), position: from },
          });
          assert.deepEqual(b, whole, `${label}: the blocks of cells ${from}..${to}`);
        }
        assert.equal(reported.at(-1)?.[0], ny, `${label}: every row reported`);
        for (const [k, [rows, prefix]] of reported.entries()) {
          assert.ok(k === 0 || rows > reported[k - 1][0], `${label}: rows reported in order`);
          assert.deepEqual(prefix, want.subarray(0, rows * nx), `${label}: ${rows} rows final`);
        }
      }
    }
  }
});

Deno.test("fftFilter splits a large grid across a pool of two by default", async () => {
  const nx = 1024, ny = 1024, values = field(nx, ny);
  const operation = { op: "derivative", direction: "vertical" } as const;
  const runs: number[] = [];
  for (const size of [1, 2]) {
    await using pool = new WorkerPool({ size });
    let calls = 0;
    await fftFilter(pool, { values, nx, ny }, {
      dxKm: 1,
      dyKm: 1,
      operation,
      onResultBlocks: () => calls++,
    });
    runs.push(calls);
  }
  assert.deepEqual(runs, [1, 2], "one job on a pool of one, two parts on a pool of two");
});

Deno.test("fftFilter splits a small grid with many holes by default, not one with few", async () => {
  // 200 x 200 with masked margins 30 cells wide (left and bottom): 11,100 holes, over
  // SPLIT_MIN_HOLES; the same grid with 10-cell margins, 3,900, under it.
  const nx = 200, ny = 200;
  const holed = (margin: number) =>
    field(nx, ny).map((v, k) => k % nx < margin || Math.floor(k / nx) < margin ? NaN : v);
  await using pool = new WorkerPool({ size: 2 });
  const operation = { op: "bandpass", lowKm: 4, highKm: 40, shape: "gaussian" } as const;
  const parts: number[] = [];
  for (const margin of [30, 10]) {
    const values = holed(margin);
    let calls = 0;
    const got = await fftFilter(pool, { values, nx, ny }, {
      dxKm: 1,
      dyKm: 1,
      operation,
      onResultBlocks: () => calls++,
    });
    const one = await fftFilter(pool, { values, nx, ny }, {
      dxKm: 1,
      dyKm: 1,
      operation,
      parts: 1,
    });
    assert.deepEqual(got, one, "the one job's values");
    parts.push(calls);
  }
  assert.deepEqual(parts, [2, 1], "two parts with 11,100 holes, one job with 3,900");
});

Deno.test("fftFilter in parts: a failing onPosted cancels the parts and loses nothing", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const nx = 200, ny = 150, original = field(nx, ny);
  const values = sharedCopy(original);
  await assert.rejects(
    fftFilter(pool, { values, nx, ny }, {
      dxKm: 1,
      dyKm: 1,
      operation: { op: "upward", heightM: 500 },
      inPlace: true,
      parts: 2,
      onPosted: () => {
        throw new Error("the input's checksum failed");
      },
    }),
    /the input's checksum failed/,
  );
  assert.deepEqual(values, sharedCopy(original));
  assert.equal(pool.replacedWorkers, 0);
  // The workers take the next job.
  const next = await fftFilter(pool, { values: original, nx, ny }, {
    dxKm: 1,
    dyKm: 1,
    operation: { op: "upward", heightM: 500 },
    parts: 2,
  });
  assert.equal(next.length, nx * ny);
});

Deno.test("fftFilter on shared values: a failing onPosted cancels the job and loses nothing", async () => {
  await using pool = new WorkerPool({ size: 1 });
  const nx = 200, ny = 150, original = field(nx, ny);
  const values = sharedCopy(original);
  await assert.rejects(
    fftFilter(pool, { values, nx, ny }, {
      dxKm: 1,
      dyKm: 1,
      operation: { op: "upward", heightM: 500 },
      inPlace: true,
      onPosted: () => {
        spin(100); // the worker is at the gate by now
        throw new Error("the input's checksum failed");
      },
    }),
    /the input's checksum failed/,
  );
  // The kernel saw the cancel request at the gate and stopped there: nothing was written.
  for (let i = 0; i < 100 && pool.stoppedKernels === 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(pool.stoppedKernels, 1);
  assert.equal(pool.replacedWorkers, 0);
  assert.deepEqual(values, sharedCopy(original));
  // The worker takes the next job.
  const next = await fftFilter(pool, { values: original, nx, ny }, {
    dxKm: 1,
    dyKm: 1,
    operation: { op: "upward", heightM: 500 },
  });
  assert.equal(next.length, nx * ny);
});

Deno.test("fftFilter on shared values: an abort while the worker waits at the gate writes nothing", async () => {
  await using pool = new WorkerPool({ size: 1 });
  const nx = 200, ny = 150, original = field(nx, ny);
  const values = sharedCopy(original);
  const controller = new AbortController();
  await assert.rejects(
    fftFilter(pool, { values, nx, ny }, {
      dxKm: 1,
      dyKm: 1,
      operation: { op: "derivative", direction: "vertical" },
      inPlace: true,
      signal: controller.signal,
      onPosted: () => {
        spin(100);
        controller.abort(new Error("stopped by the user"));
      },
    }),
    /stopped by the user/,
  );
  for (let i = 0; i < 100 && pool.stoppedKernels === 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(pool.stoppedKernels, 1);
  assert.deepEqual(values, sharedCopy(original));
});

Deno.test("fftFilter on shared values: an abort while the result is written ends the call", async () => {
  await using pool = new WorkerPool({ size: 1 });
  const nx = 300, ny = 260, original = field(nx, ny);
  const values = sharedCopy(original);
  const controller = new AbortController();
  const reported: number[] = [];
  // Tilt writes its rows three times: the abort after the first report of the final rows
  // stops it between those rows' blocks of columns or leaves the job to end; either way
  // the call settles and reports no row twice.
  const call = fftFilter(pool, { values, nx, ny }, {
    dxKm: 1,
    dyKm: 1,
    operation: { op: "tilt" },
    inPlace: true,
    signal: controller.signal,
    onResultRows: (rows) => {
      reported.push(rows);
      controller.abort(new Error("stopped by the user"));
    },
  }).then(() => "resolved", (e: Error) => e.message);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve("still waiting after 10 s"), 10_000);
  });
  const settled = await Promise.race([call, late]).finally(() => clearTimeout(timer));
  assert.match(settled, /resolved|stopped by the user/);
  assert.ok(reported.length >= 1 && reported.every((r, k) => k === 0 || r > reported[k - 1]));
  // The worker takes the next job.
  const next = await fftFilter(pool, { values: original, nx, ny }, {
    dxKm: 1,
    dyKm: 1,
    operation: { op: "upward", heightM: 500 },
  });
  assert.equal(next.length, nx * ny);
});

Deno.test("fftFilter reports how each hole fill ended, the same on every path", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const [nx, ny] = [150, 140];
  const clean = field(nx, ny);
  // Small holes: the sweeps converge. A 120 x 110 gap: they stop at their limit.
  const small = clean.slice();
  for (const k of [5, nx + 5, nx * 10 + 40, nx * 10 + 41]) small[k] = NaN;
  const gap = clean.slice();
  for (let j = 15; j < 125; j++) gap.fill(NaN, j * nx + 15, j * nx + 135);
  const operation: FftOperation = { op: "upward", heightM: 1000 };
  const ends = async (values: Float64Array, o: { parts?: number; shared?: boolean } = {}) => {
    const got: HoleFillEnd[] = [];
    let input: Float64Array = values.slice();
    if (o.shared) {
      input = new Float64Array(new SharedArrayBuffer(8 * values.length));
      input.set(values);
    }
    await fftFilter(pool, { values: input, nx, ny }, {
      dxKm: 1,
      dyKm: 1,
      operation,
      parts: o.parts,
      inPlace: o.shared,
      onFill: (end) => got.push(end),
    });
    return got;
  };
  assert.deepEqual(await ends(clean), [], "no hole, no fill");
  assert.deepEqual(await ends(clean, { parts: 2 }), []);
  for (const [values, converges] of [[small, true], [gap, false]] as const) {
    // One job (fft_filter_into), in parts (fft_split_fill in two bands), shared (fft_filter_shared).
    const [one] = await ends(values, { parts: 1 });
    assert.deepEqual(await ends(values, { parts: 2 }), [one], `converges ${converges}`);
    assert.deepEqual(await ends(values, { shared: true, parts: 1 }), [one]);
    assert.equal(one.converged, converges, JSON.stringify(one));
    assert.equal(one.converged, one.update < one.tolerance);
    assert.equal(one.sweeps === FILL_MAX_SWEEPS, !converges, JSON.stringify(one));
    // The tolerance is 1e-9 of the valid values' range after the detrending plane.
    assert.ok(one.tolerance > 0 && one.tolerance < 1e-7, JSON.stringify(one));
    if (!converges) assert.ok(one.update > 100 * one.tolerance, JSON.stringify(one));
  }
  // The two-band RTP fills three grids: its low-pass and both bands.
  const rtp: HoleFillEnd[] = [];
  await fftFilter(pool, { values: gap, nx, ny }, {
    dxKm: 1,
    dyKm: 1,
    operation: { op: "rtp", inclination: -30, declination: -20 },
    onFill: (end) => rtp.push(end),
  });
  assert.equal(rtp.length, 3);
  assert.ok(rtp.every((e) => e.sweeps >= 1 && !e.converged), JSON.stringify(rtp));
});
