/**
 * The `grids` table: processed grids and their footprints.
 *
 * @module
 */
import { checkBbox } from "../../contracts/mod.ts";
import type { Repository } from "../repository.ts";
import { checkId, ENVELOPE, GRID_COLS, json, type Queries, toGrid } from "./_rows.ts";

/** The repository methods of the `grids` table. */
export function gridsTable(
  { one, maybe, client }: Queries,
): Pick<Repository, "insertGrid" | "getGrid" | "gridsInBbox" | "replaceStorageUri"> {
  return {
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
    async replaceStorageUri(from, to) {
      const grids = await client.query(
        "UPDATE grids SET storage_uri = $2 WHERE storage_uri = $1 RETURNING id",
        [from, to],
        "replaceStorageUri",
      );
      const models = await client.query(
        "UPDATE models SET storage_uri = $2 WHERE storage_uri = $1 RETURNING id",
        [from, to],
        "replaceStorageUri",
      );
      return grids.length + models.length;
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
  };
}
