/**
 * Record types stored and returned by the {@link import("./repository.ts").Repository}.
 * Ids are numbers (database `bigint` identities, safe up to 2^53). Times are `Date`s.
 *
 * @module
 */
import type { Anomaly, Bbox } from "../contracts/mod.ts";

/**
 * Status of a run. `interrupted` is set when the job was stopped (Ctrl-C, SIGTERM), or at a
 * later start when the process that owned a `running` run is found dead (see `run_lease.ts`).
 */
export type RunStatus = "running" | "succeeded" | "partial" | "failed" | "interrupted";

/** A row of `runs`. */
export interface RunRecord {
  /** Run id, e.g. `"20261125T171500Z-3f2a"`. */
  id: string;
  /** Current status. */
  status: RunStatus;
  /** When the run started. */
  startedAt: Date;
  /** When it ended; `null` while running. */
  finishedAt: Date | null;
  /** Hash of the effective configuration, if recorded. */
  configHash: string | null;
  /** The process that runs (or ran) it, when recorded (migration 0003 onwards). */
  owner: RunOwner | null;
  /** Last heartbeat of the owner (database clock); `null` when none was recorded. */
  heartbeatAt: Date | null;
  /** Why the run ended as it did when something other than its own process ended it. */
  statusDetail: string | null;
}

/**
 * The process that owns a run: enough to tell, from the same host, whether it is still alive
 * even after its pid was reused.
 *
 * @example Usage
 * ```ts
 * import type { RunOwner } from "./records.ts";
 * const me: RunOwner = { host: "vm", pid: 4242, processStart: "38123", instance: null };
 * ```
 */
export interface RunOwner {
  /** Host name (`Deno.hostname()`). */
  host: string;
  /** Process id. */
  pid: number;
  /** Process start time as the kernel counts it (Linux: clock ticks since boot), if known. */
  processStart: string | null;
  /** Kernel instance (Linux: boot id and pid namespace), if known. */
  instance: string | null;
}

/** A `running` run with the ages the database measured (its clock, so hosts' clocks may differ). */
export interface RunningRun extends RunRecord {
  /** Seconds since the last heartbeat, or since the start when there was none. */
  silentSeconds: number;
}

/** Input of {@link import("./repository.ts").Repository.upsertManifest}: one cache manifest record. */
export interface ManifestInput {
  /** `raw` for a fetched RawData, `grid` for a processed grid. */
  kind: "raw" | "grid";
  /** Cache key of the entry. */
  cacheKey: string;
  /** Modality, e.g. `"gravity"`. */
  modality: string;
  /** Source URL, or plugin id when there is no URL. */
  source: string;
  /** Plugin id. */
  pluginId?: string | null;
  /** Plugin version. */
  pluginVersion?: string | null;
  /** Canonical sha256 of the arrays, 64 lowercase hex digits. */
  checksumSha256: string;
  /** Size in bytes. */
  sizeBytes: number;
  /** Licence text or SPDX id. */
  licence?: string | null;
  /** Citation. */
  citation?: string | null;
  /** When the data was retrieved. */
  retrievedAt: Date;
  /** When the cache entry expires (TTL), if it does. */
  expiresAt?: Date | null;
  /** Pinned entries are never evicted. @default false */
  pinned?: boolean;
  /** Path of the cache entry. */
  cachePath: string;
  /** Any further fields (units, CRS, ...), stored as jsonb. @default {} */
  extra?: Record<string, unknown>;
  /** Run that recorded it. */
  runId?: string | null;
}

/** A row of `manifests`. */
export interface ManifestRecord extends Required<ManifestInput> {
  /** Database id. */
  id: number;
  /** When the row was first written. */
  createdAt: Date;
}

/** Ingest status of a survey. */
export type IngestStatus = "pending" | "ingesting" | "ingested" | "failed";

/** Input of `insertSurvey`. */
export interface SurveyInput {
  /** Modality, e.g. `"gravity"`. */
  modality: string;
  /** Survey extent, `[minLon, minLat, maxLon, maxLat]` degrees. */
  bbox: Bbox;
  /** Run that ingested it. */
  runId?: string | null;
  /** Manifest of the source data. */
  sourceManifestId?: number | null;
  /** Acquisition window `[start, end)`; either end may be open (`null`). */
  acquisition?: { start: Date | null; end: Date | null } | null;
  /** @default "pending" */
  ingestStatus?: IngestStatus;
  /** CRS the survey's coordinates were delivered in (`"EPSG:32633"`), when not EPSG:4326. */
  sourceCrs?: string | null;
}

