/**
 * Lineage: a survey with everything derived from it (reads several tables).
 *
 * @module
 */
import type { Repository } from "../repository.ts";
import {
  ANOMALY_COLS,
  checkId,
  GRID_COLS,
  MANIFEST_COLS,
  MODEL_COLS,
  n,
  type Queries,
  SURVEY_COLS,
  toAnomaly,
  toGrid,
  toManifest,
  toModel,
  toSurvey,
} from "./_rows.ts";

/** The repository methods of lineage. */
export function lineageQueries({ maybe, client }: Queries): Pick<Repository, "surveyLineage"> {
  return {
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
