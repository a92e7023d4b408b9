import assert from "node:assert/strict";
import * as zarr from "zarrita";
import FileSystemStore from "@zarrita/storage/fs";
import { readZarrGrid, writeZarrGrid, ZarrGridError } from "./zarr_grid.ts";
import { chunkCodecs } from "./zarr_codecs.ts";
import { moduleTempDir } from "../_testing/temp_dir.ts";

function sampleGrid(nlat: number, nlon: number) {
  const lon = Float64Array.from({ length: nlon }, (_, i) => 10 + i * 0.01);
  const lat = Float64Array.from({ length: nlat }, (_, i) => -5 + i * 0.01);
  const values = new Float32Array(nlat * nlon);
  for (let i = 0; i < values.length; i++) values[i] = Math.sin(i * 0.001) * 100;
  values[3] = NaN;
  return { lon, lat, values };
}

Deno.test("writeZarrGrid() round-trips axes, values (NaN included) and attributes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // 600 x 530 spans several 512 x 512 chunks, including partial edge chunks.
    const grid = sampleGrid(600, 530);
    const attrs = { units: "nT", provenance: [{ step: "grid", version: "0.1.0", params: {} }] };
    await writeZarrGrid(`${dir}/g.zarr`, grid, attrs);
    const back = await readZarrGrid(`${dir}/g.zarr`);
    assert.deepEqual(back.lat, grid.lat);
    assert.deepEqual(back.lon, grid.lon);
    assert.ok(back.values instanceof Float32Array);
    assert.deepEqual(back.values, grid.values);
    assert.deepEqual(back.attributes, attrs);
    const meta = JSON.parse(await Deno.readTextFile(`${dir}/g.zarr/values/zarr.json`));
    assert.equal(meta.zarr_format, 3);
    assert.deepEqual(meta.dimension_names, ["lat", "lon"]);
    assert.equal(meta.fill_value, "NaN");
    // No temporary folder is left beside the output.
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["g.zarr"]);
    // Writing again replaces the grid.
    await writeZarrGrid(`${dir}/g.zarr`, sampleGrid(2, 3), {});
    assert.equal((await readZarrGrid(`${dir}/g.zarr`)).values.length, 6);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeZarrGrid() rejects values whose length is not lat x lon and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const grid = { ...sampleGrid(3, 4), values: new Float32Array(11) };
    await assert.rejects(
      writeZarrGrid(`${dir}/bad.zarr`, grid),
      (e: unknown) =>
        e instanceof ZarrGridError &&
        /values has 11 elements, expected lat x lon = 3 x 4/.test(e.message),
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readZarrGrid() rejects a folder that is not a grid", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(readZarrGrid(dir), ZarrGridError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A python with zarr 3: GAM_ZARR_PYTHON, else /usr/bin/python3; null when neither has zarr. */
async function zarrPython(): Promise<string | null> {
  for (const py of [Deno.env.get("GAM_ZARR_PYTHON"), "/usr/bin/python3"]) {
    if (!py) continue;
    try {
      const out = await new Deno.Command(py, {
        args: ["-c", "import zarr; assert int(zarr.__version__.split('.')[0]) >= 3"],
        stderr: "null",
        stdout: "null",
      }).output();
      if (out.success) return py;
    } catch { /* not installed */ }
  }
  return null;
}

Deno.test("writeZarrGrid() output opens in zarr-python 3", async (t) => {
  const py = await zarrPython();
  if (py === null) {
    // An ignored step: the test runner lists it as skipped with this reason.
    await t.step({
      name: "zarr-python 3 is not installed (set GAM_ZARR_PYTHON; the test set-up does)",
      ignore: true,
      fn: () => {},
    });
    return;
  }
  const dir = await Deno.makeTempDir();
  try {
    const grid = sampleGrid(40, 70);
    await writeZarrGrid(`${dir}/g.zarr`, grid, { units: "mGal" });
    const script = `
import json, sys, math, zarr
g = zarr.open_group(sys.argv[1], mode="r")
v = g["values"]
print(json.dumps({"shape": list(v.shape), "dims": list(v.metadata.dimension_names),
  "v5": float(v[0, 5]), "nan": math.isnan(float(v[0, 3])), "lat0": float(g["lat"][0]),
  "lon_last": float(g["lon"][-1]), "units": g.attrs["units"]}))`;
    const out = await new Deno.Command(py, {
      args: ["-c", script, `${dir}/g.zarr`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.deepEqual(r.shape, [40, 70]);
    assert.deepEqual(r.dims, ["lat", "lon"]);
    assert.equal(r.v5, grid.values[5]);
    assert.equal(r.nan, true);
    assert.equal(r.lat0, grid.lat[0]);
    assert.equal(r.lon_last, grid.lon[69]);
    assert.equal(r.units, "mGal");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeZarrGrid() writes uncompressed chunks byte for byte as zarrita's set does", async () => {
  const dir = await moduleTempDir({ prefix: "gam-zarr-plain-" });
  const chunk = 256;
  for (const f64 of [false, true]) {
    // 600 x 530: partial edge chunks both ways; an all-NaN chunk; NaN elsewhere.
    const g = sampleGrid(600, 530);
    const values = f64 ? Float64Array.from(g.values) : g.values;
    for (let r = 0; r < chunk; r++) values.fill(NaN, r * 530, r * 530 + chunk);
    const ours = `${dir}/ours-${f64}.zarr`;
    await writeZarrGrid(ours, { ...g, values }, {}, { chunkSize: chunk });
    const ref = `${dir}/ref-${f64}`;
    const arr = await zarr.create(zarr.root(new FileSystemStore(ref)), {
      shape: [600, 530],
      chunkShape: [chunk, chunk],
      dtype: f64 ? "float64" : "float32",
      fillValue: NaN,
      codecs: chunkCodecs("none"),
    });
    await zarr.set(arr as zarr.Array<"float64", FileSystemStore>, null, {
      data: values,
      shape: [600, 530],
      stride: [530, 1],
    } as zarr.Chunk<"float64">);
    const files = async (root: string) => {
      const out: string[] = [];
      for (let i = 0; i < 3; i++) {
        for await (const e of Deno.readDir(`${root}/c/${i}`)) out.push(`c/${i}/${e.name}`);
      }
      return out.sort();
    };
    const names = await files(ref);
    assert.equal(names.length, 9);
    assert.deepEqual(await files(`${ours}/values`), names);
    for (const name of names) {
      const a = await Deno.readFile(`${ours}/values/${name}`);
      const b = await Deno.readFile(`${ref}/${name}`);
      const at = a.length === b.length ? a.findIndex((x, k) => x !== b[k]) : 0;
      assert.equal(at, -1, `${f64 ? "float64" : "float32"} chunk ${name}: differs at byte ${at}`);
    }
  }
});
