/**
 * The `anomalies` table: anomalies (bulk insert, keyset-paged bbox query).
 *
 * @module
 */
import { checkBbox } from "../../contracts/mod.ts";
import type { SqlClient } from "../sql_client.ts";
import type { Repository } from "../repository.ts";
import { ANOMALY_COLS, checkId, ENVELOPE, type Queries, toAnomaly } from "./_rows.ts";

/** The repository methods of the `anomalies` table. */
export function anomaliesTable(
  { maybe, client }: Queries,
): Pick<Repository, "insertAnomalies" | "getAnomaly" | "anomaliesInBbox"> {
  return {
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
  };
}

/**
 * The SQL of {@link Repository.anomaliesInBbox} without its LIMIT (parameters `$1..$8`: bbox,
 * minimum confidence, type or null, cursor confidence or null, cursor id or null). Exported so a
 * test can EXPLAIN exactly what the repository runs.
 *
 * @example
 * ```ts
 * import { anomaliesInBboxSql } from "./anomalies.ts";
 * import { openDatabase } from "../database.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     const plan = await db.sql.query(
 *       `EXPLAIN ${anomaliesInBboxSql()} LIMIT 100`,
 *       [0, 0, 1, 1, 0.5, null, null, null],
 *     );
 *     console.log(plan.length > 0);
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function anomaliesInBboxSql(): string {
  return `SELECT ${ANOMALY_COLS} FROM anomalies
     WHERE geom && ${ENVELOPE(1)} AND confidence >= $5
       AND ($6::text IS NULL OR anomaly_type = $6)
       AND ($7::float8 IS NULL OR (confidence, id) < ($7::float8, $8::bigint))
     ORDER BY confidence DESC, id DESC`;
}
