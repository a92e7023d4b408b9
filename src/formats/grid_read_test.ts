import assert from "node:assert/strict";
import type { ProcessedGrid } from "../contracts/mod.ts";
import { GridFileError, gridFormatOf, readGrid } from "./grid_read.ts";
import { writeGrid } from "./grid_write.ts";
import { writeZarrGrid } from "./zarr_grid.ts";
import { fetchDataset } from "../datasets/mod.ts";

function sample(): ProcessedGrid {
  return {
    modality: "gravity",
    lon: Float64Array.from([10, 10.5, 11]),
    lat: Float64Array.from([-2, -1.5]),
    values: Float64Array.from([1.25, NaN, -3.5, 4, 5.125, 6]),
    units: "mGal",
    crs: "EPSG:4326",
    resolution: { lon: 0.5, lat: 0.5 },
    registration: "gridline",
    provenance: [{ step: "test", version: "1.0.0", params: { note: "µ ünïcode" } }],
  };
}

Deno.test("readGrid() reads gravity-earth-0.5deg.nc as 361 x 721 nodes in mGal", async () => {
  const g = await readGrid(await fetchDataset("gravity-earth-0.5deg.nc"));
  assert.equal(g.lat.length, 361);
  assert.equal(g.lon.length, 721);
  assert.equal(g.resolution.lat, 0.5);
  assert.equal(g.units, "mGal");
  assert.equal(g.provenance[0].step, "file:gravity-earth-0.5deg.nc");
  const finite = [...g.values].filter(Number.isFinite);
  assert.equal(finite.length, g.values.length, "the model grid has no gaps");
  // Gravity magnitude at 10 km height lies between about 975,000 and 984,000 mGal.
  const min = finite.reduce((a, b) => Math.min(a, b));
  const max = finite.reduce((a, b) => Math.max(a, b));
  assert.ok(min > 970000 && max < 985000, `range ${min}..${max}`);
});

Deno.test("writeGrid() then readGrid() round-trips .tif and .zarr with units and provenance", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const name of ["g.tif", "g.zarr"]) {
      const path = `${dir}/${name}`;
      await writeGrid(path, sample());
      const back = await readGrid(path);
      assert.deepEqual([...back.lon], [10, 10.5, 11], name);
      assert.deepEqual([...back.lat], [-2, -1.5], name);
      assert.deepEqual([...back.values], [1.25, NaN, -3.5, 4, 5.125, 6], name);
      assert.equal(back.units, "mGal", name);
      assert.equal(back.modality, "gravity", name);
      assert.deepEqual(back.provenance, sample().provenance, name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readGrid(..., { float32: true }) keeps a float32 file's values as float32, the same numbers", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const grid = { ...sample(), values: Float32Array.from(sample().values) };
    for (const name of ["f.tif", "f.zarr", "d.zarr"]) {
      const path = `${dir}/${name}`;
      // d.zarr: a float64 file, which stays float64.
      await writeGrid(path, name === "d.zarr" ? sample() : grid);
      const wide = await readGrid(path);
      const kept = await readGrid(path, { float32: true });
      assert.ok(wide.values instanceof Float64Array, name);
      assert.equal(kept.values.constructor, name === "d.zarr" ? Float64Array : Float32Array, name);
      assert.deepEqual([...kept.values], [...wide.values], name);
      assert.deepEqual({ ...kept, values: null }, { ...wide, values: null }, name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readGrid(..., { shared: true }) puts GeoTIFF and Zarr values on shared memory, the same numbers", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const f32 = { ...sample(), values: Float32Array.from(sample().values) };
    const cases: [string, ProcessedGrid][] = [["f.tif", f32], ["f.zarr", f32], [
      "d.zarr",
      sample(),
    ]];
    await writeZarrGrid(`${dir}/z.zarr`, f32, { units: "mGal" }, { compression: "gzip" });
    for (const [name, grid] of [...cases, ["z.zarr", undefined] as const]) {
      const path = `${dir}/${name}`;
      if (grid) await writeGrid(path, grid);
      const plain = await readGrid(path);
      const shared = await readGrid(path, { shared: true });
      assert.ok(plain.values.buffer instanceof ArrayBuffer, name);
      assert.ok(shared.values.buffer instanceof SharedArrayBuffer, name);
      assert.ok(shared.values instanceof Float64Array, name);
      assert.deepEqual({ ...shared, values: [...shared.values] }, {
        ...plain,
        values: [...plain.values],
      }, name);
    }
    // netCDF ignores it.
    const nc = await readGrid(await fetchDataset("gravity-earth-0.5deg.nc"), { shared: true });
    assert.ok(nc.values.buffer instanceof ArrayBuffer);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readGrid() rejects an unknown extension and a missing file naming the file", async () => {
  assert.equal(gridFormatOf("a/b.ZARR/"), "zarr");
  assert.equal(gridFormatOf("x.nc"), "netcdf");
  await assert.rejects(
    readGrid("points.csv"),
    (e: unknown) =>
      e instanceof GridFileError && /points\.csv: unsupported extension ".csv"/.test(e.message),
  );
  await assert.rejects(readGrid("/nonexistent/g.tif"), /\/nonexistent\/g\.tif: no such file/);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/bad.tif`, "not a tiff");
    await assert.rejects(readGrid(`${dir}/bad.tif`), (e: unknown) => e instanceof GridFileError);
    await assert.rejects(writeGrid(`${dir}/g.nc`, sample()), /must end in \.tif or \.zarr/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
