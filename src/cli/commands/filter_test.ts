import assert from "node:assert/strict";
import { UsageError } from "../command.ts";
import { isUsageLike } from "../report_error.ts";
import { GridFileError, readGrid } from "../../formats/mod.ts";
import { writeGrid } from "../../formats/mod.ts";
import { gridFixture } from "../../preprocessing/stages/_testing.ts";
import { filterCommand } from "./filter.ts";
import { fetchDataset } from "../../datasets/mod.ts";
import { qcCommand } from "./qc.ts";

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gam-filter-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function usage(args: string[], pattern: RegExp): Promise<void> {
  await assert.rejects(
    filterCommand.run(args),
    (e: unknown) => e instanceof UsageError && isUsageLike(e) && pattern.test(e.message),
    args.join(" "),
  );
}

Deno.test("gam filter rejects bad command lines with one-line usage errors (exit 2)", async () => {
  const io = ["--input", "g.tif", "--out", "o.tif"];
  await usage(["--op", "gaussian", "--sigma", "2", "--out", "o.tif"], /--input is required/);
  await usage(["--input", "g.tif", "--op", "gaussian", "--sigma", "2"], /--out is required/);
  await usage(
    [...io, "--op", "blur"],
    /--op must be one of gaussian, median, .*outliers, got "blur"/,
  );
  await usage([...io, "--op", "gaussian"], /--op gaussian needs --sigma/);
  await usage([...io, "--op", "gaussian", "--sigma", "abc"], /--sigma expects a number, got "abc"/);
  await usage([...io, "--op", "gaussian", "--sigma=-1"], /--sigma must be > 0, got -1/);
  // A negative value may also follow the flag as its own argument (west and south are negative).
  await usage([...io, "--op", "gaussian", "--sigma", "-1"], /--sigma must be > 0, got -1/);
  await usage(
    [...io, "--op", "gaussian", "--sigma", "1", "--size", "3"],
    /--size does not apply to --op gaussian/,
  );
  await usage(
    [...io, "--op", "median", "--size", "4"],
    /--size must be an odd integer >= 1, got 4/,
  );
  await usage(
    [...io, "--op", "bandpass", "--low-km", "50", "--high-km", "10", "--shape", "gaussian"],
    /--high-km must be larger than --low-km \(50\), got 10/,
  );
  await usage(
    [...io, "--op", "bandpass", "--low-km", "5", "--high-km", "10", "--shape", "box"],
    /--shape must be one of gaussian, butterworth, cosine, got "box"/,
  );
  await usage(
    [
      ...io,
      "--op",
      "bandpass",
      "--low-km",
      "5",
      "--high-km",
      "10",
      "--shape",
      "cosine",
      "--order",
      "2",
    ],
    /--order applies to --shape butterworth/,
  );
  await usage(
    [...io, "--op", "rtp", "--inclination", "95", "--declination", "0"],
    /--inclination must be in \[-90, 90\] degrees, got 95/,
  );
  await usage(
    [...io, "--op", "rtp", "--inclination", "30", "--declination", "400"],
    /--declination must be in \[-180, 360\] degrees, got 400/,
  );
  await usage(
    [...io, "--op", "outliers", "--method", "sigma", "--threshold", "3"],
    /--method must be one of zscore, iqr, mad/,
  );
  await usage([...io, "--op", "tilt", "--bogus", "1"], /bogus/);
  await usage(
    ["--input", "g.tif", "--out", "o.nc", "--op", "tilt"],
    /--out must end in \.tif or \.zarr, got "o.nc"/,
  );
  await usage([...io, "--op", "tilt", "extra"], /the input is given twice, as --input "g.tif"/);
  await usage(["a.tif", "b.tif", "--out", "o.tif", "--op", "tilt"], /unexpected argument "b.tif"/);
});

Deno.test("gam filter reports a missing or unreadable input as a runtime error (exit 1)", async () => {
  await assert.rejects(
    filterCommand.run(["--input", "/nonexistent/g.tif", "--op", "tilt", "--out", "/tmp/x.tif"]),
    (e: unknown) =>
      e instanceof GridFileError && !isUsageLike(e) && /\/nonexistent\/g\.tif/.test(e.message),
  );
});

Deno.test("gam qc rejects bad command lines (exit 2)", async () => {
  await assert.rejects(qcCommand.run([]), /--input is required/);
  await assert.rejects(
    qcCommand.run(["--input", "g.tif", "--z-threshold", "0"]),
    /--z-threshold must be > 0/,
  );
  await assert.rejects(
    qcCommand.run(["--input", "g.tif", "--min-cells", "1.5"]),
    /--min-cells must be an integer >= 1/,
  );
});

