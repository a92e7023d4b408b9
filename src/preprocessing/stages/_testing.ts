/**
 * Test helpers of the stages: a stage context on a real worker pool, and loaders of the
 * committed fixtures under `tests/data/phase2/` (see `scripts/fixtures/phase2.ts`).
 *
 * @module
 */
import type { Bbox, ProcessedGrid, RawPoints } from "../../contracts/mod.ts";
import type { WorkerPool } from "../../compute/mod.ts";
import { readTable } from "../../formats/mod.ts";
import { createLogger } from "../../observability/mod.ts";
import type { StageContext } from "../stage.ts";

const DATA = new URL("../../../tests/data/phase2/", import.meta.url);

/** A context for calling `stage.execute` directly. */
export function testContext(
  pool: WorkerPool,
  bbox: Bbox = [10, 45, 11, 45.8],
  modality = "gravity",
): StageContext {
  return {
    pool,
    logger: createLogger({ level: "silent" }),
    request: { modality, bbox },
    signal: new AbortController().signal,
  };
}

/** The fixture survey `survey_points.csv` as gravity points with line ids. */
export async function surveyPoints(): Promise<RawPoints> {
  const t = await readTable(new URL("survey_points.csv", DATA).pathname, {
    columns: ["lon", "lat", "value", "line"],
  });
  const [lon, lat, value, line] = t.columns as Float64Array<ArrayBuffer>[];
  return {
    source: { plugin: "fixture", version: "1.0.0" },
    modality: "gravity",
    kind: "points",
    bbox: [10, 45, 11, 45.8],
    units: "mGal",
    crs: "EPSG:4326",
    metadata: {
      retrievedAt: "2026-11-25T00:00:00Z",
      licence: "CC0-1.0",
      citation: "synthetic fixture, scripts/fixtures/phase2.ts",
    },
    points: { lon, lat, value, line },
  };
}

/** A grid fixture (`bodies_grid.json`, `seam_grid.json`) as a ProcessedGrid (+ survey ids). */
export async function gridFixture(
  name: "bodies_grid.json" | "seam_grid.json",
): Promise<{ grid: ProcessedGrid; survey?: Float64Array<ArrayBuffer> }> {
  const j = JSON.parse(await Deno.readTextFile(new URL(name, DATA))) as {
    units: string;
    modality: string;
    lon: number[];
    lat: number[];
    values: (number | null)[];
    survey?: number[];
  };
  const step = (a: number[]) => (a[a.length - 1] - a[0]) / (a.length - 1);
  const grid: ProcessedGrid = {
    modality: j.modality,
    lon: Float64Array.from(j.lon),
    lat: Float64Array.from(j.lat),
    values: Float64Array.from(j.values, (v) => v ?? NaN),
    units: j.units,
    crs: "EPSG:4326",
    resolution: { lon: step(j.lon), lat: step(j.lat) },
    registration: "gridline",
    provenance: [{ step: `fixture:${name}`, version: "1.0.0", params: {} }],
  };
  return { grid, survey: j.survey ? Float64Array.from(j.survey) : undefined };
}
