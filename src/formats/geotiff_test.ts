import assert from "node:assert/strict";
import { encodeGeoTiff, GeoTiffError, type GeoTiffGrid, writeGeoTiff } from "./geotiff.ts";

function axis(start: number, step: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => start + i * step);
}

/** 401 x 3 lon/lat gridline grid on lon 10..14, lat -1..-0.98 at 0.01, value = row*1000+col. */
function sample(registration: "gridline" | "pixel"): GeoTiffGrid {
  const off = registration === "pixel" ? 0.005 : 0;
  const lon = axis(10 + off, 0.01, registration === "pixel" ? 400 : 401);
  const lat = axis(-1 + off, 0.01, registration === "pixel" ? 2 : 3);
  const values = new Float32Array(lon.length * lat.length);
  for (let r = 0; r < lat.length; r++) {
    for (let c = 0; c < lon.length; c++) values[r * lon.length + c] = r * 1000 + c;
  }
  values[0] = NaN;
  return { lon, lat, values, resolution: { lon: 0.01, lat: 0.01 }, registration };
}

async function gdal(cmd: string, args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    assert.ok(out.success, `${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
    return new TextDecoder().decode(out.stdout);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

for (const registration of ["gridline", "pixel"] as const) {
  Deno.test(`writeGeoTiff() ${registration} grid reads back in gdalinfo with nodes at pixel centres`, async (t) => {
    const dir = await Deno.makeTempDir();
    try {
      const grid = sample(registration);
      const path = `${dir}/g.tif`;
      await writeGeoTiff(path, grid, { description: '{"step":"grid"}' });
      const json = await gdal("gdalinfo", ["-json", path]);
      if (json === null) {
        // An ignored step: the test runner lists it as skipped with this reason.
        await t.step({
          name: "gdalinfo is not installed (Debian package gdal-bin)",
          ignore: true,
          fn: () => {},
        });
        return;
      }
      const info = JSON.parse(json);
      assert.deepEqual(info.size, [grid.lon.length, grid.lat.length]);
      const [x0, dx, , y0, , dy] = info.geoTransform as number[];
      // Origin is the outer edge of the first pixel: half a cell west/north of the first node.
      assert.ok(Math.abs(x0 - (grid.lon[0] - 0.005)) < 1e-9, `origin lon ${x0}`);
      assert.ok(Math.abs(y0 - (grid.lat[grid.lat.length - 1] + 0.005)) < 1e-9, `origin lat ${y0}`);
      assert.ok(Math.abs(dx - 0.01) < 1e-12);
      assert.ok(Math.abs(dy + 0.01) < 1e-12);
      const band = info.bands[0];
      assert.equal(band.type, "Float32");
      assert.ok(Number.isNaN(band.noDataValue) || band.noDataValue === "NaN");
      assert.match(info.coordinateSystem.wkt, /WGS 84/);
      assert.match(JSON.stringify(info.metadata), registration === "gridline" ? /Point/ : /Area/);
      // The value at the node (lon[5], lat[1]) is 1 * 1000 + 5; the south-west node is nodata.
      const v = await gdal("gdallocationinfo", [
        "-valonly",
        "-geoloc",
        path,
        String(grid.lon[5]),
        String(grid.lat[1]),
      ]);
      assert.equal(Number(v!.trim()), 1005);
      const sw = await gdal("gdallocationinfo", [
        "-valonly",
        "-geoloc",
        path,
        String(grid.lon[0]),
        String(grid.lat[0]),
      ]);
      assert.match(sw!.trim(), /nan/i);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("encodeGeoTiff() writes rows north-up as little-endian Float32", () => {
  const bytes = encodeGeoTiff({
    lon: axis(0, 1, 2),
    lat: axis(0, 1, 2),
    values: new Float64Array([1, 2, 3, 4]),
    resolution: { lon: 1, lat: 1 },
    registration: "gridline",
  });
  const view = new DataView(bytes.buffer);
  assert.equal(String.fromCharCode(bytes[0], bytes[1]), "II");
  assert.equal(view.getUint16(2, true), 42);
  const pixels = new Float32Array(bytes.buffer.slice(bytes.length - 16));
  assert.deepEqual([...pixels], [3, 4, 1, 2]);
});

Deno.test("encodeGeoTiff() rejects values whose length is not lat x lon", () => {
  assert.throws(
    () =>
      encodeGeoTiff({
        lon: axis(0, 1, 3),
        lat: axis(0, 1, 2),
        values: new Float32Array(5),
        resolution: { lon: 1, lat: 1 },
        registration: "gridline",
      }),
    (e: unknown) =>
      e instanceof GeoTiffError &&
      e.message === "values has 5 elements, expected lat x lon = 2 x 3",
  );
});

Deno.test("parseGeoTiffGrid() reads plain float32 strips like geotiff.js's readRasters, any layout", async () => {
  const { WorkerPool } = await import("../compute/pool.ts");
  await using pool = new WorkerPool({ size: 2 });
  const { parseGeoTiffGrid, readGeoTiffGrid } = await import("./geotiff_read.ts");
  const { fromArrayBuffer } = await import("geotiff");
  const { moduleTempDir } = await import("../_testing/temp_dir.ts");
  const dir = await moduleTempDir({ prefix: "gam-geotiff-read-" });
  const grid = sample("gridline");
  grid.values[5] = -9999; // becomes nodata in the GDAL copies below
  const src = `${dir}/gam.tif`;
  await writeGeoTiff(src, grid);
  // GDAL's own layouts: 2 rows a strip (a short last strip), a nodata value, and deflate with
  // each predictor, in strips and in 16 x 16 tiles (padded past the edges); geotiff.js's
  // readRasters (its general path) is the reference of the fast ones.
  const files = [src];
  const layouts = [
    ["strips", "BLOCKYSIZE=2"],
    ["deflate", "COMPRESS=DEFLATE"],
    ["deflate2", "COMPRESS=DEFLATE", "PREDICTOR=2"],
    ["deflate3", "COMPRESS=DEFLATE", "PREDICTOR=3"],
    ["tiled3", "COMPRESS=DEFLATE", "PREDICTOR=3", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"],
    // Read by geotiff.js itself (the layouts the fast paths leave to it).
    ["lzw", "COMPRESS=LZW"],
  ];
  for (const [name, ...co] of layouts) {
    const out = `${dir}/${name}.tif`;
    const options = co.flatMap((c) => ["-co", c]);
    const ok = await gdal("gdal_translate", ["-q", "-a_nodata", "-9999", ...options, src, out]);
    assert.notEqual(ok, null, "gdal_translate is not installed (Debian package gdal-bin)");
    files.push(out);
  }
  const width = grid.lon.length, height = grid.lat.length;
  for (const file of files) {
    const bytes = await Deno.readFile(file);
    const g = await parseGeoTiffGrid(bytes, file);
    const image = await (await fromArrayBuffer(bytes.buffer.slice(0) as ArrayBuffer)).getImage();
    const nodata = image.getGDALNoData();
    const raster =
      (await image.readRasters({ samples: [0], interleave: true })) as unknown as Float32Array;
    const expected = new Float64Array(width * height);
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const v = raster[(height - 1 - r) * width + c];
        expected[r * width + c] = nodata !== null && v === nodata ? NaN : v;
      }
    }
    assert.deepEqual(g.values, expected, file);
    // From the file by ranges: the same grid, every field.
    assert.deepEqual(await readGeoTiffGrid(file), g, file);
    // Compressed blocks inflated on workers: the same grid.
    assert.deepEqual(await readGeoTiffGrid(file, { pool }), g, file);
    // Onto shared memory (what gam filter asks for before an FFT): the same values there.
    const shared = await readGeoTiffGrid(file, { pool, shared: true });
    assert.ok(shared.values.buffer instanceof SharedArrayBuffer, `${file}: shared`);
    assert.deepEqual({ ...shared, values: Float64Array.from(shared.values) }, g, file);
    assert.ok(Number.isNaN(g.values[0]), `${file}: NaN cell`);
    if (file !== src) {
      assert.ok(Number.isNaN(g.values[5]), `${file}: the nodata value reads as NaN`);
    }
  }
});

Deno.test("readGeoTiffGrid() reads a band larger than its 4 MiB buffer in runs of strips, and refuses a truncated file", async () => {
  const { parseGeoTiffGrid, readGeoTiffGrid, GeoTiffReadError } = await import("./geotiff_read.ts");
  const { moduleTempDir } = await import("../_testing/temp_dir.ts");
  const dir = await moduleTempDir({ prefix: "gam-geotiff-runs-" });
  // 1500 x 1100 float32 = 6.6 MB: two runs of strips at least, in gam's layout and in GDAL's
  // with 7 rows a strip (runs that end inside a strip boundary's neighbourhood).
  const lon = axis(10, 0.001, 1500), lat = axis(-1, 0.001, 1100);
  const values = Float32Array.from({ length: 1500 * 1100 }, (_, i) => Math.sin(i * 1e-3) * 100);
  values[777] = NaN;
  const src = `${dir}/big.tif`;
  const resolution = { lon: 0.001, lat: 0.001 };
  await writeGeoTiff(src, { lon, lat, values, resolution, registration: "gridline" });
  // And compressed (geotiff.js's own path, many strips fetched at once).
  const odd = `${dir}/odd.tif`, deflate = `${dir}/deflate.tif`;
  for (const [out, co] of [[odd, "BLOCKYSIZE=7"], [deflate, "COMPRESS=DEFLATE"]]) {
    const ok = await gdal("gdal_translate", ["-q", "-co", co, "-co", "PREDICTOR=1", src, out]);
    assert.notEqual(ok, null, "gdal_translate is not installed (Debian package gdal-bin)");
  }
  for (const file of [src, odd, deflate]) {
    const g = await readGeoTiffGrid(file);
    assert.deepEqual(g, await parseGeoTiffGrid(await Deno.readFile(file), file), file);
    // Kept float32: the same numbers in half the memory.
    const kept = await readGeoTiffGrid(file, { float32: true });
    assert.ok(kept.values instanceof Float32Array, file);
    assert.deepEqual(kept.values, Float32Array.from(g.values), file);
    // South first: row 0 of the grid is the first row written.
    assert.equal(g.values[1], values[1]);
    assert.ok(Number.isNaN(g.values[777]));
  }
  // A deflate strip whose bytes are damaged: an error naming the file and the strip.
  const packed = `${dir}/packed.tif`;
  await gdal("gdal_translate", ["-q", "-co", "COMPRESS=DEFLATE", src, packed]);
  const damaged = await Deno.readFile(packed);
  const { fromArrayBuffer } = await import("geotiff");
  const image = await (await fromArrayBuffer(damaged.buffer.slice(0) as ArrayBuffer)).getImage();
  const strip = Number(
    (await (image.fileDirectory as unknown as {
      loadValue(tag: string): Promise<ArrayLike<number>>;
    }).loadValue("StripOffsets"))[3],
  );
  damaged.fill(0x55, strip + 2, strip + 40);
  await Deno.writeFile(packed, damaged);
  {
    // On this thread and on workers alike.
    const { WorkerPool } = await import("../compute/pool.ts");
    await using pool = new WorkerPool({ size: 2 });
    for (const read of [() => readGeoTiffGrid(packed), () => readGeoTiffGrid(packed, { pool })]) {
      await assert.rejects(
        read,
        (e: unknown) =>
          e instanceof GeoTiffReadError &&
          /packed\.tif: band 1 is unreadable: strip 3 is damaged/.test(e.message),
      );
    }
  }
  // Cut in the middle of the band: an error naming the file, as for the bytes.
  const bytes = await Deno.readFile(src);
  const cut = `${dir}/cut.tif`;
  await Deno.writeFile(cut, bytes.subarray(0, bytes.length >> 1));
  for (
    const read of [
      () => readGeoTiffGrid(cut),
      async () => parseGeoTiffGrid(await Deno.readFile(cut), cut),
    ]
  ) {
    await assert.rejects(
      read,
      (e: unknown) =>
        e instanceof GeoTiffReadError && /cut\.tif: band 1 is unreadable/.test(e.message),
    );
  }
  await assert.rejects(
    () => readGeoTiffGrid(`${dir}/missing.tif`),
    (e: unknown) => e instanceof GeoTiffReadError && e.message.includes("missing.tif"),
  );
});

/** Sets the SHORT or LONG value of `tag` in the first IFD of a little-endian TIFF. */
function patchTag(bytes: Uint8Array, tag: number, value: number): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ifd = dv.getUint32(4, true);
  for (let k = 0, n = dv.getUint16(ifd, true); k < n; k++) {
    const at = ifd + 2 + 12 * k;
    if (dv.getUint16(at, true) !== tag) continue;
    if (dv.getUint16(at + 2, true) === 3) dv.setUint16(at + 8, value, true);
    else dv.setUint32(at + 8, value, true);
    return;
  }
  throw new Error(`tag ${tag} not found`);
}

Deno.test("readGeoTiffGrid() refuses deflate tiles declared larger than 1 GiB before allocating them", async () => {
  const { readGeoTiffGrid, GeoTiffReadError } = await import("./geotiff_read.ts");
  const { moduleTempDir } = await import("../_testing/temp_dir.ts");
  const dir = await moduleTempDir({ prefix: "gam-geotiff-tiles-" });
  const src = `${dir}/gam.tif`, tiled = `${dir}/tiled.tif`;
  await writeGeoTiff(src, sample("gridline"));
  const ok = await gdal("gdal_translate", [
    "-q",
    ...["-co", "COMPRESS=DEFLATE", "-co", "TILED=YES", "-co", "BLOCKXSIZE=16"],
    ...["-co", "BLOCKYSIZE=16", src, tiled],
  ]);
  assert.notEqual(ok, null, "gdal_translate is not installed (Debian package gdal-bin)");
  const bytes = await Deno.readFile(tiled);
  // TileWidth and TileLength: 65535 x 65535 float32 samples, 16 GiB a tile.
  patchTag(bytes, 322, 65535);
  patchTag(bytes, 323, 65535);
  await Deno.writeFile(tiled, bytes);
  await assert.rejects(
    () => readGeoTiffGrid(tiled),
    (e: unknown) =>
      e instanceof GeoTiffReadError &&
      /tiled\.tif: band 1 is unreadable: its tiles of 65535 x 65535 float32 samples exceed 1073741824 bytes each/
        .test(e.message),
  );
});
