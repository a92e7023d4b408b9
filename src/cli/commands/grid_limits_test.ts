/**
 * Limits of `gam grid`, through the real command line: grid sizes counted before anything is
 * allocated, degenerate inputs, control characters from input files, unwritable outputs.
 */
import assert from "node:assert/strict";
import { gam } from "../../../tests/_gam_cli.ts";

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gam-grid-limits-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes a CSV of `rows` ([lon, lat, value]) with header `x,y,z` (or `header`). */
async function csv(path: string, rows: number[][], header = "x,y,z"): Promise<string> {
  await Deno.writeTextFile(path, [header, ...rows.map((r) => r.join(","))].join("\n") + "\n");
  return path;
}

const cols = ["--x", "x", "--y", "y", "--z", "z"];

Deno.test("gam grid counts the nodes before allocating: absurd spacings exit 2 with the limit", async () => {
  await withTemp(async (dir) => {
    const input = await csv(`${dir}/p.csv`, [[0, 0, 1], [1, 1, 2], [2, 0, 3]]);
    const world = "-180,-90,180,90";
    const cases: [string, string, RegExp][] = [
      // 3.6e302 columns: a float count, not "Invalid typed array length".
      [
        world,
        "1e-300",
        /^gam grid: GAM_GRID_MAX_CELLS: the grid would have 1\.8e\+302 x 3\.6e\+302 = Infinity nodes, above the limit of 50000000; use a larger spacing or a smaller bbox$/,
      ],
      // 6.5e16 nodes: refused at once, before any axis (4.6 GB in the report) is allocated.
      [
        world,
        "1e-6",
        /^gam grid: GAM_GRID_MAX_CELLS: the grid would have 180000001 x 360000001 = 64800000540000000 nodes, above the limit of 50000000/,
      ],
      [world, "0", /^gam grid: --spacing must be a finite number > 0 degrees, got 0$/],
      [world, "-0.1", /^gam grid: --spacing must be a finite number > 0 degrees, got -0\.1$/],
      [world, "NaN", /^gam grid: --spacing expects a number, got "NaN"$/],
      [world, "Infinity", /^gam grid: --spacing expects a number, got "Infinity"$/],
      // Below the smallest normal double the span over it overflows to Infinity.
      [world, "1e-320", /the grid would have Infinity x Infinity = Infinity nodes/],
    ];
    for (const [bbox, spacing, message] of cases) {
      const r = await gam([
        "grid",
        "--input",
        input,
        ...cols,
        "--bbox",
        bbox,
        "--spacing",
        spacing,
        "--method",
        "nearest",
        "--out",
        `${dir}/g.tif`,
      ]);
      assert.equal(r.code, 2, `spacing ${spacing}: ${r.stderr}`);
      assert.match(r.stderr.trim(), message);
    }
  });
});

