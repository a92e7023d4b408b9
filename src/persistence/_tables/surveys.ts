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
): Pick<
  Repository,
  "insertSurvey" | "getSurvey" | "setSurveyStatus" | "insertSurveyLines" | "surveyLines"
> {
  return {
    insertSurvey(s) {
      const b = checkBbox(s.bbox, "insertSurvey bbox");
      const acq = s.acquisition ?? null;
      return one(
        `INSERT INTO surveys (run_id, modality, bbox, source_manifest_id, acquisition, ingest_status,
           source_crs)
         VALUES ($1, $2, ${ENVELOPE(3)}, $7,
           CASE WHEN $8::boolean THEN tstzrange($9::timestamptz, $10::timestamptz, '[)') END,
           COALESCE($11, 'pending'), $12)
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
          s.sourceCrs ?? null,
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
    async insertSurveyLines(surveyId, lines) {
      checkId(surveyId, "survey id");
      lines.forEach((l, i) => {
        if (typeof l.name !== "string" || l.name === "") {
          throw new RangeError(`insertSurveyLines: lines[${i}].name must be a non-empty text`);
        }
        if (!Number.isInteger(l.readings) || l.readings < 0) {
          throw new RangeError(
            `insertSurveyLines: lines[${i}].readings must be an integer >= 0, got ${l.readings}`,
          );
        }
      });
      if (lines.length === 0) return 0;
      const rows = lines.map((l, code) => ({
        code,
        name: l.name,
        kind: l.kind ?? null,
        readings: l.readings,
      }));
      await client.query(
        `INSERT INTO survey_lines (survey_id, code, name, kind, readings)
         SELECT $1, r.code, r.name, r.kind, r.readings
         FROM jsonb_to_recordset($2::text::jsonb)
              AS r(code integer, name text, kind text, readings bigint)`,
        [surveyId, JSON.stringify(rows)],
        "insertSurveyLines",
      );
      return lines.length;
    },
    async surveyLines(surveyId) {
      const rows = await client.query(
        "SELECT code, name, kind, readings FROM survey_lines WHERE survey_id = $1 ORDER BY code",
        [checkId(surveyId, "survey id")],
        "surveyLines",
      );
      return rows.map((r) => ({
        code: Number(r.code),
        name: String(r.name),
        kind: (r.kind ?? null) as "line" | "tie" | null,
        readings: Number(r.readings),
      }));
    },
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
