/**
 * Typed, parameterised data access for GAM's tables, written once against {@link SqlClient} so
 * that it runs unchanged on a PostgreSQL server and on embedded PGlite.
 *
 * @module
 */
import type { Anomaly, Bbox } from "../contracts/mod.ts";
import type { SqlClient } from "./sql_client.ts";
import { queries } from "./_tables/_rows.ts";
import { runsTable } from "./_tables/runs.ts";
import { manifestsTable } from "./_tables/manifests.ts";
import { surveysTable } from "./_tables/surveys.ts";
import { gridsTable } from "./_tables/grids.ts";
import { modelsTable } from "./_tables/models.ts";
import { anomaliesTable } from "./_tables/anomalies.ts";
import { metadataTable } from "./_tables/metadata.ts";
import { lineageQueries } from "./_tables/lineage.ts";
import type {
  AnomalyCursor,
  AnomalyPage,
  AnomalyRecord,
  GridInput,
  GridRecord,
  IngestStatus,
  ManifestInput,
  ManifestRecord,
  MetadataRecord,
  ModelInput,
  ModelRecord,
  RunningRun,
  RunOwner,
  RunRecord,
  RunStatus,
  SurveyInput,
  SurveyLineage,
  SurveyLineRecord,
  SurveyRecord,
} from "./records.ts";

/** Options of {@link Repository.anomaliesInBbox}. */
export interface AnomalyQuery {
  /** Only anomalies with confidence >= this. @default 0 */
  minConfidence?: number;
  /** Only this anomaly type. */
  anomalyType?: string;
  /** Page size, 1..10000. @default 100 */
  limit?: number;
  /** Cursor from the previous page's `next`. */
  after?: AnomalyCursor;
}

/** Options of {@link Repository.insertAnomalies}. */
export interface BulkInsertOptions {
  /** Rows per INSERT statement. @default 10000 */
  batchSize?: number;
}

