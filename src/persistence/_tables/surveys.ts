/**
 * The `surveys` table: surveys (one ingested dataset of a run).
 *
 * @module
 */
import { checkBbox } from "../../contracts/mod.ts";
import type { Repository } from "../repository.ts";
import { checkId, ENVELOPE, iso, type Queries, SURVEY_COLS, toSurvey } from "./_rows.ts";

/** The repository methods of the `surveys` table. */
export function surveysTable(
  { one, maybe, client }: Queries,
): Pick<Repository, "insertSurvey" | "getSurvey" | "setSurveyStatus"> {
  return {
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
  };
}
