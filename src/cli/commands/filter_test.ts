import assert from "node:assert/strict";
import { UsageError } from "../command.ts";
import { isUsageLike } from "../report_error.ts";
import { GridFileError, readGrid } from "../../formats/grid_read.ts";
import { writeGrid } from "../../formats/grid_write.ts";
import { gridFixture } from "../../preprocessing/stages/_testing.ts";
import { filterCommand } from "./filter.ts";
import { qcCommand } from "./qc.ts";

const EARTH = new URL("../../../../shared/data/gravity-earth-0.5deg.nc", import.meta.url).pathname;

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
    /--inclination must be in \[-90, 90\]/,
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
  await usage([...io, "--op", "tilt", "extra"], /unexpected argument "extra"/);
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

export { EARTH, gridFixture, readGrid, withTemp, writeGrid };