Deno.test("gam filter runs every op on a .zarr grid and writes .tif/.zarr with provenance", async () => {
  await withTemp(async (dir) => {
    const { grid } = await gridFixture("bodies_grid.json");
    const input = `${dir}/bodies.zarr`;
    await writeGrid(input, grid);
    // Each op, the stage it runs and the parameters its provenance must record.
    const ops: [string, string[], string, string, Record<string, unknown>][] = [
      ["gaussian", ["--sigma", "2"], "mGal", "noise", { method: "gaussian", sigma: 2 }],
      ["median", ["--size", "3"], "mGal", "noise", { method: "median", size: 3 }],
      [
        "bandpass",
        ["--low-km", "4", "--high-km", "40", "--shape", "butterworth", "--order", "3"],
        "mGal",
        "bandpass",
        { lowKm: 4, highKm: 40, shape: "butterworth", order: 3 },
      ],
      ["upward", ["--height-m", "1000"], "mGal", "upward", { heightM: 1000 }],
      ["vertical-derivative", [], "mGal/km", "derivative", { direction: "vertical" }],
      ["tilt", [], "rad", "tilt", {}],
      ["total-gradient", [], "mGal/km", "derivative", { direction: "total-gradient" }],
      [
        "rtp",
        ["--inclination", "60", "--declination", "10"],
        "mGal",
        "rtp",
        { inclination: 60, declination: 10 },
      ],
      [
        "outliers",
        ["--method", "mad", "--threshold", "3"],
        "mGal",
        "outlier",
        { method: "mad", threshold: 3, action: "nan" },
      ],
    ];
    for (const [op, flags, units, stage, params] of ops) {
      const out = `${dir}/${op}.${op === "tilt" ? "zarr" : "tif"}`;
      const code = await filterCommand.run([
        "--input",
        input,
        "--op",
        op,
        ...flags,
        "--out",
        out,
        "--workers",
        "2",
      ]);
      assert.equal(code, 0, op);
      const back = await readGrid(out);
      assert.equal(back.units, units, op);
      assert.equal(back.lat.length, grid.lat.length, op);
      const last = back.provenance.at(-1)!;
      assert.equal(last.step, stage, op);
      for (const [k, value] of Object.entries(params)) assert.equal(last.params[k], value, op);
      assert.match(String(last.outputChecksum), /^sha256:[0-9a-f]{64}$/);
      assert.equal(back.provenance[0].step, "fixture:bodies_grid.json", `${op} keeps the history`);
    }
    // Outliers: flagged cells become NaN, others keep their values (Float32 in the .tif).
    const o = await readGrid(`${dir}/outliers.tif`);
    const nan = [...o.values].filter(Number.isNaN).length;
    assert.ok(nan >= 9, `${nan} NaN cells (the 9-cell hole plus flagged cells)`);
  });
});

Deno.test("gam qc prints completeness, seams and anomalies, as text and --json", async () => {
  await withTemp(async (dir) => {
    const { grid } = await gridFixture("bodies_grid.json");
    const input = `${dir}/bodies.tif`;
    await writeGrid(input, grid);
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => lines.push(a.join(" "));
    try {
      assert.equal(await qcCommand.run(["--input", input, "--json", "--support-km", "2"]), 0);
      assert.equal(await qcCommand.run(["--input", input, "--tile-deg", "0.5"]), 0);
    } finally {
      console.log = log;
    }
    const report = JSON.parse(lines[0]);
    assert.equal(report.completeness.cells, 81 * 65);
    assert.equal(report.completeness.supported, 81 * 65, "the 3 x 3 hole is within 2 km of data");
    assert.equal(report.anomalies.length, 3);
    assert.match(lines[1], /completeness: 99\.8% \(5256 of 5265 nodes with data\)/);
    assert.match(lines[1], /seams: 4 \(0 flagged\)/);
    assert.match(lines[1], /anomalies: 3/);
  });
});

Deno.test("gam filter and gam qc run on gravity-earth-0.5deg.nc (netCDF classic)", async () => {
  const EARTH = await fetchDataset("gravity-earth-0.5deg.nc");
  await withTemp(async (dir) => {
    const out = `${dir}/up.tif`;
    assert.equal(
      await filterCommand.run(["--input", EARTH, "--op", "gaussian", "--sigma", "2", "--out", out]),
      0,
    );
    const src = await readGrid(EARTH), smooth = await readGrid(out);
    const range = (a: Float32Array | Float64Array) => {
      let lo = Infinity, hi = -Infinity;
      for (const v of a) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
      return [lo, hi];
    };
    const [lo, hi] = range(src.values), [slo, shi] = range(smooth.values);
    // Normalised convolution is a weighted mean: the result stays within the input's range
    // (up to Float32 rounding of the GeoTIFF, about 0.06 mGal at 980,000 mGal).
    assert.ok(slo >= lo - 0.1 && shi <= hi + 0.1 && shi - slo < hi - lo, `${slo}..${shi}`);
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => lines.push(a.join(" "));
    try {
      assert.equal(await qcCommand.run(["--input", EARTH, "--json"]), 0);
    } finally {
      console.log = log;
    }
    const report = JSON.parse(lines[0]);
    assert.equal(report.completeness.fraction, 1);
    for (const a of report.anomalies) {
      assert.ok(a.lon >= -180 && a.lon <= 180 && a.lat >= -90 && a.lat <= 90);
      assert.ok(a.confidence >= 0 && a.confidence <= 1);
    }
  });
});
