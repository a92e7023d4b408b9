import * as zarr from "zarrita";
import FileSystemStore from "@zarrita/storage/fs";
import { assert, assertEquals } from "./testdata/assert.ts";
import { GridCache } from "./grid_cache.ts";
import { IngestionCache } from "./ingestion_cache.ts";
import { gridChecksum, rawDataChecksum } from "../contracts/checksum.ts";
import { MetricsRegistry } from "../observability/metrics/mod.ts";
import { syntheticGrid, syntheticPoints } from "./testdata/fixtures.ts";
import { chunkCodecs, readPointsGroup, writePointsGroup } from "./zarr_entry.ts";
import { moduleTempDir } from "../_testing/temp_dir.ts";

const BBOX = [16, -35, 33, -22] as const;
const ORIGIN = { licence: "CC0-1.0", citation: "GAM synthetic grid" };

Deno.test("the canonical checksum of a cached grid does not depend on chunking or codec", async () => {
  const grid = syntheticGrid(300, 410);
  const sums = new Set<string>();
  const sizes = new Set<number>();
  for (const compression of ["none", "gzip", "zstd"] as const) {
    for (const chunkSize of [64, 256, 1000]) {
      const dir = await moduleTempDir({ prefix: "gam-zarr-" });
      const cache = new GridCache({
        store: dir,
        policy: { compression, chunkSize },
        metrics: new MetricsRegistry(),
      });
      const rec = await cache.put("gravity", BBOX, "1.0.0", grid, ORIGIN);
      const back = await cache.get("gravity", BBOX, "1.0.0");
      sums.add(rec.checksum);
      sums.add(gridChecksum(back!.data));
      sizes.add(rec.sizeBytes);
    }
  }
  assertEquals([...sums], [gridChecksum(grid)]);
  assert(sizes.size > 1, "different codecs and chunks must give different stored bytes");
});

Deno.test("the checksum of cached points does not depend on chunking or codec", async () => {
  const raw = syntheticPoints(20_000);
  for (const compression of ["none", "gzip", "zstd"] as const) {
    for (const chunkSize of [10, 256]) {
      const dir = await moduleTempDir({ prefix: "gam-zarr-" });
      const cache = new IngestionCache({
        store: dir,
        policy: { compression, chunkSize },
        metrics: new MetricsRegistry(),
      });
      const rec = await cache.put("gravity", "k1", raw);
      assertEquals(rec.checksum, rawDataChecksum(raw));
      assertEquals(rawDataChecksum((await cache.get("gravity", "k1"))!.data), rec.checksum);
    }
  }
});

Deno.test("zarrita alone reads a cached grid: dimension names, NaN fill, values", async () => {
  const dir = await moduleTempDir({ prefix: "gam-zarr-" });
  const grid = syntheticGrid(120, 90);
  const cache = new GridCache({
    store: dir,
    policy: { compression: "zstd", chunkSize: 50 },
    metrics: new MetricsRegistry(),
  });
  await cache.put("gravity", BBOX, "2.1.0", grid, ORIGIN);
  const entry = `${dir}/${cache.path("gravity", BBOX, "2.1.0")}`;
  // zarrita's own read path only: no GAM reader involved.
  const root = zarr.root(new FileSystemStore(entry));
  const group = await zarr.open(root, { kind: "group" });
  const values = await zarr.open(root.resolve("values"), { kind: "array" });
  assertEquals(values.shape, [120, 90]);
  assertEquals(values.chunks, [50, 50]);
  assertEquals(values.dtype, "float32");
  const meta = JSON.parse(await Deno.readTextFile(`${entry}/values/zarr.json`));
  assertEquals(meta.dimension_names, ["lat", "lon"]);
  assertEquals(meta.fill_value, "NaN");
  assertEquals(meta.codecs.map((c: { name: string }) => c.name), ["bytes", "zstd"]);
  const got = await zarr.get(values);
  assertEquals(got.data, grid.values);
  const lat = await zarr.get(await zarr.open(root.resolve("lat"), { kind: "array" }));
  assertEquals(lat.data, grid.lat);
  const gam = (group.attrs as { gam: { checksum: string; layer: string } }).gam;
  assertEquals(gam.checksum, gridChecksum(grid));
  assertEquals(gam.layer, "preprocessing");
});