/** A row of `surveys`. */
export interface SurveyRecord {
  /** Database id. */
  id: number;
  /** Modality. */
  modality: string;
  /** Extent `[minLon, minLat, maxLon, maxLat]` degrees. */
  bbox: Bbox;
  /** Run that ingested it. */
  runId: string | null;
  /** Manifest of the source data. */
  sourceManifestId: number | null;
  /** Acquisition window, or `null`. */
  acquisition: { start: Date | null; end: Date | null } | null;
  /** Ingest status. */
  ingestStatus: IngestStatus;
  /** CRS the coordinates were delivered in, or `null` (EPSG:4326, or not recorded). */
  sourceCrs: string | null;
  /** When the row was written. */
  createdAt: Date;
}

/** A flight line of a survey (a row of `survey_lines`). */
export interface SurveyLineRecord {
  /** The line's code in the survey's data (`points.line`), 0-based. */
  code: number;
  /** The name as delivered (`"FL1-1"`). */
  name: string;
  /** Traverse or tie line; `null` when the data did not say. */
  kind: "line" | "tie" | null;
  /** Readings of the line. */
  readings: number;
}

/** Input of `insertGrid`. */
export interface GridInput {
  /** Survey the grid was made from. */
  surveyId: number;
  /** Version of the grid (pipeline semver), unique per survey. */
  gridVersion: string;
  /** Cell size in degrees, > 0. */
  resolutionDeg: number;
  /** Where the grid is stored (Zarr or GeoTIFF URI). */
  storageUri: string;
  /** Statistics (count, NaN ratio, min, max, ...). @default {} */
  stats?: Record<string, unknown>;
  /** Grid extent `[minLon, minLat, maxLon, maxLat]` degrees. */
  bbox: Bbox;
  /** Manifest of the processed grid. */
  manifestId?: number | null;
}

/** A row of `grids`. */
export interface GridRecord extends Required<GridInput> {
  /** Database id. */
  id: number;
  /** When the row was written. */
  createdAt: Date;
}

/** Input of `insertModel`. */
export interface ModelInput {
  /** Grid the model was computed from. */
  gridId: number;
  /** Model kind, e.g. `"anomaly-flagging"`. */
  modelType: string;
  /** Mesh or method configuration. @default {} */
  meshConfig?: Record<string, unknown>;
  /** Where model output is stored, if anywhere. */
  storageUri?: string | null;
}

/** A row of `models`. */
export interface ModelRecord extends Required<ModelInput> {
  /** Database id. */
  id: number;
  /** When the row was written. */
  createdAt: Date;
}

/** A row of `anomalies`: the {@link Anomaly} contract plus ids. */
export interface AnomalyRecord extends Anomaly {
  /** Database id. */
  id: number;
  /** Model that produced it. */
  modelId: number;
}

/** A row of `metadata`. */
export interface MetadataRecord {
  /** Database id. */
  id: number;
  /** Run it belongs to. */
  runId: string;
  /** Key, e.g. `"stage.grid.seconds"`. */
  key: string;
  /** JSON value. */
  value: unknown;
  /** When it was written. */
  createdAt: Date;
}

/** Keyset cursor for paging anomalies by confidence (descending), then id (descending). */
export interface AnomalyCursor {
  /** Confidence of the last row of the previous page. */
  confidence: number;
  /** Id of the last row of the previous page. */
  id: number;
}

/** A page of anomalies. */
export interface AnomalyPage {
  /** Rows, by confidence descending then id descending. */
  items: AnomalyRecord[];
  /** Pass as `after` to get the next page; `undefined` on the last page. */
  next?: AnomalyCursor;
}

/** A survey with everything derived from it. */
export interface SurveyLineage {
  /** The survey. */
  survey: SurveyRecord;
  /** Its grids, by id. */
  grids: GridRecord[];
  /** Models of those grids, by id. */
  models: ModelRecord[];
  /** Anomalies of those models, by confidence descending (at most `maxAnomalies`). */
  anomalies: AnomalyRecord[];
  /** Total anomalies of those models (may exceed `anomalies.length`). */
  anomalyCount: number;
  /** Source manifest, grid manifests, and the run's manifests of the same modality, by id. */
  manifests: ManifestRecord[];
}