Deno.test("gam grid escapes control characters of a CSV header in its error message", async () => {
  await withTemp(async (dir) => {
    // ESC [2J clears the screen, ESC [31m turns it red: neither may reach the terminal.
    const input = await csv(`${dir}/evil.csv`, [[0, 0, 1]], "\x1b[2J\x1b[31mx,y,z");
    const r = await gam([
      "grid",
      "--input",
      input,
      "--x",
      "lon",
      "--y",
      "y",
      "--z",
      "z",
      "--bbox",
      "0,0,1,1",
      "--spacing",
      "0.1",
      "--method",
      "nearest",
      "--out",
      `${dir}/g.tif`,
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.includes("\x1b"), false, "no raw ESC on stderr");
    assert.match(r.stderr, /column 'lon' not found/);
    assert.ok(r.stderr.includes("\\x1b[2J\\x1b[31mx"), r.stderr);
  });
});

Deno.test("gam grid into an unwritable folder fails with the system's message (exit 1)", async () => {
  await withTemp(async (dir) => {
    const input = await csv(`${dir}/p.csv`, [[0, 0, 1], [1, 1, 2], [0, 1, 3]]);
    // A regular file where the output folder should be: unwritable even for root.
    await Deno.writeTextFile(`${dir}/blocker`, "");
    for (const out of [`${dir}/blocker/g.tif`, `${dir}/blocker/g.zarr`]) {
      const r = await gam([
        "grid",
        "--input",
        input,
        ...cols,
        "--bbox",
        "0,0,1,1",
        "--spacing",
        "0.5",
        "--method",
        "nearest",
        "--out",
        out,
      ]);
      assert.equal(r.code, 1, r.stderr);
      // The writers create missing parent folders: a file in the way fails that mkdir.
      assert.match(r.stderr, /^gam grid: .*(not a directory|file exists).*blocker/i);
      assert.equal(r.stderr.includes("[object"), false, r.stderr);
    }
  });
});

async function gridArgs(input: string, method: string, out: string, extra: string[] = []) {
  return await gam([
    "grid",
    "--input",
    input,
    ...cols,
    "--bbox",
    "0,0,1,1",
    "--spacing",
    "0.1",
    "--method",
    method,
    "--out",
    out,
    ...extra,
  ]);
}

Deno.test("gam grid --method linear refuses one point, identical points and collinear points (exit 1)", async () => {
  await withTemp(async (dir) => {
    const inputs: [string, number[][], RegExp][] = [
      ["one", [[0.5, 0.5, 1]], /the 1 point\(s\) in reach are too few/],
      [
        "same",
        [[0.5, 0.5, 1], [0.5, 0.5, 2], [0.5, 0.5, 3], [0.5, 0.5, 4]],
        /are identical or collinear/,
      ],
      [
        "line",
        [[0.1, 0.1, 1], [0.5, 0.5, 2], [0.9, 0.9, 3]],
        /the 3 point\(s\) in reach are identical or collinear/,
      ],
    ];
    for (const [name, rows, message] of inputs) {
      const input = await csv(`${dir}/${name}.csv`, rows);
      const out = `${dir}/${name}.tif`;
      const r = await gridArgs(input, "linear", out);
      assert.equal(r.code, 1, `${name}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /^gam grid: linear interpolation needs at least 3 points not all on one line/,
      );
      assert.match(r.stderr, message);
      assert.equal(await Deno.stat(out).then(() => true, () => false), false, "nothing written");
    }
    // Three points off one line are enough.
    const ok = await csv(`${dir}/tri.csv`, [[0, 0, 1], [1, 0, 2], [0, 1, 3]]);
    const r = await gridArgs(ok, "linear", `${dir}/tri.tif`);
    assert.equal(r.code, 0, r.stderr);
  });
});

Deno.test("gam grid --method mincurv from one location warns; with data in 4 cells it does not", async () => {
  await withTemp(async (dir) => {
    const one = await csv(`${dir}/one.csv`, [[0.5, 0.5, 7], [0.5, 0.5, 9]]);
    const r = await gridArgs(one, "mincurv", `${dir}/one.tif`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /gam grid: warning: mincurv from data in 1 grid cell\(s\) \(fewer than 4\): the whole 11 x 11 surface is extrapolated from them/,
    );
    const four = await csv(`${dir}/four.csv`, [[0.1, 0.1, 1], [0.9, 0.1, 2], [0.1, 0.9, 3], [
      0.9,
      0.9,
      4,
    ]]);
    const q = await gridArgs(four, "mincurv", `${dir}/four.tif`);
    assert.equal(q.code, 0, q.stderr);
    assert.equal(q.stderr.includes("warning"), false, q.stderr);
  });
});

Deno.test("gam grid fails (exit 1) and writes nothing when no node gets a value", async () => {
  await withTemp(async (dir) => {
    // A point between nodes with a radius that reaches none of them.
    const input = await csv(`${dir}/p.csv`, [[0.55, 0.55, 1]]);
    const out = `${dir}/g.tif`;
    const r = await gridArgs(input, "nearest", out, ["--radius", "0.01"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr.trim(),
      /^gam grid: the 11 x 11 grid has no value at any node \(nearest from 1 point\(s\) in the bbox, radius 0\.01\); nothing written$/,
    );
    assert.equal(await Deno.stat(out).then(() => true, () => false), false);
  });
});
