/**
 * Row mapping and query helpers shared by the table files (internal).
 *
 * @module
 */
import type { Bbox } from "../../contracts/mod.ts";
import type { SqlClient } from "../sql_client.ts";
import type {
  AnomalyRecord,
  GridRecord,
  ManifestRecord,
  MetadataRecord,
  ModelRecord,
  RunRecord,
  SurveyRecord,
} from "../records.ts";

export const n = (v: unknown): number => Number(v);
export const nn = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const d = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
export const dn = (v: unknown): Date | null => (v === null || v === undefined ? null : d(v));
export const iso = (v: Date | null | undefined): string | null => (v ? v.toISOString() : null);
export const json = (v: unknown): string => JSON.stringify(v ?? {});
// deno-lint-ignore no-explicit-any
export type R = Record<string, any>;

export const BBOX_COLS = (col: string) =>
  `ST_XMin(${col}) AS min_lon, ST_YMin(${col}) AS min_lat, ST_XMax(${col}) AS max_lon, ST_YMax(${col}) AS max_lat`;
export const ENVELOPE = (i: number) =>
  `ST_MakeEnvelope($${i}, $${i + 1}, $${i + 2}, $${i + 3}, 4326)`;
export const bboxOf = (r: R): Bbox => [n(r.min_lon), n(r.min_lat), n(r.max_lon), n(r.max_lat)];

export const RUN_COLS =
  "id, status, started_at, finished_at, config_hash, owner_host, owner_pid, " +
  "owner_process_start, owner_instance, heartbeat_at, status_detail";
export const toRun = (r: R): RunRecord => ({
  id: r.id,
  status: r.status,
  startedAt: d(r.started_at),
  finishedAt: dn(r.finished_at),
  configHash: r.config_hash ?? null,
  owner: r.owner_host === null || r.owner_host === undefined ? null : {
    host: r.owner_host,
    pid: n(r.owner_pid),
    processStart: r.owner_process_start ?? null,
    instance: r.owner_instance ?? null,
  },
  heartbeatAt: dn(r.heartbeat_at),
  statusDetail: r.status_detail ?? null,
});

export const MANIFEST_COLS =
  "id, kind, cache_key, modality, source, plugin_id, plugin_version, checksum_sha256, size_bytes, " +
  "licence, citation, retrieved_at, expires_at, pinned, cache_path, extra, run_id, created_at";
export const toManifest = (r: R): ManifestRecord => ({
  id: n(r.id),
  kind: r.kind,
  cacheKey: r.cache_key,
  modality: r.modality,
  source: r.source,
  pluginId: r.plugin_id ?? null,
  pluginVersion: r.plugin_version ?? null,
  checksumSha256: r.checksum_sha256,
  sizeBytes: n(r.size_bytes),
  licence: r.licence ?? null,
  citation: r.citation ?? null,
  retrievedAt: d(r.retrieved_at),
  expiresAt: dn(r.expires_at),
  pinned: r.pinned,
  cachePath: r.cache_path,
  extra: r.extra,
  runId: r.run_id ?? null,
  createdAt: d(r.created_at),
});

export const SURVEY_COLS = `id, run_id, modality, ${BBOX_COLS("bbox")}, source_manifest_id, ` +
  "acquisition IS NULL AS no_acq, lower(acquisition) AS acq_start, upper(acquisition) AS acq_end, " +
  "ingest_status, source_crs, created_at";
export const toSurvey = (r: R): SurveyRecord => ({
  id: n(r.id),
  modality: r.modality,
  bbox: bboxOf(r),
  runId: r.run_id ?? null,
  sourceManifestId: nn(r.source_manifest_id),
  acquisition: r.no_acq ? null : { start: dn(r.acq_start), end: dn(r.acq_end) },
  ingestStatus: r.ingest_status,
  sourceCrs: r.source_crs ?? null,
  createdAt: d(r.created_at),
});

export const GRID_COLS = `id, survey_id, grid_version, resolution_deg, storage_uri, stats, ${
  BBOX_COLS("grid_bbox")
}, manifest_id, created_at`;
export const toGrid = (r: R): GridRecord => ({
  id: n(r.id),
  surveyId: n(r.survey_id),
  gridVersion: r.grid_version,
  resolutionDeg: n(r.resolution_deg),
  storageUri: r.storage_uri,
  stats: r.stats,
  bbox: bboxOf(r),
  manifestId: nn(r.manifest_id),
  createdAt: d(r.created_at),
});

export const MODEL_COLS = "id, grid_id, model_type, mesh_config, storage_uri, created_at";
export const toModel = (r: R): ModelRecord => ({
  id: n(r.id),
  gridId: n(r.grid_id),
  modelType: r.model_type,
  meshConfig: r.mesh_config,
  storageUri: r.storage_uri ?? null,
  createdAt: d(r.created_at),
});

export const ANOMALY_COLS =
  "id, model_id, ST_X(geom) AS lon, ST_Y(geom) AS lat, ST_Z(geom) AS depth, confidence, anomaly_type, attributes";
export const toAnomaly = (r: R): AnomalyRecord => ({
  id: n(r.id),
  modelId: n(r.model_id),
  lon: n(r.lon),
  lat: n(r.lat),
  depth: n(r.depth),
  confidence: n(r.confidence),
  type: r.anomaly_type,
  attributes: r.attributes,
});

export const toMetadata = (r: R): MetadataRecord => ({
  id: n(r.id),
  runId: r.run_id,
  key: r.key,
  value: r.value,
  createdAt: d(r.created_at),
});

export function checkId(id: unknown, what: string): number {
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) {
    throw new TypeError(`${what} must be a positive integer id, got ${JSON.stringify(id)}`);
  }
  return id;
}

/** The client and the two query shapes every table file uses. */
export interface Queries {
  /** The client (a server pool, PGlite, or a transaction). */
  client: SqlClient;
  /** Runs `text` and maps its first row. */
  one<T>(text: string, params: unknown[], op: string, map: (r: R) => T): Promise<T>;
  /** Runs `text` and maps its first row, or `undefined` when there is none. */
  maybe<T>(text: string, params: unknown[], op: string, map: (r: R) => T): Promise<T | undefined>;
}

/** The {@linkcode Queries} over `client`. */
export function queries(client: SqlClient): Queries {
  return {
    client,
    async one(text, params, op, map) {
      const rows = await client.query(text, params, op);
      return map(rows[0]);
    },
    async maybe(text, params, op, map) {
      const rows = await client.query(text, params, op);
      return rows.length ? map(rows[0]) : undefined;
    },
  };
}