Deno.test("points round-trip with optional arrays absent", async () => {
  const dir = await moduleTempDir({ prefix: "gam-zarr-" });
  const points = {
    lon: new Float64Array([1, 2, 3]),
    lat: new Float64Array([4, 5, 6]),
    value: new Float32Array([7, NaN, 9]),
  };
  await writePointsGroup(dir, points, { a: 1 }, { compression: "gzip" });
  const back = await readPointsGroup(dir);
  assertEquals(back.points, points);
  assertEquals(back.attributes, { a: 1 });
  const meta = JSON.parse(await Deno.readTextFile(`${dir}/value/zarr.json`));
  assertEquals(meta.codecs, chunkCodecs("gzip"));
  assertEquals(meta.dimension_names, ["point"]);
});

// zarr-python 3 as the second, independent reader: runs when GAM_ZARR_PYTHON names a Python
// with `zarr` installed (e.g. a venv made with `pip install zarr`); the suite never needs PyPI.
const python = Deno.env.get("GAM_ZARR_PYTHON");
Deno.test({
  name: "zarr-python 3 opens cached grids and points written with every codec",
  ignore: python === undefined,
  async fn() {
    const dir = await moduleTempDir({ prefix: "gam-zarr-" });
    const grid = syntheticGrid(64, 80);
    const raw = syntheticPoints(1000);
    const paths: string[] = [];
    for (const compression of ["none", "gzip", "zstd"] as const) {
      const opts = { store: `${dir}/${compression}`, policy: { compression, chunkSize: 32 } };
      const g = new GridCache({ ...opts, metrics: new MetricsRegistry() });
      await g.put("gravity", BBOX, "1.0.0", grid, ORIGIN);
      paths.push(`${dir}/${compression}/${g.path("gravity", BBOX, "1.0.0")}`);
      const i = new IngestionCache({ ...opts, metrics: new MetricsRegistry() });
      await i.put("gravity", "k", raw);
      paths.push(`${dir}/${compression}/ingestion/gravity/k`);
    }
    const script = `
import sys, json, math, zarr
out = []
for p in sys.argv[1:]:
    g = zarr.open_group(p, mode="r")
    if "values" in g:
        v = g["values"][:]
        out.append(["grid", list(v.shape), float(abs(v[v == v]).sum()), int((v != v).sum()),
                    list(g["values"].metadata.dimension_names), g.attrs["gam"]["checksum"]])
    else:
        v = g["value"][:]
        out.append(["points", list(v.shape), float(abs(v[v == v]).sum()), int((v != v).sum()),
                    int(g["line"][:].max()), g.attrs["gam"]["checksum"]])
print(json.dumps(out))
`;
    const res = await new Deno.Command(python!, { args: ["-c", script, ...paths] }).output();
    assertEquals(res.code, 0, new TextDecoder().decode(res.stderr));
    const rows = JSON.parse(new TextDecoder().decode(res.stdout));
    const finiteSum = (a: ArrayLike<number>) => {
      let s = 0;
      for (let i = 0; i < a.length; i++) if (a[i] === a[i]) s += Math.abs(a[i]);
      return s;
    };
    const nanCount = (a: ArrayLike<number>) => Array.from(a).filter((x) => x !== x).length;
    const p = raw.kind === "points" ? raw.points : undefined!;
    for (const row of rows) {
      if (row[0] === "grid") {
        assertEquals(row[1], [64, 80]);
        assert(Math.abs(row[2] - finiteSum(grid.values)) < 1e-3 * finiteSum(grid.values));
        assertEquals(row[3], nanCount(grid.values));
        assertEquals(row[4], ["lat", "lon"]);
        assertEquals(row[5], gridChecksum(grid));
      } else {
        assertEquals(row[1], [1000]);
        assert(Math.abs(row[2] - finiteSum(p.value)) < 1e-9 * finiteSum(p.value));
        assertEquals(row[3], nanCount(p.value));
        assertEquals(row[4], 9);
        assertEquals(row[5], rawDataChecksum(raw));
      }
    }
    assertEquals(rows.length, 6);
  },
});
