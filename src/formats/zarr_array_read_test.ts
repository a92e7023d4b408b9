import assert from "node:assert/strict";
import { WorkerPool } from "../compute/pool.ts";
import * as zarr from "zarrita";
import FileSystemStore from "@zarrita/storage/fs";
import { readZarrArray, ZarrArrayNotFoundError } from "./zarr_array_read.ts";
import { chunkCodecs, type Compression, registerZarrCodecs } from "./zarr_codecs.ts";
import { moduleTempDir } from "../_testing/temp_dir.ts";

type Dtype = "float32" | "float64" | "int32";

/** Writes one array with zarrita and returns what zarrita's own read path gives back. */
async function writeArray(
  dir: string,
  name: string,
  data: Float32Array | Float64Array | Int32Array,
  shape: number[],
  chunkShape: number[],
  compression: Compression = "none",
): Promise<zarr.Chunk<zarr.DataType>> {
  registerZarrCodecs();
  const root = zarr.root(new FileSystemStore(dir));
  await zarr.create(root, { attributes: {} });
  const dtype: Dtype = data instanceof Float32Array
    ? "float32"
    : data instanceof Float64Array
    ? "float64"
    : "int32";
  const arr = await zarr.create(root.resolve(name), {
    shape,
    chunkShape,
    dtype,
    fillValue: dtype === "int32" ? -1 : NaN,
    codecs: chunkCodecs(compression),
  });
  const stride = shape.length === 2 ? [shape[1], 1] : [1];
  await zarr.set(
    arr as unknown as zarr.Array<"float64", FileSystemStore>,
    null,
    { data, shape, stride } as unknown as zarr.Chunk<"float64">,
  );
  const back = await zarr.open(root.resolve(name), { kind: "array" });
  return await zarr.get(back);
}

function ramp<T extends Float32Array | Float64Array | Int32Array>(
  Ctor: { new (n: number): T },
  n: number,
): T {
  const a = new Ctor(n);
  for (let i = 0; i < n; i++) a[i] = (i * 7919) % 1000 - 500 + (a instanceof Int32Array ? 0 : 0.25);
  return a;
}

Deno.test("readZarrArray() equals zarrita's read for single, edge and multi-chunk layouts", async () => {
  const dir = await moduleTempDir();
  const cases: [string, Float32Array | Float64Array | Int32Array, number[], number[]][] = [
    ["one_chunk", ramp(Float32Array, 30 * 41), [30, 41], [30, 41]],
    ["padded_chunk", ramp(Float64Array, 30 * 41), [30, 41], [64, 64]],
    ["edges", ramp(Float32Array, 30 * 41), [30, 41], [8, 16]],
    ["vector", ramp(Float64Array, 1000), [1000], [256]],
    ["ints", ramp(Int32Array, 77), [77], [10]],
  ];
  for (const [name, data, shape, chunks] of cases) {
    const reference = await writeArray(`${dir}/${name}`, name, data, shape, chunks);
    const ours = await readZarrArray(`${dir}/${name}`, name);
    assert.ok(ours !== undefined);
    assert.deepEqual(ours.shape, shape, name);
    assert.equal(ours.data.constructor, data.constructor, name);
    assert.deepEqual(
      Array.from(ours.data as ArrayLike<number>),
      Array.from(reference.data as ArrayLike<number>),
      name,
    );
    assert.deepEqual(Array.from(ours.data as ArrayLike<number>), Array.from(data), name);
  }
});

Deno.test("readZarrArray() fills chunks that were never written with the fill value", async () => {
  const dir = await moduleTempDir();
  const data = ramp(Float32Array, 20 * 20);
  await writeArray(dir, "v", data, [20, 20], [10, 10]);
  await Deno.remove(`${dir}/v/c/1/0`); // rows 10-19, columns 0-9
  const { data: back } = (await readZarrArray(dir, "v"))!;
  for (let r = 0; r < 20; r++) {
    for (let c = 0; c < 20; c++) {
      const v = (back as Float32Array)[r * 20 + c];
      if (r >= 10 && c < 10) assert.ok(Number.isNaN(v), `row ${r} col ${c}`);
      else assert.equal(v, data[r * 20 + c]);
    }
  }
});

Deno.test("readZarrArray() reads gzip arrays itself and zstd through zarrita, as zarrita reads them", async () => {
  const dir = await moduleTempDir();
  await using pool = new WorkerPool({ size: 2 });
  registerZarrCodecs();
  for (const compression of ["gzip", "zstd"] as const) {
    const data = ramp(Float64Array, 50 * 60);
    await writeArray(`${dir}/${compression}`, "v", data, [50, 60], [16, 16], compression);
    const back = (await readZarrArray(`${dir}/${compression}`, "v"))!;
    assert.deepEqual(back.shape, [50, 60]);
    assert.deepEqual(Array.from(back.data as Float64Array), Array.from(data), compression);
    // zarrita's own decoding of the same chunks (the reference of the built-in gzip path).
    const arr = await zarr.open(
      zarr.root(new FileSystemStore(`${dir}/${compression}`)).resolve("v"),
      { kind: "array" },
    );
    const ref = await zarr.get(arr);
    assert.deepEqual(Array.from(back.data as Float64Array), Array.from(ref.data as Float64Array));
    // Gunzipped on workers: the same values.
    const onPool = (await readZarrArray(`${dir}/${compression}`, "v", { pool }))!;
    assert.deepEqual(onPool, back, compression);
  }
  // A damaged gzip chunk (on this thread and on workers), and one whose CRC-32 no longer
  // matches: an error naming its file.
  for (const [at, what] of [[12, "damaged"], [-6, "checksum"]] as const) {
    const chunk = `${dir}/gzip/v/c/1/1`;
    const bytes = await Deno.readFile(chunk);
    bytes.fill(0x55, at < 0 ? bytes.length + at : at, at < 0 ? bytes.length + at + 1 : 40);
    await Deno.writeFile(chunk, bytes);
    for (const options of [{}, { pool }]) {
      await assert.rejects(
        readZarrArray(`${dir}/gzip`, "v", options),
        (e: unknown) =>
          e instanceof RangeError &&
          new RegExp(`v/c/1/1: chunk does not gunzip to 2048 bytes \\(.*${what}`).test(e.message),
      );
    }
  }
});

