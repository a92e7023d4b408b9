/**
 * The payloads of queued jobs (zod schemas, the single source of their types) and their
 * deterministic ids: a job's id is a UUID derived from its run id, step, modality and tile key,
 * so a retried or duplicated submission of the same job is refused by the engine (same id)
 * instead of creating a second job.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { BboxSchema } from "../contracts/schemas.ts";

/** A tile as jobs carry it (see `tiles.ts`). */
export const TileSchema = z.object({
  key: z.string().regex(/^r\d+c\d+$/),
  row: z.number().int().min(0),
  col: z.number().int().min(0),
  core: BboxSchema,
  halo: BboxSchema,
  east: z.boolean(),
  north: z.boolean(),
});

/** Payload of `ingest` and `preprocess` jobs: one modality x one tile of a run. */
export const TileJobSchema = z.object({
  runId: z.string().min(1),
  modality: z.string().min(1),
  tile: TileSchema,
});

/** Payload of `mosaic` and `persist` jobs: one modality of a run. */
export const ModalityJobSchema = z.object({
  runId: z.string().min(1),
  modality: z.string().min(1),
});

/**
 * A tile job's payload.
 *
 * @example Usage
 * ```ts
 * import type { TileJob } from "./job_data.ts";
 * const job: TileJob = { runId: "run-1", modality: "gravity", tile: {
 *   key: "r0c0", row: 0, col: 0, core: [0, 0, 1, 1], halo: [0, 0, 1.1, 1.1], east: false, north: false } };
 * ```
 */
export type TileJob = z.infer<typeof TileJobSchema>;

/**
 * A mosaic or persist job's payload.
 *
 * @example Usage
 * ```ts
 * import type { ModalityJob } from "./job_data.ts";
 * const job: ModalityJob = { runId: "run-1", modality: "gravity" };
 * ```
 */
export type ModalityJob = z.infer<typeof ModalityJobSchema>;

/**
 * The job id of a step: a UUID (version 8 layout, SHA-256 based) of run id, step, modality and
 * key. The same inputs always give the same id.
 *
 * @param runId The run.
 * @param step `ingest`, `preprocess`, `mosaic` or `persist`.
 * @param modality The modality.
 * @param key The tile key, or `""` for a modality-level step.
 *
 * @example Usage
 * ```ts
 * import { jobId } from "./job_data.ts";
 * jobId("run-1", "ingest", "gravity", "r0c0") === jobId("run-1", "ingest", "gravity", "r0c0"); // true
 * ```
 */
export function jobId(runId: string, step: string, modality: string, key = ""): string {
  const h = createHash("sha256").update(JSON.stringify([runId, step, modality, key])).digest("hex");
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${
    h.slice(20, 32)
  }`;
}
