/**
 * Golden pipelines on the committed phase-2 fixtures: definitions and expected output
 * checksums live in `tests/data/phase2/golden.json`; `deno task fixtures --golden` recomputes
 * the checksums (review the diff!), `golden_test.ts` checks them with 1 and N workers.
 *
 * @module
 */
import { WorkerPool } from "../../src/compute/mod.ts";
import { createLogger } from "../../src/observability/mod.ts";
import {
  buildPipeline,
  defaultStageRegistry,
  runPipeline,
  stageChecksum,
  type StageData,
} from "../../src/preprocessing/mod.ts";
import { gridFixture, surveyPoints } from "../../src/preprocessing/stages/_testing.ts";
import type { Bbox } from "../../src/contracts/mod.ts";

/** One golden pipeline. */
export interface GoldenPipeline {
  name: string;
  fixture: "survey_points.csv" | "bodies_grid.json" | "seam_grid.json";
  request: { modality: string; bbox: Bbox };
  definition: string;
  /** Output checksum per leaf branch. */
  expected: Record<string, string>;
}

/** The golden file. */
export const GOLDEN_URL = new URL("../data/phase2/golden.json", import.meta.url);

/** Reads the golden pipelines. */
export async function readGolden(): Promise<GoldenPipeline[]> {
  return (JSON.parse(await Deno.readTextFile(GOLDEN_URL)) as { pipelines: GoldenPipeline[] })
    .pipelines;
}

async function input(fixture: GoldenPipeline["fixture"]): Promise<StageData> {
  return fixture === "survey_points.csv" ? await surveyPoints() : (await gridFixture(fixture)).grid;
}

/**
 * Runs a golden pipeline on a fresh pool of `workers` workers and returns the output checksum
 * per leaf branch; throws when a branch failed.
 */
export async function runGolden(
  golden: GoldenPipeline,
  workers: number,
): Promise<Record<string, string>> {
  await using pool = new WorkerPool({ size: workers });
  const plan = buildPipeline(golden.definition, defaultStageRegistry(), "1.0.0");
  const result = await runPipeline(plan, await input(golden.fixture), {
    pool,
    logger: createLogger({ level: "silent" }),
    request: golden.request,
  });
  if (result.failures.length > 0) {
    const f = result.failures[0];
    throw new Error(
      `golden ${golden.name}: branch ${f.branch} failed at ${f.stage}: ${f.error.message}`,
    );
  }
  const sums: Record<string, string> = {};
  for (const o of result.outputs.sort((a, b) => a.branch.localeCompare(b.branch))) {
    sums[o.branch] = stageChecksum(o.data);
  }
  return sums;
}
