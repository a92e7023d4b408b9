/**
 * Typed, parameterised data access for GAM's tables, written once against {@link SqlClient} so
 * that it runs unchanged on a PostgreSQL server and on embedded PGlite.
 *
 * @module
 */
import { type Anomaly, type Bbox, checkBbox } from "../contracts/mod.ts";
import type { SqlClient } from "./sql_client.ts";
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
 * ```ts ignore
 * const repo = createRepository(client);
 * const s = await repo.insertSurvey({ modality: "gravity", bbox: [16, -35, 33, -22] });
 * const grids = await repo.gridsInBbox([20, -30, 21, -29]);
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
  /** Runs in status `running`, oldest first, with the seconds since their last heartbeat. */
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
  /** Inserts a grid. */
  insertGrid(input: GridInput): Promise<GridRecord>;
  /** A grid by id. */
  getGrid(id: number): Promise<GridRecord | undefined>;
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

const n = (v: unknown): number => Number(v);
const nn = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const d = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const dn = (v: unknown): Date | null => (v === null || v === undefined ? null : d(v));
const iso = (v: Date | null | undefined): string | null => (v ? v.toISOString() : null);
const json = (v: unknown): string => JSON.stringify(v ?? {});
// deno-lint-ignore no-explicit-any
type R = Record<string, any>;

const BBOX_COLS = (col: string) =>
  `ST_XMin(${col}) AS min_lon, ST_YMin(${col}) AS min_lat, ST_XMax(${col}) AS max_lon, ST_YMax(${col}) AS max_lat`;
const ENVELOPE = (i: number) => `ST_MakeEnvelope($${i}, $${i + 1}, $${i + 2}, $${i + 3}, 4326)`;
const bboxOf = (r: R): Bbox => [n(r.min_lon), n(r.min_lat), n(r.max_lon), n(r.max_lat)];

const RUN_COLS = "id, status, started_at, finished_at, config_hash, owner_host, owner_pid, " +
  "owner_process_start, owner_instance, heartbeat_at, status_detail";
const toRun = (r: R): RunRecord => ({
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

const MANIFEST_COLS =
  "id, kind, cache_key, modality, source, plugin_id, plugin_version, checksum_sha256, size_bytes, " +
  "licence, citation, retrieved_at, expires_at, pinned, cache_path, extra, run_id, created_at";
const toManifest = (r: R): ManifestRecord => ({
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

const SURVEY_COLS = `id, run_id, modality, ${BBOX_COLS("bbox")}, source_manifest_id, ` +
  "acquisition IS NULL AS no_acq, lower(acquisition) AS acq_start, upper(acquisition) AS acq_end, " +
  "ingest_status, created_at";
const toSurvey = (r: R): SurveyRecord => ({
  id: n(r.id),
  modality: r.modality,
  bbox: bboxOf(r),
  runId: r.run_id ?? null,
  sourceManifestId: nn(r.source_manifest_id),
  acquisition: r.no_acq ? null : { start: dn(r.acq_start), end: dn(r.acq_end) },
  ingestStatus: r.ingest_status,
  createdAt: d(r.created_at),
});

const GRID_COLS = `id, survey_id, grid_version, resolution_deg, storage_uri, stats, ${
  BBOX_COLS("grid_bbox")
}, manifest_id, created_at`;
const toGrid = (r: R): GridRecord => ({
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

const MODEL_COLS = "id, grid_id, model_type, mesh_config, storage_uri, created_at";
const toModel = (r: R): ModelRecord => ({
  id: n(r.id),
  gridId: n(r.grid_id),
  modelType: r.model_type,
  meshConfig: r.mesh_config,
  storageUri: r.storage_uri ?? null,
  createdAt: d(r.created_at),
});

const ANOMALY_COLS =
  "id, model_id, ST_X(geom) AS lon, ST_Y(geom) AS lat, ST_Z(geom) AS depth, confidence, anomaly_type, attributes";
const toAnomaly = (r: R): AnomalyRecord => ({
  id: n(r.id),
  modelId: n(r.model_id),
  lon: n(r.lon),
  lat: n(r.lat),
  depth: n(r.depth),
  confidence: n(r.confidence),
  type: r.anomaly_type,
  attributes: r.attributes,
});

const toMetadata = (r: R): MetadataRecord => ({
  id: n(r.id),
  runId: r.run_id,
  key: r.key,
  value: r.value,
  createdAt: d(r.created_at),
});

function checkId(id: unknown, what: string): number {
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) {
    throw new TypeError(`${what} must be a positive integer id, got ${JSON.stringify(id)}`);
  }
  return id;
}

/**
 * Creates the {@link Repository} over a client (a server pool, PGlite, or a transaction).
 *
 * @example
 * ```ts ignore
 * const db = await openDatabase({ dataDir: "out/db" });
 * const repo = createRepository(db.sql);
 * await repo.createRun({ id: "run-1" });
 * ```
 */
export function createRepository(client: SqlClient): Repository {
  const one = async <T>(
    text: string,
    params: unknown[],
    op: string,
    map: (r: R) => T,
  ): Promise<T> => {
    const rows = await client.query(text, params, op);
    return map(rows[0]);
  };
  const maybe = async <T>(text: string, params: unknown[], op: string, map: (r: R) => T) => {
    const rows = await client.query(text, params, op);
    return rows.length ? map(rows[0]) : undefined;
  };

  return {
    createRun: ({ id, configHash, startedAt, owner }) =>
      one(
        `INSERT INTO runs (id, config_hash, started_at, owner_host, owner_pid, owner_process_start,
           owner_instance, heartbeat_at)
         VALUES ($1, $2, COALESCE($3::timestamptz, now()), $4, $5::integer, $6, $7,
           CASE WHEN $4::text IS NULL THEN NULL ELSE now() END)
         RETURNING ${RUN_COLS}`,
        [
          id,
          configHash ?? null,
          iso(startedAt),
          owner?.host ?? null,
          owner?.pid ?? null,
          owner?.processStart ?? null,
          owner?.instance ?? null,
        ],
        "createRun",
        toRun,
      ),
    async heartbeatRun(id) {
      const rows = await client.query(
        "UPDATE runs SET heartbeat_at = now() WHERE id = $1 AND status = 'running' RETURNING id",
        [id],
        "heartbeatRun",
      );
      return rows.length === 1;
    },
    runningRuns: async () =>
      (await client.query(
        `SELECT ${RUN_COLS},
           EXTRACT(EPOCH FROM now() - COALESCE(heartbeat_at, started_at))::float8 AS silent_seconds
         FROM runs WHERE status = 'running' ORDER BY started_at, id`,
        [],
        "runningRuns",
      )).map((r) => ({ ...toRun(r), silentSeconds: Math.max(0, n(r.silent_seconds)) })),
    async interruptRun(id, detail, options = {}) {
      const rows = await client.query(
        `UPDATE runs SET status = 'interrupted', finished_at = GREATEST(now(), started_at),
           status_detail = $2
         WHERE id = $1 AND status = 'running'
           AND ($3::float8 IS NULL
             OR COALESCE(heartbeat_at, started_at) <= now() - make_interval(secs => $3::float8))
         RETURNING id`,
        [id, detail, options.silentSeconds ?? null],
        "interruptRun",
      );
      return rows.length === 1;
    },
    async finishRun(id, status, finishedAt) {
      const run = await maybe(
        `UPDATE runs SET status = $2, finished_at = COALESCE($3::timestamptz, now()),
           status_detail = NULL
         WHERE id = $1 RETURNING ${RUN_COLS}`,
        [id, status, iso(finishedAt)],
        "finishRun",
        toRun,
      );
      if (!run) throw new RangeError(`finishRun: no run with id "${id}"`);
      return run;
    },
    getRun: (id) => maybe(`SELECT ${RUN_COLS} FROM runs WHERE id = $1`, [id], "getRun", toRun),

    upsertManifest: (m) =>
      one(
        `INSERT INTO manifests (kind, cache_key, modality, source, plugin_id, plugin_version,
           checksum_sha256, size_bytes, licence, citation, retrieved_at, expires_at, pinned,
           cache_path, extra, run_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::timestamptz, $12::timestamptz, $13,
           $14, $15::text::jsonb, $16)
         ON CONFLICT ON CONSTRAINT manifests_entry_unique DO UPDATE SET
           expires_at = EXCLUDED.expires_at, pinned = EXCLUDED.pinned,
           cache_path = EXCLUDED.cache_path, extra = EXCLUDED.extra,
           run_id = COALESCE(EXCLUDED.run_id, manifests.run_id)
         RETURNING ${MANIFEST_COLS}`,
        [
          m.kind,
          m.cacheKey,
          m.modality,
          m.source,
          m.pluginId ?? null,
          m.pluginVersion ?? null,
          m.checksumSha256,
          m.sizeBytes,
          m.licence ?? null,
          m.citation ?? null,
          iso(m.retrievedAt),
          iso(m.expiresAt),
          m.pinned ?? false,
          m.cachePath,
          json(m.extra),
          m.runId ?? null,
        ],
        "upsertManifest",
        toManifest,
      ),
    getManifest: (id) =>
      maybe(
        `SELECT ${MANIFEST_COLS} FROM manifests WHERE id = $1`,
        [checkId(id, "manifest id")],
        "getManifest",
        toManifest,
      ),

    insertSurvey(s) {
      const b = checkBbox(s.bbox, "insertSurvey bbox");
      const acq = s.acquisition ?? null;
      return one(
        `INSERT INTO surveys (run_id, modality, bbox, source_manifest_id, acquisition, ingest_status)
         VALUES ($1, $2, ${ENVELOPE(3)}, $7,
           CASE WHEN $8::boolean THEN tstzrange($9::timestamptz, $10::timestamptz, '[)') END,
           COALESCE($11, 'pending'))
         RETURNING ${SURVEY_COLS}`,
        [
          s.runId ?? null,
          s.modality,
          ...b,
          s.sourceManifestId ?? null,
          acq !== null,
          iso(acq?.start),
          iso(acq?.end),
          s.ingestStatus ?? null,
        ],
        "insertSurvey",
        toSurvey,
      );
    },
    getSurvey: (id) =>
      maybe(
        `SELECT ${SURVEY_COLS} FROM surveys WHERE id = $1`,
        [checkId(id, "survey id")],
        "getSurvey",
        toSurvey,
      ),
    async setSurveyStatus(id, status) {
      const rows = await client.query(
        "UPDATE surveys SET ingest_status = $2 WHERE id = $1 RETURNING id",
        [checkId(id, "survey id"), status],
        "setSurveyStatus",
      );
      if (!rows.length) throw new RangeError(`setSurveyStatus: no survey with id ${id}`);
    },

    insertGrid(g) {
      const b = checkBbox(g.bbox, "insertGrid bbox");
      return one(
        `INSERT INTO grids (survey_id, grid_version, resolution_deg, storage_uri, stats, grid_bbox, manifest_id)
         VALUES ($1, $2, $3, $4, $5::text::jsonb, ${ENVELOPE(6)}, $10)
         RETURNING ${GRID_COLS}`,
        [
          checkId(g.surveyId, "surveyId"),
          g.gridVersion,
          g.resolutionDeg,
          g.storageUri,
          json(g.stats),
          ...b,
          g.manifestId ?? null,
        ],
        "insertGrid",
        toGrid,
      );
    },
    getGrid: (id) =>
      maybe(
        `SELECT ${GRID_COLS} FROM grids WHERE id = $1`,
        [checkId(id, "grid id")],
        "getGrid",
        toGrid,
      ),

    insertModel: (m) =>
      one(
        `INSERT INTO models (grid_id, model_type, mesh_config, storage_uri) VALUES ($1, $2, $3::text::jsonb, $4)
         RETURNING ${MODEL_COLS}`,
        [checkId(m.gridId, "gridId"), m.modelType, json(m.meshConfig), m.storageUri ?? null],
        "insertModel",
        toModel,
      ),
    getModel: (id) =>
      maybe(
        `SELECT ${MODEL_COLS} FROM models WHERE id = $1`,
        [checkId(id, "model id")],
        "getModel",
        toModel,
      ),

    async insertAnomalies(modelId, anomalies, options = {}) {
      checkId(modelId, "modelId");
      const batchSize = options.batchSize ?? 10_000;
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        throw new RangeError(
          `insertAnomalies: batchSize must be an integer >= 1, got ${batchSize}`,
        );
      }
      // JSON cannot carry NaN or Infinity: reject them here with the row index.
      anomalies.forEach((a, i) => {
        for (const field of ["lon", "lat", "depth", "confidence"] as const) {
          if (typeof a[field] !== "number" || !Number.isFinite(a[field])) {
            throw new RangeError(
              `insertAnomalies: anomalies[${i}].${field} must be a finite number, got ${
                String(a[field])
              }`,
            );
          }
        }
      });
      if (anomalies.length === 0) return 0;
      const text = `INSERT INTO anomalies (model_id, geom, confidence, anomaly_type, attributes)
        SELECT $1, ST_SetSRID(ST_MakePoint(r.lon, r.lat, r.depth), 4326), r.confidence, r.type,
               COALESCE(r.attributes, '{}'::jsonb)
        FROM jsonb_to_recordset($2::text::jsonb)
             AS r(lon float8, lat float8, depth float8, confidence float8, type text, attributes jsonb)`;
      const run = async (tx: SqlClient) => {
        for (let i = 0; i < anomalies.length; i += batchSize) {
          const batch = anomalies.slice(i, i + batchSize).map((a) => ({
            lon: a.lon,
            lat: a.lat,
            depth: a.depth,
            confidence: a.confidence,
            type: a.type,
            attributes: a.attributes ?? {},
          }));
          await tx.query(text, [modelId, JSON.stringify(batch)], "insertAnomalies");
        }
      };
      if (anomalies.length <= batchSize) await run(client);
      else await client.transaction(run);
      // Fresh planner statistics so the first bbox query after a big load uses the GiST index.
      if (anomalies.length >= 10_000) {
        await client.exec("ANALYZE anomalies", "insertAnomalies (analyze)");
      }
      return anomalies.length;
    },
    getAnomaly: (id) =>
      maybe(
        `SELECT ${ANOMALY_COLS} FROM anomalies WHERE id = $1`,
        [checkId(id, "anomaly id")],
        "getAnomaly",
        toAnomaly,
      ),

    putMetadata: (runId, key, value) =>
      one(
        `INSERT INTO metadata (run_id, key, value) VALUES ($1, $2, $3::text::jsonb)
         RETURNING id, run_id, key, value, created_at`,
        [runId, key, JSON.stringify(value === undefined ? null : value)],
        "putMetadata",
        toMetadata,
      ),
    async listMetadata(runId, key) {
      const rows = await client.query(
        `SELECT id, run_id, key, value, created_at FROM metadata
         WHERE run_id = $1 AND ($2::text IS NULL OR key = $2) ORDER BY created_at, id`,
        [runId, key ?? null],
        "listMetadata",
      );
      return rows.map(toMetadata);
    },

    async gridsInBbox(bbox, options = {}) {
      const b = checkBbox(bbox, "gridsInBbox bbox");
      const rows = await client.query(
        `SELECT ${GRID_COLS} FROM grids
         WHERE ST_Intersects(grid_bbox, ${ENVELOPE(1)})
           AND ($5::text IS NULL OR survey_id IN (SELECT id FROM surveys WHERE modality = $5))
         ORDER BY id`,
        [...b, options.modality ?? null],
        "gridsInBbox",
      );
      return rows.map(toGrid);
    },

    async anomaliesInBbox(bbox, options = {}) {
      const b = checkBbox(bbox, "anomaliesInBbox bbox");
      const limit = options.limit ?? 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
        throw new RangeError(
          `anomaliesInBbox: limit must be an integer in [1, 10000], got ${limit}`,
        );
      }
      const minConfidence = options.minConfidence ?? 0;
      if (!Number.isFinite(minConfidence)) {
        throw new RangeError(
          `anomaliesInBbox: minConfidence must be a finite number, got ${minConfidence}`,
        );
      }
      const after = options.after;
      const rows = await client.query(
        `${anomaliesInBboxSql()} LIMIT $9`,
        [
          ...b,
          minConfidence,
          options.anomalyType ?? null,
          after ? after.confidence : null,
          after ? checkId(after.id, "after.id") : null,
          limit + 1,
        ],
        "anomaliesInBbox",
      );
      const items = rows.slice(0, limit).map(toAnomaly);
      const last = items.at(-1);
      return rows.length > limit && last
        ? { items, next: { confidence: last.confidence, id: last.id } }
        : { items };
    },

    async surveyLineage(surveyId, options = {}) {
      const maxAnomalies = options.maxAnomalies ?? 10_000;
      const survey = await maybe(
        `SELECT ${SURVEY_COLS} FROM surveys WHERE id = $1`,
        [checkId(surveyId, "survey id")],
        "surveyLineage",
        toSurvey,
      );
      if (!survey) return undefined;
      const grids = (await client.query(
        `SELECT ${GRID_COLS} FROM grids WHERE survey_id = $1 ORDER BY id`,
        [surveyId],
        "surveyLineage",
      )).map(toGrid);
      const gridIds = grids.map((g) => g.id);
      const models = (await client.query(
        `SELECT ${MODEL_COLS} FROM models WHERE grid_id = ANY($1::bigint[]) ORDER BY id`,
        [gridIds],
        "surveyLineage",
      )).map(toModel);
      const modelIds = models.map((m) => m.id);
      const anomalies = (await client.query(
        `SELECT ${ANOMALY_COLS} FROM anomalies WHERE model_id = ANY($1::bigint[])
         ORDER BY confidence DESC, id DESC LIMIT $2`,
        [modelIds, maxAnomalies],
        "surveyLineage",
      )).map(toAnomaly);
      const [{ count }] = await client.query(
        "SELECT count(*) AS count FROM anomalies WHERE model_id = ANY($1::bigint[])",
        [modelIds],
        "surveyLineage",
      );
      const manifestIds = [survey.sourceManifestId, ...grids.map((g) => g.manifestId)].filter(
        (x): x is number => x !== null,
      );
      const manifests = (await client.query(
        `SELECT ${MANIFEST_COLS} FROM manifests
         WHERE id = ANY($1::bigint[]) OR (run_id = $2 AND modality = $3) ORDER BY id`,
        [manifestIds, survey.runId, survey.modality],
        "surveyLineage",
      )).map(toManifest);
      return { survey, grids, models, anomalies, anomalyCount: n(count), manifests };
    },
  };
}

/**
 * The SQL of {@link Repository.anomaliesInBbox} without its LIMIT (parameters `$1..$8`: bbox,
 * minimum confidence, type or null, cursor confidence or null, cursor id or null). Exported so a
 * test can EXPLAIN exactly what the repository runs.
 *
 * @example
 * ```ts ignore
 * await client.query(`EXPLAIN ${anomaliesInBboxSql()} LIMIT 100`, [0, 0, 1, 1, 0.5, null, null, null]);
 * ```
 */
export function anomaliesInBboxSql(): string {
  return `SELECT ${ANOMALY_COLS} FROM anomalies
     WHERE geom && ${ENVELOPE(1)} AND confidence >= $5
       AND ($6::text IS NULL OR anomaly_type = $6)
       AND ($7::float8 IS NULL OR (confidence, id) < ($7::float8, $8::bigint))
     ORDER BY confidence DESC, id DESC`;
}
