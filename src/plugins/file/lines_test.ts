/**
 * Named flight lines through the `file` plugin and the Hampel filter: a survey laid out like a
 * delivered one, lines split into segments (`FL1-1`, `FL1-2`) and tie lines (`T100`).
 */
import assert from "node:assert/strict";
import type { RawPoints } from "../../contracts/mod.ts";
import { validateRawData } from "../../contracts/schemas.ts";
import { WorkerPool } from "../../compute/mod.ts";
import { defaultStageRegistry, type OutlierReport, stageReport } from "../../preprocessing/mod.ts";
import { testContext } from "../../preprocessing/stages/_testing.ts";
import { moduleTempDir } from "../../_testing/temp_dir.ts";
import { TableSyntaxError } from "../../formats/mod.ts";
import { createPlugin } from "./mod.ts";

const BBOX: [number, number, number, number] = [10, 45, 11, 46];

/**
 * Segments in flight order. Each reading is a smooth field plus a fixed pseudo-random jitter;
 * the short segment `FL1-2` (a re-flown piece, 4 readings) sits 300 nT above its neighbours
 * (a level not yet corrected), and the tie line `T100` crosses them at 250 nT above. Spikes
 * of 80 nT are put at known readings of long segments.
 */
function survey(): { csv: string; spikes: Set<number>; names: string[] } {
  const segments: [string, number, number][] = [
    ["FL1-1", 60, 0],
    ["FL1-2", 4, 300],
    ["FL1-3", 60, 0],
    ["T100", 5, 250],
    ["FL2-1", 80, 0],
  ];
  const rows = ["line,easting_deg,northing_deg,mag_nt"];
  const spikes = new Set<number>();
  let k = 0;
  for (const [name, n, offset] of segments) {
    for (let i = 0; i < n; i++, k++) {
      const lon = 10.1 + 0.005 * i;
      const lat = 45.1 + 0.003 * k;
      const jitter = ((k * 7919) % 13) / 13 - 0.5; // in [-0.5, 0.5) nT
      let v = 50 * Math.sin(lon * 3) + offset + jitter;
      if (n >= 60 && i % 17 === 8) {
        v += 80;
        spikes.add(k);
      }
      rows.push(`${name},${lon.toFixed(6)},${lat.toFixed(6)},${v.toFixed(3)}`);
    }
  }
  return { csv: rows.join("\n") + "\n", spikes, names: segments.map((s) => s[0]) };
}

const req = (path: string, extra: Record<string, unknown> = {}) => ({
  modality: "magnetic",
  bbox: BBOX,
  params: {
    path,
    columns: { lon: "easting_deg", lat: "northing_deg", value: "mag_nt", line: "line" },
    units: "nT",
    licence: "CC0-1.0",
    citation: "synthetic test survey",
    ...extra,
  },
  traceId: "t",
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  grantedHosts: [],
  correlationId: "t",
  signal: new AbortController().signal,
});

Deno.test("the file plugin reads text line ids into a dictionary and classifies ties by prefix", async () => {
  const dir = await moduleTempDir({ prefix: "gam-lines-" });
  const { csv, names } = survey();
  await Deno.writeTextFile(`${dir}/s.csv`, csv);
  const data = validateRawData(
    await createPlugin().fetch(req(`${dir}/s.csv`, { tiePrefix: "T" })),
  ) as RawPoints;
  assert.deepEqual(data.points.lineNames, names);
  assert.deepEqual(data.points.lineKinds, ["line", "line", "line", "tie", "line"]);
  assert.ok(data.points.line instanceof Int32Array);
  const rows = csv.trim().split("\n").slice(1).map((r) => r.split(",")[0]);
  rows.forEach((name, i) => assert.equal(data.points.lineNames![data.points.line![i]], name));
  // Without a prefix nothing says which lines are ties: no kinds.
  const plain = await createPlugin().fetch(req(`${dir}/s.csv`)) as RawPoints;
  assert.equal(plain.points.lineKinds, undefined);
  // Cropping drops the lines with no reading left and renumbers the codes.
  const crop = await createPlugin().fetch({
    ...req(`${dir}/s.csv`),
    bbox: [10, 45.45, 11, 46],
  }) as RawPoints;
  // Readings from k = 117 on (lat >= 45.45): the end of FL1-3, T100 and FL2-1.
  assert.deepEqual(crop.points.lineNames, ["FL1-3", "T100", "FL2-1"]);
  assert.equal(crop.points.lineKinds, undefined);
  assert.equal(crop.points.line![0], 0);
});

Deno.test("Hampel along named lines flags the spikes and keeps short segments at their own level", async () => {
  const dir = await moduleTempDir({ prefix: "gam-lines-" });
  await using pool = new WorkerPool({ size: 1 });
  const { csv, spikes } = survey();
  await Deno.writeTextFile(`${dir}/s.csv`, csv);
  const data = validateRawData(await createPlugin().fetch(req(`${dir}/s.csv`))) as RawPoints;
  const kind = defaultStageRegistry().get("outlier")!;
  const hampel = (threshold: number) =>
    kind.create(kind.paramsSchema.parse({ method: "hampel", threshold, halfWindow: 5 }));
  const out = await hampel(3).execute(data, testContext(pool, BBOX, "magnetic")) as RawPoints;
  const flagged = new Set<number>();
  out.points.value.forEach((v, i) => Number.isNaN(v) && flagged.add(i));
  assert.deepEqual([...flagged].sort((a, b) => a - b), [...spikes].sort((a, b) => a - b));
  assert.equal((stageReport(out, "outlier") as OutlierReport).flagged, spikes.size);
  assert.deepEqual(out.points.lineNames, data.points.lineNames);
  // The same readings with every segment of line 1 under one id (what a numeric "line 1"
  // would give): the short re-flown segment is then judged against its neighbours and lost.
  const merged = Int32Array.from(data.points.line!, (c) => c <= 2 ? 0 : c);
  const one = await hampel(3).execute(
    { ...data, points: { ...data.points, line: merged, lineNames: undefined } },
    testContext(pool, BBOX, "magnetic"),
  ) as RawPoints;
  const lost = one.points.value.filter((v, i) => Number.isNaN(v) && !spikes.has(i)).length;
  assert.ok(lost >= 4, `expected the 4 readings of FL1-2 flagged when merged, got ${lost}`);
});

