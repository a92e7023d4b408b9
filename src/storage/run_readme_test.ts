import assert from "node:assert/strict";
import { renderRunReadme } from "./run_readme.ts";

const manifest = {
  runId: "run-7",
  status: "succeeded",
  startedAt: "2026-12-04T10:00:00.000Z",
  finishedAt: "2026-12-04T10:01:00.000Z",
  bbox: [150, 16, 164, 28],
  configHash: "abc123",
  modalities: [{
    modality: "gravity",
    outcome: "ok",
    grids: [{
      branch: "main",
      tif: "out/runs/run-7/grids/gravity-main.tif",
      checksum: "sha256:11",
    }],
  }],
  plugins: {
    gravity: {
      id: "file",
      version: "1.0.0",
      licence: "GFZ",
      citation: "Foerste et al. (2014), EIGEN-6C4",
      doi: "10.5880/icgem.2015.1",
    },
  },
};
const key =
  "phase1/preprocessing/2026-12-04/run-7/20261204T100000Z_E150.000N16.000_E164.000N28.000_gravity_main.tif";

Deno.test("the run README says what ran, cites the DOI and shows how to open the grid", () => {
  const md = renderRunReadme({
    manifest,
    bucket: "gam",
    prefixes: { preprocessing: "phase1/preprocessing/2026-12-04/run-7/" },
    objects: {
      "grids/gravity-main.tif": {
        uri: `s3://gam/${key}?versionId=v9`,
        key,
        versionId: "v9",
        sha256: "sha256:22",
        size: 10,
      },
    },
    endpoint: "http://127.0.0.1:7070",
    region: "us-east-1",
  });
  assert.match(md, /^# Run run-7\n/);
  assert.match(md, /`\[150, 16, 164, 28\]`/);
  assert.match(md, /Modalities: gravity \(ok\)/);
  assert.match(
    md,
    /DOI: \[10\.5880\/icgem\.2015\.1\]\(https:\/\/doi\.org\/10\.5880\/icgem\.2015\.1\)/,
  );
  assert.match(md, new RegExp(`gdalinfo /vsis3/gam/${key.replaceAll(".", "\\.")}`));
  assert.match(md, /--version-id v9/);
  assert.match(md, /export AWS_S3_ENDPOINT=127\.0\.0\.1:7070/);
  assert.match(md, /export AWS_HTTPS=NO/, "a plain-http loopback endpoint needs AWS_HTTPS=NO");
  assert.match(md, /\.zarr", mode="r"/);
  assert.match(md, /AWS_SECRET_ACCESS_KEY=\.\.\./, "credentials are placeholders only");
});

Deno.test("the run README for an https endpoint does not switch TLS off", () => {
  const md = renderRunReadme({
    manifest: { ...manifest, plugins: {} },
    bucket: "gam",
    prefixes: { preprocessing: "p/" },
    objects: {},
    endpoint: "https://s3.example.org",
  });
  assert.ok(!md.includes("AWS_HTTPS=NO"));
  assert.ok(!md.includes("## Sources"));
});
