/**
 * Every grid file the project writes, read by every command that takes a grid: `gam grid`
 * (.tif, .zarr), `gam filter` (.tif, .zarr) and the run's writer (`writeGrid`, which `gam run`
 * uses for `grids/<modality>-<branch>.{tif,zarr}`, with a run-sized provenance: a long
 * `ImageDescription`, which geotiff defers), each read back by `gam qc` (positional and
 * `--input`) and `gam filter`, with its units, registration and data footprint.
 */
import assert from "node:assert/strict";
import { gam } from "../_gam_cli.ts";
import { fetchDataset } from "../../src/datasets/mod.ts";
import { readGrid } from "../../src/formats/mod.ts";
import { writeGrid } from "../../src/formats/mod.ts";

const RIO = await fetchDataset("rio-magnetic.csv.gz");

Deno.test("every grid output is read back by gam qc and gam filter with units and footprint", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gam-outputs-test-" });
  try {
    const files: string[] = [];
    for (const ext of ["tif", "zarr"]) {
      const out = `${dir}/grid.${ext}`;
      const r = await gam([
        "grid",
        RIO,
        "--x",
        "longitude",
        "--y",
        "latitude",
        "--z",
        "total_field_anomaly_nt",
        "--bbox",
        "-42.2,-22.3,-41.9,-22.0",
        "--spacing",
        "0.01",
        "--method",
        "mincurv",
        "--out",
        out,
      ]);
      assert.equal(r.code, 0, r.stderr);
      files.push(out);
      const f = `${dir}/filtered.${ext}`;
      const fr = await gam(["filter", out, "--op", "gaussian", "--sigma", "1", "--out", f]);
      assert.equal(fr.code, 0, fr.stderr);
      files.push(f);
    }
    // The run's writer, with a provenance as long as a run's (tens of KB of stage records).
    const base = await readGrid(`${dir}/grid.tif`);
    const long = Array.from({ length: 200 }, (_, i) => ({
      step: `stage-${i}`,
      version: "1.0.0",
      params: { note: "x".repeat(100) },
    }));
    for (const ext of ["tif", "zarr"]) {
      const out = `${dir}/magnetic-fine.${ext}`;
      await writeGrid(out, {
        ...base,
        modality: "magnetic",
        provenance: [...base.provenance, ...long],
      });
      files.push(out);
    }
    for (const file of files) {
      const g = await readGrid(file);
      assert.equal(g.units, "nT", file);
      assert.equal(g.registration, "gridline", file);
      assert.ok(g.dataDistanceKm !== undefined, `${file}: no data footprint`);
      for (const args of [["qc", file, "--json"], ["qc", "--input", file, "--json"]]) {
        const q = await gam(args);
        assert.equal(q.code, 0, `${args.join(" ")}: ${q.stderr}`);
        const report = JSON.parse(q.stdout);
        assert.equal(report.completeness.footprint, "input points", file);
        const text = await gam(["qc", file]);
        assert.equal(text.code, 0, text.stderr);
        assert.match(text.stdout, /peak -?\d+\.\d+ nT/, file);
      }
      const out = `${dir}/again-${file.split("/").pop()}`;
      const f = await gam([
        "filter",
        "--input",
        file,
        "--op",
        "median",
        "--size",
        "3",
        "--out",
        out,
      ]);
      assert.equal(f.code, 0, `${file}: ${f.stderr}`);
      assert.equal((await readGrid(out)).units, "nT");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
