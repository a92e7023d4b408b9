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
      [world, "0", /^gam grid: --spacing must be > 0 degrees, got 0$/],
      [world, "-0.1", /^gam grid: --spacing must be > 0 degrees, got -0\.1$/],
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
      assert.match(r.stderr, /^gam grid: .*not a directory.*blocker\/g\.(tif|zarr)/i);
      assert.equal(r.stderr.includes("[object"), false, r.stderr);
    }
  });
});
