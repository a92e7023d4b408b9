/**
 * The `models` table: inversion models.
 *
 * @module
 */
import type { Repository } from "../repository.ts";
import { checkId, json, MODEL_COLS, type Queries, toModel } from "./_rows.ts";

/** The repository methods of the `models` table. */
export function modelsTable({ one, maybe }: Queries): Pick<Repository, "insertModel" | "getModel"> {
  return {
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
  };
}