Deno.test("readZarrArray() refuses gzip chunks declared larger than 1 GiB before reading them", async () => {
  const dir = await moduleTempDir();
  await writeArray(`${dir}/g`, "v", ramp(Float64Array, 4), [2, 2], [2, 2], "gzip");
  // The same small chunk file, its array now declaring chunks of 40000 x 40000 float64
  // (12.8 GB, which a Uint32Array would wrap to 420 MB).
  const meta = JSON.parse(await Deno.readTextFile(`${dir}/g/v/zarr.json`));
  meta.chunk_grid.configuration.chunk_shape = [40000, 40000];
  await Deno.writeTextFile(`${dir}/g/v/zarr.json`, JSON.stringify(meta));
  await assert.rejects(
    readZarrArray(`${dir}/g`, "v"),
    (e: unknown) =>
      e instanceof RangeError &&
      /v\/c\/0\/0: chunk shape \[40000,40000\] of float64 is 12800000000 bytes, more than the 1073741824/
        .test(e.message),
  );
});

Deno.test("readZarrArray() names a missing array, or returns undefined when optional", async () => {
  const dir = await moduleTempDir();
  await assert.rejects(readZarrArray(dir, "lat"), (e: unknown) => {
    assert.ok(e instanceof ZarrArrayNotFoundError);
    assert.equal(e.message, `${dir}: no array "lat"`);
    return true;
  });
  assert.equal(await readZarrArray(dir, "lat", { optional: true }), undefined);
});

Deno.test("readZarrArray() rejects a truncated chunk, naming the file and the sizes", async () => {
  const dir = await moduleTempDir();
  await writeArray(dir, "v", ramp(Float32Array, 100), [10, 10], [10, 10]);
  const chunk = `${dir}/v/c/0/0`;
  await Deno.writeFile(chunk, (await Deno.readFile(chunk)).subarray(0, 396));
  await assert.rejects(
    readZarrArray(dir, "v"),
    (e: unknown) => {
      assert.ok(e instanceof RangeError);
      assert.match(
        e.message,
        /v\/c\/0\/0: chunk has 396 bytes, expected 400 \(chunk shape \[10,10\] of float32\)/,
      );
      return true;
    },
  );
});

Deno.test("readZarrArray({ float64 }) widens float32 chunk by chunk, plain and compressed, gaps filled", async () => {
  const dir = await moduleTempDir();
  const cases: [string, number[], number[], Compression][] = [
    ["one_chunk", [30, 41], [30, 41], "none"],
    ["padded_chunk", [30, 41], [64, 64], "none"],
    ["edges", [30, 41], [8, 16], "none"],
    ["vector", [1000], [256], "none"],
    ["gzip_edges", [30, 41], [8, 16], "gzip"],
    ["zstd_vector", [1000], [300], "zstd"],
  ];
  for (const [name, shape, chunks, compression] of cases) {
    const data = ramp(Float32Array, shape.reduce((p, n) => p * n, 1));
    await writeArray(`${dir}/${name}`, name, data, shape, chunks, compression);
    const gap = shape.length === 2 && chunks[1] < shape[1]; // remove chunk (0, 1)
    if (gap) await Deno.remove(`${dir}/${name}/${name}/c/0/1`);
    const plain = (await readZarrArray(`${dir}/${name}`, name))!;
    const wide = (await readZarrArray(`${dir}/${name}`, name, { float64: true }))!;
    assert.ok(wide.data instanceof Float64Array, name);
    assert.deepEqual(wide.shape, shape, name);
    // The same values as the float32 read, NaN in the removed chunk included.
    assert.deepEqual(Array.from(wide.data), Array.from(plain.data as Float32Array), name);
    if (gap) assert.ok(Number.isNaN(wide.data[chunks[1]]), `${name}: the gap`);
    // On shared memory (`shared`): the same values.
    const shared = (await readZarrArray(`${dir}/${name}`, name, { float64: true, shared: true }))!;
    assert.ok((shared.data as Float64Array).buffer instanceof SharedArrayBuffer, `${name}: shared`);
    assert.deepEqual(Array.from(shared.data), Array.from(wide.data), `${name}: shared`);
  }
  // Float64 arrays on shared memory too, through zarrita (zstd) and the built-in path.
  for (const compression of ["zstd", "none"] as const) {
    const name = `f64_${compression}`;
    const data = ramp(Float64Array, 300);
    await writeArray(`${dir}/${name}`, name, data, [300], [128], compression);
    const shared = (await readZarrArray(`${dir}/${name}`, name, { shared: true }))!;
    assert.ok((shared.data as Float64Array).buffer instanceof SharedArrayBuffer, name);
    assert.deepEqual(Array.from(shared.data), Array.from(data), name);
  }
  // Other dtypes come back as they are.
  await writeArray(`${dir}/ints`, "ints", ramp(Int32Array, 77), [77], [10]);
  const ints = (await readZarrArray(`${dir}/ints`, "ints", { float64: true }))!;
  assert.ok(ints.data instanceof Int32Array);
});
