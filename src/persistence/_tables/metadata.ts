/**
 * The `metadata` table: free-form run metadata.
 *
 * @module
 */
import type { Repository } from "../repository.ts";
import { type Queries, toMetadata } from "./_rows.ts";

/** The repository methods of the `metadata` table. */
export function metadataTable(
  { one, client }: Queries,
): Pick<Repository, "putMetadata" | "listMetadata"> {
  return {
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
  };
}
