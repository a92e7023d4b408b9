import assert from "node:assert/strict";
import type { RawData, RawPoints } from "../../contracts/mod.ts";
import { createLogger } from "../../observability/mod.ts";
import type { WorkerPool } from "../../compute/mod.ts";
import type { StageContext } from "../stage.ts";
import { normalGravity, normalGravityStage } from "./normal_gravity.ts";
import { bouguerSlab, bouguerStage } from "./bouguer.ts";
import { unitsStage } from "./units.ts";

const fixture = JSON.parse(
  await Deno.readTextFile(
    new URL("../../../tests/data/phase2/normal_gravity_boule.json", import.meta.url),
  ),
) as { rows: [number, number, number][] };

const ctx: StageContext = {
  pool: {} as WorkerPool, // these stages compute in TypeScript, not on the pool
  logger: createLogger({ level: "silent" }),
  request: { modality: "gravity", bbox: [-180, -90, 180, 90] },
  signal: new AbortController().signal,
};

function survey(value: number[], height?: number[], units = "mGal"): RawPoints {
  return {
    source: { plugin: "test", version: "1.0.0" },
    modality: "gravity",
    kind: "points",
    bbox: [-180, -90, 180, 90],
    units,
    crs: "EPSG:4326",
    metadata: { retrievedAt: "2026-11-25T00:00:00Z", licence: "CC0-1.0", citation: "test" },
    points: {
      lon: new Float64Array(value.length),
      lat: Float64Array.from(value, (_, i) => [0, 45, -33.9][i % 3]),
      value: Float64Array.from(value),
      height: height ? Float64Array.from(height) : undefined,
    },
  };
}

Deno.test("normalGravity() equals Boule's closed-form WGS84 normal gravity within 1e-6 mGal", () => {
  for (const [lat, h, gamma] of fixture.rows) {
    const ours = normalGravity(lat, h);
    assert.ok(
      Math.abs(ours - gamma) < 1e-6 * 10 + 1e-6,
      `lat ${lat}, h ${h}: ${ours} vs Boule ${gamma}`,
    );
  }
});

Deno.test("normalGravity() reproduces the WGS84 defining equatorial and polar gravity", () => {
  assert.ok(Math.abs(normalGravity(0, 0) - 978032.53359) < 1e-4);
  assert.ok(Math.abs(normalGravity(90, 0) - 983218.49378) < 1e-4);
  // Free-air gradient near the surface is about -0.3086 mGal/m.
  const gradient = (normalGravity(45, 100) - normalGravity(45, 0)) / 100;
  assert.ok(Math.abs(gradient + 0.3086) < 0.001, `gradient ${gradient}`);
});

Deno.test("normal-gravity stage subtracts gamma at each station's height and keeps NaN", async () => {
  const stage = normalGravityStage.create({ defaultHeight: 0 });
  const input = survey([978100, NaN, 979200], [0, 0, 1500]);
  const out = (await stage.execute(input, ctx)) as RawData & { kind: "points" };
  assert.ok(Math.abs(out.points.value[0] - (978100 - 978032.53359)) < 1e-4);
  assert.ok(Number.isNaN(out.points.value[1]));
  assert.ok(Math.abs(out.points.value[2] - (979200 - 979178.066093)) < 1e-4);
  assert.equal(input.points.value[0], 978100, "input is not mutated");
});

Deno.test("normal-gravity stage honours the data's units (m/s², not inverted)", async () => {
  const stage = normalGravityStage.create({ defaultHeight: 0 });
  const out = (await stage.execute(survey([9.781]), ctx)) as RawData & { kind: "points" };
  // A value in m/s² gets gamma in m/s² subtracted: 9.781 - 9.7803253359.
  const si = (await stage.execute(survey([9.781], undefined, "m/s²"), ctx)) as RawData & {
    kind: "points";
  };
  assert.ok(Math.abs(si.points.value[0] - (9.781 - 9.7803253359)) < 1e-9, `${si.points.value[0]}`);
  assert.ok(out.points.value[0] < -978000, "in mGal the same number is far below gamma");
});

Deno.test("bouguerSlab() is 2πGρh: 0.1119 mGal per metre at 2670 kg/m³ and scales with density", () => {
  assert.ok(Math.abs(bouguerSlab(1) - 0.111967) < 1e-5, `${bouguerSlab(1)}`);
  assert.ok(Math.abs(bouguerSlab(100, 1000) / bouguerSlab(100, 2000) - 0.5) < 1e-12);
  assert.equal(bouguerSlab(0), 0);
});

Deno.test("bouguer stage subtracts the slab and requires heights", async () => {
  const stage = bouguerStage.create(bouguerStage.paramsSchema.parse({}));
  assert.equal(stage.params.density, 2670);
  const out = (await stage.execute(survey([50, 50], [0, 1000]), ctx)) as RawData & {
    kind: "points";
  };
  assert.equal(out.points.value[0], 50);
  assert.ok(Math.abs(out.points.value[1] - (50 - 111.967)) < 0.01);
  await assert.rejects(() => stage.execute(survey([1]), ctx), /needs station heights/);
  await assert.rejects(
    () => stage.execute({ ...survey([1], [1]), modality: "magnetic", units: "nT" }, ctx),
    /applies to gravity data, got magnetic/,
  );
});

Deno.test("units stage converts 100 mGal to 0.001 m/s² and refuses other modalities' units", async () => {
  const stage = unitsStage.create({ to: "m/s²" });
  const out = (await stage.execute(survey([100, NaN]), ctx)) as RawData & { kind: "points" };
  assert.equal(out.units, "m/s²");
  assert.ok(Math.abs(out.points.value[0] - 0.001) < 1e-15);
  assert.ok(Number.isNaN(out.points.value[1]));
  await assert.rejects(() => unitsStage.create({ to: "nT" }).execute(survey([1]), ctx), /nT/);
});
