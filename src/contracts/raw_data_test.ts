import assert from "node:assert/strict";
import { ContractError } from "./errors.ts";
import { type RawData, validateRawData } from "./raw_data.ts";
import { rawDataChecksum } from "./checksum.ts";

function points(overrides: Record<string, unknown> = {}, pts: Record<string, unknown> = {}) {
  return {
    source: { plugin: "synthetic", version: "1.0.0" },
    modality: "gravity",
    kind: "points",
    bbox: [10, 45, 11, 46],
    units: "mGal",
    crs: "EPSG:4326",
    metadata: {
      retrievedAt: "2026-11-25T12:00:00Z",
      licence: "CC0-1.0",
      citation: "GAM synthetic survey",
    },
    points: {
      lon: new Float64Array([10.1, 10.5, 10.9]),
      lat: new Float64Array([45.1, 45.5, 45.9]),
      value: new Float64Array([1, NaN, 3]),
      ...pts,
    },
    ...overrides,
  };
}

function grid(g: Record<string, unknown> = {}) {
  const { points: _p, ...rest } = points();
  return {
    ...rest,
    kind: "grid",
    grid: {
      lat: new Float64Array([45, 45.5, 46]),
      lon: new Float64Array([10, 11]),
      values: new Float32Array([1, 2, 3, NaN, 5, 6]),
      ...g,
    },
  };
}

function rejects(data: unknown, pattern: RegExp): void {
  assert.throws(() => validateRawData(data), (e: unknown) => {
    assert.ok(e instanceof ContractError, `expected ContractError, got ${e}`);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("validateRawData() accepts valid points and grids, NaN values included", () => {
  const p = validateRawData(points());
  assert.equal(p.kind, "points");
  const g = validateRawData(grid());
  assert.equal(g.kind, "grid");
});

Deno.test("validateRawData() rejects points of unequal lengths", () => {
  rejects(
    points({}, { lat: new Float64Array([45.1, 45.5]) }),
    /points\.lat: length 2 differs from points\.lon length 3/,
  );
  rejects(points({}, { height: new Float64Array(2) }), /points\.height: length 2/);
  rejects(points({}, { line: new Int32Array(4) }), /points\.line: length 4/);
});

Deno.test("validateRawData() rejects non-finite coordinates", () => {
  rejects(
    points({}, { lon: new Float64Array([10.1, NaN, 10.9]) }),
    /points\[1\]: coordinates must be finite/,
  );
});

Deno.test("validateRawData() rejects points outside the requested bbox, with tolerance", () => {
  const data = points({}, { lon: new Float64Array([10.1, 11.2, 10.9]) });
  rejects(
    data,
    /1 of 3 points lie outside the requested bbox \[10, 45, 11, 46\] \(first at index 1/,
  );
  assert.doesNotThrow(() =>
    validateRawData(points({}, { lon: new Float64Array([10.1, 11.0005, 10.9]) }), {
      tolerance: 0.001,
    })
  );
});

Deno.test("validateRawData() rejects unknown units for the modality", () => {
  rejects(points({ units: "nT" }), /units: "nT" is not a known unit for gravity \(known: .*mGal/);
  rejects(points({ units: "furlongs" }), /"furlongs" is not a known unit/);
});

Deno.test("validateRawData() rejects a wrong kind, crs, typed array or missing metadata", () => {
  rejects(points({ kind: "mesh" }), /kind/);
  rejects(points({ crs: "EPSG:3857" }), /crs: expected crs "EPSG:4326"/);
  rejects(
    points({}, { value: [1, 2, 3] }),
    /points\.value: expected a Float64Array or Float32Array/,
  );
  rejects(
    points({ metadata: { retrievedAt: "yesterday", licence: "x", citation: "y" } }),
    /metadata\.retrievedAt/,
  );
  rejects(
    points({ metadata: { retrievedAt: "2026-11-25T12:00:00Z", citation: "y" } }),
    /metadata\.licence/,
  );
  rejects(points({ extra: 1 }), /Unrecognized key.*extra/);
  rejects(points({ bbox: [11, 45, 10, 46] }), /bbox: Invalid bbox: .*antimeridian/);
});

Deno.test("validateRawData() rejects an empty survey", () => {
  const empty = new Float64Array(0);
  rejects(points({}, { lon: empty, lat: empty, value: empty }), /points: no points/);
});

Deno.test("validateRawData() rejects grids with bad axes, sizes or extent", () => {
  rejects(
    grid({ lat: new Float64Array([45, 45, 46]) }),
    /grid\.lat: must be strictly increasing, but \[0\] = 45 and \[1\] = 45/,
  );
  rejects(grid({ lon: new Float64Array([11, 10]) }), /grid\.lon: must be strictly increasing/);
  rejects(
    grid({ values: new Float32Array(5) }),
    /grid\.values: length 5 differs from lat x lon = 3 x 2/,
  );
  rejects(grid({ lon: new Float64Array([10, 12]) }), /extent \[10, 45, 12, 46\] lies outside/);
});

Deno.test("ContractError names the plugin that produced bad data", () => {
  rejects(
    points({}, { lon: new Float64Array([0, 10.5, 10.9]) }),
    /^RawData from synthetic breaks its contract/,
  );
});

Deno.test("rawDataChecksum() depends on the arrays, not on metadata or NaN payloads", () => {
  const a = validateRawData(points()) as RawData;
  const b = validateRawData(
    points({ metadata: { retrievedAt: "2020-01-01T00:00:00Z", licence: "x", citation: "y" } }),
  );
  assert.equal(rawDataChecksum(a), rawDataChecksum(b));
  assert.match(rawDataChecksum(a), /^sha256:[0-9a-f]{64}$/);
  // A NaN with another payload hashes the same.
  const odd = new Float64Array([1, 0, 3]);
  new DataView(odd.buffer).setBigUint64(8, 0x7ff8000000000123n, true);
  assert.ok(Number.isNaN(odd[1]));
  const c = validateRawData(points({}, { value: odd }));
  assert.equal(rawDataChecksum(c), rawDataChecksum(a));
  const d = validateRawData(points({}, { value: new Float64Array([1, NaN, 3.0000001]) }));
  assert.notEqual(rawDataChecksum(d), rawDataChecksum(a));
  const e = validateRawData(points({ units: "µGal" }));
  assert.notEqual(rawDataChecksum(e), rawDataChecksum(a));
});

Deno.test("validateRawData() accepts a line dictionary and rejects codes outside it", () => {
  const ok = validateRawData(points({}, {
    line: new Int32Array([0, 0, 1]),
    lineNames: ["FL1-1", "T100"],
    lineKinds: ["line", "tie"],
  }));
  assert.ok(ok.kind === "points" && ok.points.lineNames?.[1] === "T100");
  rejects(
    points({}, { line: new Int32Array([0, 2, 1]), lineNames: ["A", "B"] }),
    /points\.line\[1\]: code 2 is not an index of points\.lineNames \(0\.\.1\)/,
  );
  rejects(points({}, { line: new Int32Array([0, 0, 1]), lineNames: ["A", "A"] }), /appears twice/);
  rejects(
    points({}, { line: new Float64Array([0, 0, 1]), lineNames: ["A", "B"] }),
    /must be an Int32Array of codes/,
  );
  rejects(points({}, { lineNames: ["A"] }), /given without points\.line/);
  rejects(
    points({}, { line: new Int32Array([0, 0, 1]), lineNames: ["A", "B"], lineKinds: ["tie"] }),
    /lineKinds: length 1 differs/,
  );
  rejects(points({}, { line: new Int32Array([0, 0, 1]), lineNames: ["A", ""] }), /non-empty/);
});
