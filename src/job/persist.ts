/**
 * Persisting one modality's results: its survey (with the source manifest), every grid, the
 * QC anomaly model with its anomalies, and the stage records as run metadata. Callers run it
 * inside one transaction per modality ({@linkcode persistModalityAtomically}), so a failure
 * leaves nothing half written and other modalities' rows are untouched.
 *
 * @module
 */
import type { Anomaly, Bbox, ProcessedGrid } from "../contracts/mod.ts";
import {
  createRepository,
  type Database,
  type ManifestInput,
  type Repository,
} from "../persistence/mod.ts";
import type { StageRecord } from "../preprocessing/mod.ts";
import type { LineSummary } from "../formats/mod.ts";
import { valueStatistics } from "../preprocessing/mod.ts";

/** One grid to persist. */
export interface GridToPersist {
  /** Branch path, e.g. `"fine"`. */
  branch: string;
  grid: ProcessedGrid;
  /** Where the grid was written (Zarr path). */
  storageUri: string;
  /** Anomalies the QC stage found on it. */
  anomalies: Anomaly[];
  /** Canonical checksum of the grid. */
  checksum: string;
}

/** What {@linkcode persistModality} stores. */
export interface ModalityToPersist {
  runId: string;
  modality: string;
  bbox: Bbox;
  /** Manifest of the ingested data. */
  manifest: ManifestInput;
  /** Pipeline definition version. */
  pipelineVersion: string;
  grids: GridToPersist[];
  stages: StageRecord[];
  /** Provenance of the ingestion (request, plugin identity, fetches, cache decision). */
  ingestion?: unknown;
  /** The survey's flight lines, in code order (stored in `survey_lines`). */
  lines?: readonly LineSummary[];
  /** CRS the survey's coordinates were delivered in, when not EPSG:4326. */
  sourceCrs?: string;
}

/** Ids of what was stored. */
export interface PersistedIds {
  surveyId: number;
  gridIds: number[];
  anomalyCount: number;
}

/**
 * Stores a modality's survey, grids, anomalies and stage metadata.
 *
 * @example Usage
 * ```ts
 * import { persistModality } from "./persist.ts";
 * // const ids = await persistModality(db.repo, { runId, modality, bbox, manifest, pipelineVersion, grids, stages });
 * ```
 */
export async function persistModality(
  repo: Repository,
  m: ModalityToPersist,
): Promise<PersistedIds> {
  const manifest = await repo.upsertManifest({ ...m.manifest, runId: m.runId });
  const survey = await repo.insertSurvey({
    modality: m.modality,
    bbox: m.bbox,
    runId: m.runId,
    sourceManifestId: manifest.id,
    ingestStatus: "ingested",
    sourceCrs: m.sourceCrs ?? null,
  });
  if (m.lines && m.lines.length > 0) await repo.insertSurveyLines(survey.id, m.lines);
  const gridIds: number[] = [];
  let anomalyCount = 0;
  for (const g of m.grids) {
    const { lon, lat } = g.grid;
    const stats = valueStatistics(g.grid.values);
    const row = await repo.insertGrid({
      surveyId: survey.id,
      gridVersion: `${m.pipelineVersion}/${g.branch}`,
      resolutionDeg: g.grid.resolution.lon,
      storageUri: g.storageUri,
      stats: {
        ...stats,
        checksum: g.checksum,
        nx: lon.length,
        ny: lat.length,
        units: g.grid.units,
      },
      bbox: [lon[0], lat[0], lon[lon.length - 1], lat[lat.length - 1]],
    });
    gridIds.push(row.id);
    if (g.anomalies.length > 0) {
      const model = await repo.insertModel({
        gridId: row.id,
        modelType: "qc-anomaly-flags",
        meshConfig: { branch: g.branch },
        storageUri: g.storageUri,
      });
      anomalyCount += await repo.insertAnomalies(model.id, g.anomalies);
    }
  }
  await repo.putMetadata(m.runId, `stages/${m.modality}`, m.stages);
  if (m.ingestion !== undefined) {
    await repo.putMetadata(m.runId, `ingestion/${m.modality}`, m.ingestion);
  }
  return { surveyId: survey.id, gridIds, anomalyCount };
}

/**
 * {@linkcode persistModality} inside one transaction of `db`.
 *
 * @example Usage
 * ```ts
 * import { persistModalityAtomically } from "./persist.ts";
 * // await persistModalityAtomically(db, modalityResult);
 * ```
 */
export function persistModalityAtomically(
  db: Database,
  m: ModalityToPersist,
): Promise<PersistedIds> {
  return db.sql.transaction((tx) => persistModality(createRepository(tx), m));
}