/**
 * Typed access to runs, manifests, surveys, grids, models, anomalies and metadata. Every query is
 * parameterised; database errors arrive as {@link import("./errors.ts").PersistenceError}.
 *
 * @example Store a survey and query it back
 * ```ts
 * import { openDatabase } from "./database.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     const repo = db.repo; // createRepository(db.sql)
 *     await repo.insertSurvey({ modality: "gravity", bbox: [16, -35, 33, -22] });
 *     const grids = await repo.gridsInBbox([20, -30, 21, -29]); // none stored yet: []
 *     console.log(grids.length);
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface Repository {
  /**
   * Records a new run with status `running`; with `owner`, also its owner process and a first
   * heartbeat (the run's lease, see {@link Repository.heartbeatRun}).
   */
  createRun(
    input: { id: string; configHash?: string | null; startedAt?: Date; owner?: RunOwner },
  ): Promise<RunRecord>;
  /**
   * Renews a running run's heartbeat (database clock); `false` when the run is no longer
   * `running` (it finished, or another process marked it `interrupted`).
   */
  heartbeatRun(id: string): Promise<boolean>;
  /**
   * Local runs in status `running`, oldest first, with the seconds since their last heartbeat
   * (queued runs are the queue's to keep alive: their jobs expire and are retried).
   */
  runningRuns(): Promise<RunningRun[]>;
  /**
   * Marks a `running` run `interrupted` with `detail` saying why. With `silentSeconds`, only
   * when it is still silent that long (re-checked in the update, so a heartbeat that arrived
   * meanwhile keeps the run). Resolves to whether the run was marked.
   */
  interruptRun(id: string, detail: string, options?: { silentSeconds?: number }): Promise<boolean>;
  /** Ends a run with a final status (anything but `running`). */
  finishRun(
    id: string,
    status: Exclude<RunStatus, "running">,
    finishedAt?: Date,
  ): Promise<RunRecord>;
  /** A run by id. */
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Inserts a manifest, or updates pinned/expiry/run/extra of the same (kind, cache key, checksum). */
  upsertManifest(input: ManifestInput): Promise<ManifestRecord>;
  /** A manifest by id. */
  getManifest(id: number): Promise<ManifestRecord | undefined>;
  /** Inserts a survey. */
  insertSurvey(input: SurveyInput): Promise<SurveyRecord>;
  /** A survey by id. */
  getSurvey(id: number): Promise<SurveyRecord | undefined>;
  /** Sets a survey's ingest status. */
  setSurveyStatus(id: number, status: IngestStatus): Promise<void>;
  /**
   * Stores a survey's flight lines (its line dictionary, in code order: `lines[i]` has code
   * `i`); resolves to the number stored.
   */
  insertSurveyLines(
    surveyId: number,
    lines: readonly { name: string; kind?: "line" | "tie"; readings: number }[],
  ): Promise<number>;
  /** A survey's flight lines in code order (empty when it has none). */
  surveyLines(surveyId: number): Promise<SurveyLineRecord[]>;
  /** Inserts a grid. */
  insertGrid(input: GridInput): Promise<GridRecord>;
  /** A grid by id. */
  getGrid(id: number): Promise<GridRecord | undefined>;
  /**
   * Points every grid and model stored at `from` (a local path) at `to` (an `s3://` URI with
   * its version id, once the object is in the bucket); resolves to the rows changed.
   */
  replaceStorageUri(from: string, to: string): Promise<number>;
  /** Inserts a model. */
  insertModel(input: ModelInput): Promise<ModelRecord>;
  /** A model by id. */
  getModel(id: number): Promise<ModelRecord | undefined>;
  /**
   * Inserts anomalies of one model in batches inside one transaction (all or nothing); resolves
   * to the number inserted. 100,000 rows take about a second on a server.
   */
  insertAnomalies(
    modelId: number,
    anomalies: readonly Anomaly[],
    options?: BulkInsertOptions,
  ): Promise<number>;
  /** An anomaly by id. */
  getAnomaly(id: number): Promise<AnomalyRecord | undefined>;
  /** Appends a metadata entry (stage timing, provenance) to a run. */
  putMetadata(runId: string, key: string, value: unknown): Promise<MetadataRecord>;
  /** Metadata of a run, oldest first, optionally one key only. */
  listMetadata(runId: string, key?: string): Promise<MetadataRecord[]>;
  /** Grids whose extent intersects `bbox`, by id, optionally of one modality. */
  gridsInBbox(bbox: Bbox, options?: { modality?: string }): Promise<GridRecord[]>;
  /** Anomalies inside `bbox` (edges included) at or above a confidence, most confident first, paged. */
  anomaliesInBbox(bbox: Bbox, options?: AnomalyQuery): Promise<AnomalyPage>;
  /** A survey with its grids, models, anomalies and manifests; `undefined` when unknown. */
  surveyLineage(
    surveyId: number,
    options?: { maxAnomalies?: number },
  ): Promise<SurveyLineage | undefined>;
}

/**
 * Creates the {@link Repository} over a client (a server pool, PGlite, or a transaction): the
 * methods of each table's file under `_tables/` (one file per table, plus the lineage query
 * that reads several).
 *
 * @example
 * ```ts
 * import { createRepository } from "./repository.ts";
 * import { openDatabase } from "./database.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   const repo = createRepository(db.sql);
 *   await repo.createRun({ id: "run-1" });
 *   await db.close();
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function createRepository(client: SqlClient): Repository {
  const q = queries(client);
  return {
    ...runsTable(q),
    ...manifestsTable(q),
    ...surveysTable(q),
    ...gridsTable(q),
    ...modelsTable(q),
    ...anomaliesTable(q),
    ...metadataTable(q),
    ...lineageQueries(q),
  };
}

export { anomaliesInBboxSql } from "./_tables/anomalies.ts";