Deno.test("the file plugin names file, line and column for a missing line name", async () => {
  const dir = await moduleTempDir({ prefix: "gam-lines-" });
  await Deno.writeTextFile(
    `${dir}/bad.csv`,
    "line,easting_deg,northing_deg,mag_nt\nL10,10.5,45.5,1\n,10.6,45.5,2\n",
  );
  await assert.rejects(
    createPlugin().fetch(req(`${dir}/bad.csv`)),
    (e: unknown) =>
      e instanceof TableSyntaxError && e.line === 3 &&
      e.message === `${dir}/bad.csv line 3: column 'line' is empty (expected a line name)`,
  );
});

const FORMATS = new URL("../../../tests/data/survey_formats/", import.meta.url).pathname;

Deno.test("the file plugin picks the ASEG-GDF2 and Geosoft XYZ readers by extension or format", async () => {
  const fetch = (path: string, bbox: number[], params: Record<string, unknown>) =>
    createPlugin().fetch({
      ...req(path, params),
      bbox: bbox as [number, number, number, number],
    });
  const gdf = validateRawData(
    await fetch(`${FORMATS}muppettown.dat`, [147, -35, 148, -34], {
      columns: { lon: "GDA94LON", lat: "GDA94LAT", value: "MAGCOMP", line: "LINE" },
      units: undefined, // from the .dfn: UNIT=nT
    }),
  ) as RawPoints;
  assert.equal(gdf.units, "nT");
  assert.equal(gdf.points.lon.length, 10);
  assert.deepEqual(gdf.points.lineNames, ["10010"]);
  assert.equal(gdf.metadata.extra?.format, "aseg-gdf");

  const xyz = validateRawData(
    await fetch(`${FORMATS}spec_example.xyz`, [10, 45, 11, 46], {
      columns: { lon: "X", lat: "Y", value: "MAG", height: "ALT" },
    }),
  ) as RawPoints;
  assert.deepEqual(xyz.points.lineNames, ["L1010", "L1020", "T100"]);
  assert.deepEqual(xyz.points.lineKinds, ["line", "line", "tie"]);
  assert.equal(xyz.points.height?.length, 10);

  // Another extension: format says which reader; the .dfn is named by params.definition.
  const dir = await moduleTempDir({ prefix: "gam-formats-" });
  await Deno.copyFile(`${FORMATS}spec_example.dat`, `${dir}/survey.txt`);
  const named = validateRawData(
    await fetch(`${dir}/survey.txt`, [147, -35, 148, -34], {
      format: "aseg-gdf",
      definition: `${FORMATS}spec_example.dfn`,
      columns: { lon: "longitude", lat: "latitude", value: "total_field", line: "LINE" },
      tiePrefix: "T",
    }),
  ) as RawPoints;
  assert.deepEqual(named.points.lineNames, ["L1010", "L1020", "T100"]);
  assert.deepEqual(named.points.lineKinds, ["line", "line", "tie"]);
  await assert.rejects(
    fetch(`${FORMATS}spec_example.xyz`, [10, 45, 11, 46], {
      columns: { lon: "X", lat: "Y", value: "MAG", line: "LINE" },
    }),
    /names its lines in Line\/Tie headers; remove params\.columns\.line/,
  );
});

Deno.test("the file plugin transforms projected coordinates (params.crs) and records the source CRS", async () => {
  // MuppetTown carries both: MGA zone 55 eastings/northings and GDA94 latitude/longitude.
  const path = `${FORMATS}muppettown.dat`;
  const common = {
    ...req(path, { columns: { lon: "GDA94LON", lat: "GDA94LAT", value: "MAGCOMP" } }),
    bbox: [147, -35, 148, -34] as [number, number, number, number],
  };
  const geo = await createPlugin().fetch(common) as RawPoints;
  const mga = validateRawData(
    await createPlugin().fetch({
      ...common,
      params: {
        ...common.params,
        columns: { lon: "EAST_MGA", lat: "NORTH_MGA", value: "MAGCOMP" },
        crs: "EPSG:28355",
      },
    }),
  ) as RawPoints;
  assert.equal(mga.sourceCrs, "EPSG:28355");
  assert.equal(geo.sourceCrs, undefined);
  assert.equal(mga.points.lon.length, geo.points.lon.length);
  // The file's own coordinates are given to 1e-7 degrees and its eastings to 1 cm; the
  // contractor's transform and GDAL's (which ours follows) differ by up to about 0.3 m.
  for (let i = 0; i < geo.points.lon.length; i++) {
    assert.ok(Math.abs(mga.points.lon[i] - geo.points.lon[i]) < 5e-6, `lon ${i}`);
    assert.ok(Math.abs(mga.points.lat[i] - geo.points.lat[i]) < 5e-6, `lat ${i}`);
  }
  await assert.rejects(
    createPlugin().fetch({ ...common, params: { ...common.params, crs: "EPSG:9999" } }),
    /params\.crs: CRS "EPSG:9999" is not supported/,
  );
});
