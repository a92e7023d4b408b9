import assert from "node:assert/strict";
import { bboxTag, formatS3Uri, isoBasic, objectName, parseS3Uri, runPrefix } from "./mod.ts";
import { endpointProblem, isLoopbackHost } from "../config/mod.ts";

Deno.test("runPrefix() follows <prefix>/<phase>/<kind>/<date>/<run-id>/", () => {
  const started = new Date("2026-12-04T23:59:59.999Z");
  assert.equal(
    runPrefix({ phase: "p1" }, "ingestion", started, "r-1"),
    "p1/ingestion/2026-12-04/r-1/",
  );
  assert.equal(
    runPrefix({ prefix: "team/gam", phase: "p1" }, "models", started, "r.2"),
    "team/gam/p1/models/2026-12-04/r.2/",
  );
  for (const bad of ["", "../x", "a/b", ".hidden"]) {
    assert.throws(() => runPrefix({ phase: "p1" }, "models", started, bad), TypeError);
  }
});

Deno.test("objectName() carries the ISO 8601 time, the bbox tag and the modality", () => {
  const time = new Date("2026-01-02T03:04:05.678Z");
  assert.equal(isoBasic(time), "20260102T030405Z");
  assert.equal(bboxTag([-179.5, -89.25, 179.5, 89.25]), "W179.500S89.250_E179.500N89.250");
  assert.equal(
    objectName({ time, bbox: [10, 45, 10.5, 45.5], modality: "magnetic", name: "grid.tif" }),
    "20260102T030405Z_E010.000N45.000_E010.500N45.500_magnetic_grid.tif",
  );
  assert.throws(() => bboxTag([10, 45, 9, 46]), RangeError);
});

Deno.test("s3:// URIs round-trip with version ids and encoded keys", () => {
  for (
    const uri of [
      { bucket: "b", key: "phase1/models/a b+c.tif", versionId: "01M91/x=" },
      { bucket: "b", key: "k" },
    ]
  ) {
    assert.deepEqual(parseS3Uri(formatS3Uri(uri)), uri);
  }
  assert.throws(() => parseS3Uri("s3://bucket-only"), TypeError);
  assert.throws(() => parseS3Uri("/local/path"), TypeError);
});

Deno.test("endpointProblem() requires TLS except on loopback or when allowed", () => {
  assert.equal(isLoopbackHost("[::1]"), true);
  assert.equal(isLoopbackHost("127.3.2.1"), true);
  assert.equal(isLoopbackHost("10.0.0.1"), false);
  assert.equal(endpointProblem("http://localhost:7070", false), undefined);
  assert.equal(endpointProblem("https://s3.example.org", false), undefined);
  assert.match(endpointProblem("http://10.0.0.1:7070", false) ?? "", /TLS is required/);
  assert.equal(endpointProblem("http://10.0.0.1:7070", true), undefined);
  assert.match(endpointProblem("ftp://x", false) ?? "", /http\(s\) URL/);
  assert.match(endpointProblem("https://u:p@x", false) ?? "", /without credentials/);
});
