/**
 * DOIs in source metadata: the file plugin takes the dataset registry's DOI for a registered
 * file (the README's EIGEN-6C4 citation), none for the others, and a `doi` param wins; the
 * icgem plugin records the model's DOI (EIGEN-6C4) or the service paper's.
 */
import assert from "node:assert/strict";
import { createPlugin as filePlugin } from "./file/mod.ts";
import { createPlugin as icgemPlugin, manifest as icgemManifest } from "./icgem/mod.ts";
import { DATASETS } from "../datasets/mod.ts";
import { testData } from "../datasets/_testing.ts";

const DATA = await testData(["icgem-sample.gdf", "rio-magnetic.csv.gz"]);

const req = (bbox: number[], params: Record<string, unknown>, modality = "gravity") => ({
  modality,
  bbox: bbox as [number, number, number, number],
  params,
  traceId: "t",
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  grantedHosts: [],
  correlationId: "t",
  signal: new AbortController().signal,
});

Deno.test("the file plugin fills the DOI of a registered dataset, and only then", async () => {
  DATA.require();
  const gdf = await filePlugin().fetch(
    req([150, 16, 164, 28], { path: DATA.path["icgem-sample.gdf"], licence: "l", citation: "c" }),
  );
  assert.equal(gdf.metadata.doi, DATASETS["icgem-sample.gdf"].doi);
  assert.equal(gdf.metadata.doi, "10.5880/icgem.2015.1");
  const rio = await filePlugin().fetch(req([-43, -23, -42, -22], {
    path: DATA.path["rio-magnetic.csv.gz"],
    columns: { lon: "longitude", lat: "latitude", value: "total_field_anomaly_nt" },
    units: "nT",
    licence: "l",
    citation: "c",
  }, "magnetic"));
  assert.equal(rio.metadata.doi, undefined, "the Rio survey's README cites no DOI");
  const given = await filePlugin().fetch(req([150, 16, 164, 28], {
    path: DATA.path["icgem-sample.gdf"],
    licence: "l",
    citation: "c",
    doi: "10.1234/own.doi",
  }));
  assert.equal(given.metadata.doi, "10.1234/own.doi");
});

Deno.test("the icgem plugin records the model's DOI, else the service paper's", async () => {
  DATA.require();
  const body = await Deno.readTextFile(DATA.path["icgem-sample.gdf"]);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (r) => {
    const model = new URL(r.url).searchParams.get("model") ?? "";
    return new Response(body.replace("EIGEN-6C4", model));
  });
  const base = `http://127.0.0.1:${server.addr.port}/calcgrid`;
  try {
    const plugin = icgemPlugin({
      params: {},
      allowInsecureHttp: [`127.0.0.1:${server.addr.port}`],
    });
    const eigen = await plugin.fetch(req([150, 16, 164, 28], { baseUrl: base }));
    assert.equal(eigen.metadata.doi, "10.5880/icgem.2015.1");
    const other = await plugin.fetch(req([150, 16, 164, 28], { baseUrl: base, model: "XGM2019e" }));
    assert.equal(other.metadata.doi, icgemManifest.doi);
    assert.equal(other.metadata.doi, "10.5194/essd-11-647-2019");
  } finally {
    await server.shutdown();
  }
});
