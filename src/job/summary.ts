/**
 * The run's final table: one {@linkcode ModalitySummary} row per modality, the run's
 * {@linkcode RunSummary} and the status derived from the modalities' outcomes. Plain data,
 * computed from the modalities' results; `gam run` prints it and the run manifest records it.
 *
 * @module
 */
import type { Bbox } from "../contracts/mod.ts";
import { isEdgeAnomaly } from "../contracts/schemas.ts";
import { nanCount } from "../preprocessing/mod.ts";
import type { ModalityJobResult } from "./modality_job.ts";

/** One row of the final table. */
export interface ModalitySummary {
  modality: string;
  outcome: "ok" | "failed" | "interrupted";
  error?: string;
  pointsIn: number;
  outliersRemoved: number;
  /** `ny x nx` of the first grid. */
  gridSize: string;
  nanRatio: number | null;
  anomalies: number;
  cache: string;
  durationSeconds: number;
  grids: { branch: string; zarr: string; tif: string; checksum: string }[];
}

/** What `runJob()` returns. */
export interface RunSummary {
  runId: string;
  /**
   * The run's W3C `traceparent` (see `RunJobOptions.traceparent`); absent in a summary
   * rebuilt from the database (a queued run's status).
   */
  traceparent?: string;
  status: "succeeded" | "partial" | "failed" | "interrupted" | "validated";
  runDir: string;
  startedAt: string;
  finishedAt: string;
  bbox: Bbox;
  configHash: string;
  database?: string;
  modalities: ModalitySummary[];
  /** Problems found by `--dry-run` (empty when valid). */
  problems?: string[];
  /**
   * The upload of the run folder to the bucket (with a `storage:` section): `uploaded`, or
   * `pending` (the bucket failed; the run still succeeded, `gam storage push` resumes).
   */
  storage?: {
    status: "uploaded" | "pending";
    manifest?: string;
    error?: string;
    /** Wall time of the upload, seconds. */
    seconds?: number;
  };
}

/** The status of a run that ran (not a `--dry-run`): what its modalities' outcomes add up to. */
export type RunStatus = Exclude<RunSummary["status"], "validated">;

/**
 * The result of a modality that never ran (its plugin failed to load, or there is none).
 *
 * @param modality The modality's name.
 * @param pipelineVersion Its pipeline's version (`pipeline.version` of the configuration).
 * @param error Why it did not run, for the user.
 * @returns A `failed` result with nothing ingested.
 *
 * @example A modality whose plugin failed to load
 * ```ts
 * import { failedResult } from "./summary.ts";
 * const r = failedResult("gravity", "1", "plugin \"x\" not found");
 * console.assert(r.outcome === "failed" && r.grids.length === 0);
 * ```
 */
export function failedResult(
  modality: string,
  pipelineVersion: string,
  error: string,
): ModalityJobResult {
  return {
    modality,
    outcome: "failed",
    error,
    pointsIn: 0,
    outliersRemoved: 0,
    cache: "off",
    durationSeconds: 0,
    grids: [],
    branchFailures: [],
    stages: [],
    pipelineVersion,
  };
}

/**
 * A modality's row of the final table: grid size and NaN ratio of its first grid, anomalies
 * counted without those on the grid's edge.
 *
 * @param r The modality's result.
 * @returns Its row.
 *
 * @example The row of a modality that failed
 * ```ts
 * import { failedResult, modalitySummary } from "./summary.ts";
 * const row = modalitySummary(failedResult("gravity", "1", "no plugin"));
 * console.assert(row.gridSize === "-" && row.nanRatio === null);
 * ```
 */
export function modalitySummary(r: ModalityJobResult): ModalitySummary {
  const first = r.grids[0]?.grid;
  return {
    modality: r.modality,
    outcome: r.outcome,
    ...(r.error ? { error: r.error } : {}),
    pointsIn: r.pointsIn,
    outliersRemoved: r.outliersRemoved,
    gridSize: first ? `${first.lat.length} x ${first.lon.length}` : "-",
    nanRatio: first && first.values.length > 0
      ? nanCount(first.values) / first.values.length
      : null,
    anomalies: r.grids.reduce((n, g) => n + g.anomalies.filter((a) => !isEdgeAnomaly(a)).length, 0),
    cache: r.cache,
    durationSeconds: r.durationSeconds,
    grids: r.grids.map((g) => ({
      branch: g.branch,
      zarr: g.zarrPath,
      tif: g.tifPath,
      checksum: g.checksum,
    })),
  };
}

/**
 * Sorts results in configuration order, not in the order the modalities finished.
 *
 * @param results Sorted in place.
 * @param modalities The run's modalities, in configuration order.
 * @returns `results`.
 *
 * @example Usage
 * ```ts
 * import { failedResult, sortResults } from "./summary.ts";
 * const r = sortResults([failedResult("b", "1", "x"), failedResult("a", "1", "x")], ["a", "b"]);
 * console.assert(r[0].modality === "a");
 * ```
 */
export function sortResults(
  results: ModalityJobResult[],
  modalities: readonly string[],
): ModalityJobResult[] {
  return results.sort((a, b) => modalities.indexOf(a.modality) - modalities.indexOf(b.modality));
}

/**
 * The run's status: `interrupted` when it was stopped, `succeeded` when every modality is ok,
 * `partial` when some are, `failed` when none is.
 *
 * @param results The modalities' results.
 * @param interrupted Whether the run was stopped (Ctrl-C, or a modality was interrupted).
 * @returns The status.
 *
 * @example Usage
 * ```ts
 * import { failedResult, runStatus } from "./summary.ts";
 * console.assert(runStatus([failedResult("gravity", "1", "x")], false) === "failed");
 * ```
 */
export function runStatus(
  results: readonly ModalityJobResult[],
  interrupted: boolean,
): RunStatus {
  const ok = results.filter((r) => r.outcome === "ok").length;
  return interrupted
    ? "interrupted"
    : ok === results.length
    ? "succeeded"
    : ok > 0
    ? "partial"
    : "failed";
}
