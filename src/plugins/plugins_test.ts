/**
 * Built-in plugins on real data: the file plugin on every registered data file (src/datasets;
 * licence and citation from its README), GeoTIFF round trip, the http plugin's pinned download, and the
 * synthetic survey against its truth.
 */
import assert from "node:assert/strict";
import { validateRawData } from "../contracts/schemas.ts";
import { encodeGeoTiff } from "../formats/mod.ts";
import { createPlugin as fileplugin } from "./file/mod.ts";
import { createPlugin as httpPlugin, downloadAction } from "./http/mod.ts";
import { gravityAt, magneticAt, syntheticModel, syntheticSurvey } from "./synthetic/mod.ts";
import { DATASETS } from "../datasets/mod.ts";
import { testData } from "../datasets/_testing.ts";

const FILE_DATA = await testData(Object.keys(DATASETS));
const path = (file: string): string => {
  FILE_DATA.require();
  return FILE_DATA.path[file];
};
const req = (bbox: readonly number[], params: Record<string, unknown>, modality = "gravity") => ({
  modality,
  bbox: bbox as [number, number, number, number],
  params,
  traceId: "t",
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  grantedHosts: [],
  correlationId: "t",
  signal: new AbortController().signal,
});

const FILES: Record<
  string,
  { bbox: number[]; modality: string; params: Record<string, unknown>; n: number }
> = {
  "south-africa-gravity.ast.gz": {
    bbox: [11, -35, 33, -17],
    modality: "gravity",
    n: 14559,
    params: {
      columns: { lat: 1, lon: 2, height: 3, value: 4 },
      units: "mGal",
      licence: "Public domain",
      citation:
        "NOAA National Centers for Environmental Information (NCEI), regional gravity data for Africa",
    },
  },
  "rio-magnetic.csv.gz": {
    bbox: [-43, -23, -42, -22],
    modality: "magnetic",
    n: 37718,
    params: {
      columns: {
        lon: "longitude",
        lat: "latitude",
        value: "total_field_anomaly_nt",
        height: "height_ell_m",
        line: "line_number",
      },
      units: "nT",
      licence: "Geological Survey of Brazil (CPRM), GEOSGB portal",
      citation: "CPRM aeromagnetic survey 1978, Verde sample data (Fatiando a Terra)",
    },
  },
  "icgem-sample.gdf": {
    bbox: [150, 16, 164, 28],
    modality: "gravity",
    n: 56,
    params: { licence: "GFZ Potsdam ICGEM service format", citation: "Harmonica test sample" },
  },
  "gravity-earth-0.5deg.nc": {
    bbox: [-180, -90, 180, 90],
    modality: "gravity",
    n: 721 * 361,
    params: {
      licence: "GFZ Potsdam ICGEM",
      citation: "EIGEN-6C4 (Foerste et al. 2014)",
      units: "mGal",
    },
  },
};

Deno.test("the file plugin reads every registered data file into valid RawData", async () => {
  assert.deepEqual(
    Object.keys(DATASETS).sort(),
    Object.keys(FILES).sort(),
    "a test case for every data file",
  );
  for (const [name, c] of Object.entries(FILES)) {
    const data = await fileplugin().fetch(
      req(c.bbox, { path: path(name), ...c.params }, c.modality),
    );
    validateRawData(data);
    const count = data.kind === "points" ? data.points.lon.length : data.grid.values.length;
    assert.equal(count, c.n, name);
    assert.equal(data.metadata.licence, c.params.licence);
  }
});

Deno.test("the file plugin crops to the bbox and flips nothing it should not", async () => {
  const d = await fileplugin().fetch(req([10, 45, 11, 46], {
    path: path("gravity-earth-0.5deg.nc"),
    ...FILES["gravity-earth-0.5deg.nc"].params,
  }));
  assert.equal(d.kind, "grid");
  if (d.kind !== "grid") return;
  assert.deepEqual([...d.grid.lon], [10, 10.5, 11]);
  assert.deepEqual([...d.grid.lat], [45, 45.5, 46]);
  // Gravity magnitude at 10 km height over northern Italy: 9.77e5 to 9.78e5 mGal.
  for (const v of d.grid.values) assert.ok(v > 977_000 && v < 978_000, `${v}`);
  const sa = await fileplugin().fetch(req([20, -30, 21, -29], {
    path: path("south-africa-gravity.ast.gz"),
    ...FILES["south-africa-gravity.ast.gz"].params,
  }));
  assert.ok(sa.kind === "points" && sa.points.lon.every((x) => x >= 20 && x <= 21));
  await assert.rejects(
    fileplugin().fetch(
      req([0, 0, 1, 1], { path: path("icgem-sample.gdf"), ...FILES["icgem-sample.gdf"].params }),
    ),
    /no grid node lies inside the bbox/,
  );
  await assert.rejects(
    fileplugin().fetch(req([0, 0, 1, 1], { path: path("icgem-sample.gdf") })),
    /params.licence is required/,
  );
  await assert.rejects(fileplugin().fetch(req([0, 0, 1, 1], {})), /params.path is required/);
});

