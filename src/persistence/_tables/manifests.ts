/**
 * The `manifests` table: cache entry manifests.
 *
 * @module
 */
import type { Repository } from "../repository.ts";
import { checkId, iso, json, MANIFEST_COLS, type Queries, toManifest } from "./_rows.ts";

/** The repository methods of the `manifests` table. */
export function manifestsTable(
  { one, maybe }: Queries,
): Pick<Repository, "upsertManifest" | "getManifest"> {
  return {
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
  };
}
