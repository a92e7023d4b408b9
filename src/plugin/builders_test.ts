import assert from "node:assert/strict";
import { validateRawData } from "../contracts/schemas.ts";
import { gridData, pointsData } from "./builders.ts";

const manifest = { id: "mine", version: "1.2.3", licence: "CC-BY-4.0", citation: "Me (2026)" };

Deno.test("pointsData() builds valid points from plain arrays, with the manifest's terms", () => {
  const data = pointsData({ modality: "gravity", bbox: [10, 45, 11, 46] }, {
    manifest,
    units: "mGal",
    lon: [10.2, 10.7],
    lat: [45.1, 45.9],
    value: [12.5, Number.NaN],
    height: [100, 200],
    line: new Int32Array([1, 1]),
  });
  const v = validateRawData(data);
  assert.equal(v.kind, "points");
  assert.deepEqual(data.source, { plugin: "mine", version: "1.2.3" });
  assert.equal(data.metadata.licence, "CC-BY-4.0");
  assert.equal(data.metadata.citation, "Me (2026)");
  assert.ok(data.points.lon instanceof Float64Array);
  assert.ok(data.points.line instanceof Int32Array);
  assert.ok(Number.isNaN(data.points.value[1]));
});

Deno.test("pointsData() keeps a Float64Array without copying and takes metadata overrides", () => {
  const lon = new Float64Array([10.5]);
  const data = pointsData({ modality: "magnetic", bbox: [10, 45, 11, 46] }, {
    manifest,
    units: "nT",
    lon,
    lat: [45.5],
    value: new Float32Array([3]),
    metadata: { licence: "CC0-1.0", sourceUrl: "https://example.org/x", extra: { survey: "a" } },
  });
  assert.equal(data.points.lon, lon);
  assert.ok(data.points.value instanceof Float32Array);
  assert.equal(data.metadata.licence, "CC0-1.0");
  assert.equal(data.metadata.sourceUrl, "https://example.org/x");
  validateRawData(data);
});

Deno.test("pointsData() rejects arrays of different lengths, naming them", () => {
  assert.throws(
    () =>
      pointsData({ modality: "gravity", bbox: [10, 45, 11, 46] }, {
        manifest,
        units: "mGal",
        lon: [10.2, 10.7],
        lat: [45.1],
        value: [1, 2],
      }),
    (e) => e instanceof RangeError && /lat has 1 entries, expected 2/.test(e.message),
  );
});

Deno.test("gridData() builds a valid grid and rejects values of the wrong size", () => {
  const req = { modality: "magnetic", bbox: [10, 45, 12, 46] as const };
  const data = gridData(req, {
    manifest,
    units: "nT",
    lat: [45, 46],
    lon: [10, 11, 12],
    values: [1, 2, 3, 4, 5, 6],
  });
  validateRawData(data);
  assert.deepEqual([...data.grid.values], [1, 2, 3, 4, 5, 6]);
  assert.throws(
    () => gridData(req, { manifest, units: "nT", lat: [45, 46], lon: [10, 11, 12], values: [1] }),
    (e) =>
      e instanceof RangeError &&
      /values has 1 entries, expected 6 \(2 rows x 3 columns/.test(e.message),
  );
});