Deno.test("the file plugin reads a GeoTIFF written by the project's writer", async () => {
  const dir = await Deno.makeTempDir();
  const lat = Float64Array.from([0, 1, 2]), lon = Float64Array.from([10, 11, 12, 13]);
  const values = Float32Array.from({ length: 12 }, (_, i) => (i === 5 ? NaN : i));
  const bytes = encodeGeoTiff(
    { lat, lon, values, resolution: { lat: 1, lon: 1 }, registration: "gridline" } as never,
  );
  await Deno.writeFile(`${dir}/g.tif`, bytes);
  const d = await fileplugin().fetch(
    req([10, 0, 13, 2], {
      path: `${dir}/g.tif`,
      units: "mGal",
      licence: "CC0-1.0",
      citation: "test",
    }),
  );
  await Deno.remove(dir, { recursive: true });
  assert.ok(d.kind === "grid");
  if (d.kind !== "grid") return;
  assert.deepEqual([...d.grid.lat], [0, 1, 2]);
  assert.deepEqual([...d.grid.lon], [10, 11, 12, 13]);
  assert.deepEqual([...d.grid.values].map((v) => (Number.isNaN(v) ? "nan" : v)), [
    0,
    1,
    2,
    3,
    4,
    "nan",
    6,
    7,
    8,
    9,
    10,
    11,
  ]);
});

Deno.test("the http plugin downloads with a pinned sha256, resumes, and refuses a wrong hash", async () => {
  const body = await Deno.readFile(path("icgem-sample.gdf"));
  const sha = "06d864f3b60ce4e683c498527ff1c3d86f8ac88902c5f1485b7320f767cd1411";
  let requests = 0;
  let lastRange: string | null = null;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (r) => {
    requests++;
    lastRange = r.headers.get("range");
    const m = /bytes=(\d+)-/.exec(lastRange ?? "");
    if (m) return new Response(body.subarray(Number(m[1])), { status: 206 });
    return new Response(body);
  });
  const host = `127.0.0.1:${server.addr.port}`;
  const dir = await Deno.makeTempDir();
  const params = {
    url: `http://${host}/icgem-sample.gdf`,
    sha256: sha,
    downloadDir: dir,
    licence: "GFZ",
    citation: "ICGEM",
  };
  // A partial file from an interrupted download is resumed with a Range request.
  await Deno.writeFile(`${dir}/${sha.slice(0, 16)}-icgem-sample.gdf.part`, body.subarray(0, 1000));
  const p = httpPlugin({ params: {}, allowInsecureHttp: [host] });
  const d = await p.fetch(req([150, 16, 164, 28], params));
  assert.equal(lastRange, "bytes=1000-");
  assert.ok(d.kind === "grid");
  await p.fetch(req([150, 16, 164, 28], params));
  assert.equal(requests, 1, "a verified file is used without a request");
  await assert.rejects(
    p.fetch(req([150, 16, 164, 28], { ...params, sha256: "0".repeat(64), fileName: "x.gdf" })),
    /sha256 of .* expected 0{64}/,
  );
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
    `${sha.slice(0, 16)}-icgem-sample.gdf`,
  ]);
  await assert.rejects(
    httpPlugin({ params: {}, allowInsecureHttp: [] }).fetch(req([150, 16, 164, 28], params)),
    /must use https/,
  );
  assert.equal(downloadAction(undefined, sha), "download");
  assert.equal(downloadAction("ab", sha), "update");
  await server.shutdown();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the synthetic survey is deterministic and matches its truth within the noise", () => {
  const bbox = [10, 45, 11, 46] as const;
  const a = syntheticSurvey("gravity", bbox, {
    seed: 3,
    stations: 5000,
    noise: 0.05,
    spikeRate: 0.01,
  });
  const b = syntheticSurvey("gravity", bbox, {
    seed: 3,
    stations: 5000,
    noise: 0.05,
    spikeRate: 0.01,
  });
  assert.deepEqual(a.data.points.value, b.data.points.value);
  validateRawData(a.data);
  const model = syntheticModel(bbox, 3);
  const spikes = new Set(a.spikes);
  assert.ok(a.spikes.length > 20 && a.spikes.length < 90, `${a.spikes.length} spikes`);
  let maxDev = 0;
  for (let i = 0; i < 5000; i++) {
    const t = gravityAt(model, a.data.points.lon[i], a.data.points.lat[i], 0);
    assert.equal(a.truth[i], t);
    if (!spikes.has(i)) maxDev = Math.max(maxDev, Math.abs(a.data.points.value[i] - t));
  }
  assert.ok(maxDev < 0.05 * 6, `noise within 6 sigma, got ${maxDev}`);
  const range = Math.max(...a.truth) - Math.min(...a.truth);
  assert.ok(range > 1, `anomalies of more than 1 mGal, got ${range}`);
  const m = syntheticSurvey("magnetic", bbox, {
    seed: 7,
    layout: "lines",
    lineSpacing: 0.05,
    sampleSpacing: 0.005,
  });
  assert.equal(m.data.points.lon.length, 20 * 200);
  assert.equal(new Set(m.data.points.line).size, 20);
  assert.equal(m.data.units, "nT");
  assert.equal(
    m.truth[0],
    magneticAt(syntheticModel(bbox, 7), m.data.points.lon[0], m.data.points.lat[0], 120),
  );
  assert.throws(
    () => syntheticSurvey("gravity", bbox, { stations: -1 }),
    /stations must be an integer/,
  );
  assert.throws(() => syntheticSurvey("gravity", bbox, { colour: 1 }), /unknown param "colour"/);
});

Deno.test("the synthetic plugin builds 50,000 readings", () => {
  const s = syntheticSurvey("magnetic", [10, 45, 11, 46], {
    layout: "lines",
    lineSpacing: 0.01,
    sampleSpacing: 0.002,
  });
  assert.equal(s.data.points.lon.length, 100 * 500);
});
