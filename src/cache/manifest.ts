/**
 * Manifest records: for every fetch and every processed grid the cache stores, where the data
 * came from, under which terms, its canonical checksum and where it is cached. Written as JSON
 * under `<outputDir>/manifest/<entry path>.json` (atomically: temporary file, then rename); the
 * persistence layer stores the same records in its `manifests` table through
 * {@linkcode ManifestRecordSchema}.
 *
 * @module
 */
import { z } from "zod";
import { writeFileAtomic } from "../fs/mod.ts";

/**
 * The manifest record schema (zod 4). Times are ISO 8601 with offset; sizes in bytes.
 *
 * @example Usage
 * ```ts
 * import { ManifestRecordSchema } from "./manifest.ts";
 * ManifestRecordSchema.safeParse({}).success; // false
 * ```
 */
export const ManifestRecordSchema = z.strictObject({
  /** Manifest format version. */
  manifestVersion: z.literal(1),
  /** Cache entry path, e.g. `ingestion/gravity/<key>`; unique per record. */
  id: z.string().min(1),
  /** `ingestion` (fetched `RawData`) or `preprocessing` (a `ProcessedGrid`). */
  layer: z.enum(["ingestion", "preprocessing"]),
  /** Modality, e.g. `gravity`. */
  modality: z.string().min(1),
  /** The cache key: the ingestion key, or `<bbox_hash>/v<semver>` for grids. */
  key: z.string().min(1),
  /** `points` or `grid`. */
  kind: z.enum(["points", "grid"]),
  /** Plugin id that fetched the data (for grids: of the raw data they came from), if known. */
  plugin: z.string().optional(),
  /** That plugin's version. */
  pluginVersion: z.string().optional(),
  /** URL the data was read from, if any. */
  sourceUrl: z.string().optional(),
  /** Pipeline definition version (preprocessing entries). */
  pipelineVersion: z.string().optional(),
  /** Canonical checksum of the arrays, `sha256:<hex>` (independent of chunks and codecs). */
  checksum: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  /** Bytes of the cache entry on disk. */
  sizeBytes: z.number().int().nonnegative(),
  /** Licence of the data. */
  licence: z.string().min(1),
  /** How to cite the data. */
  citation: z.string().min(1),
  /** Units of the values. */
  units: z.string().min(1),
  /** CRS of the coordinates. */
  crs: z.string().min(1),
  /** Bbox `[minLon, minLat, maxLon, maxLat]` requested or covered, degrees. */
  bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]).optional(),
  /** When the data was retrieved from its source (grids: when they were computed). */
  retrievedAt: z.iso.datetime({ offset: true }),
  /** When the cache entry was written. */
  cachedAt: z.iso.datetime({ offset: true }),
  /** When the entry stops being fresh (after it, it is refetched but kept as stale fallback). */
  expiresAt: z.iso.datetime({ offset: true }),
  /** Pinned entries are never evicted. */
  pinned: z.boolean(),
  /** Chunk codec used. */
  compression: z.enum(["none", "gzip", "zstd"]),
  /** Folder of the cache entry (a Zarr v3 group). */
  cachePath: z.string().min(1),
});

/**
 * A manifest record. See {@linkcode ManifestRecordSchema}.
 *
 * @example Usage
 * ```ts
 * import type { ManifestRecord } from "./manifest.ts";
 * const pinned = (r: ManifestRecord) => r.pinned;
 * ```
 */
export type ManifestRecord = z.infer<typeof ManifestRecordSchema>;

/**
 * The file a record is written to: `<outputDir>/manifest/<id>.json`.
 *
 * @param outputDir The run output folder.
 * @param id The record's `id` (cache entry path).
 *
 * @example Usage
 * ```ts
 * import { manifestPath } from "./manifest.ts";
 * manifestPath("out", "ingestion/gravity/ab12"); // "out/manifest/ingestion/gravity/ab12.json"
 * ```
 */
export function manifestPath(outputDir: string, id: string): string {
  return `${outputDir.replace(/\/+$/, "")}/manifest/${id}.json`;
}

/**
 * Validates `record` and writes it as pretty JSON to {@linkcode manifestPath} atomically
 * (temporary file in the same folder, then rename). Returns the file path.
 *
 * @param outputDir The run output folder.
 * @param record The record; rejected with a `z.ZodError` when it does not match the schema.
 *
 * @example Usage
 * ```ts
 * import { type ManifestRecord, writeManifest } from "./manifest.ts";
 * const record: ManifestRecord = {
 *   manifestVersion: 1, id: "ingestion/gravity/ab12", layer: "ingestion", modality: "gravity",
 *   key: "ab12", kind: "points", checksum: `sha256:${"0".repeat(64)}`, sizeBytes: 1024,
 *   licence: "CC-BY-4.0", citation: "Example survey", units: "mGal", crs: "EPSG:4326",
 *   retrievedAt: "2026-01-01T00:00:00Z", cachedAt: "2026-01-01T00:00:00Z",
 *   expiresAt: "2026-01-02T00:00:00Z", pinned: false, compression: "none",
 *   cachePath: ".gam/cache/ingestion/gravity/ab12",
 * };
 * const dir = await Deno.makeTempDir();
 * try {
 *   await writeManifest(dir, record); // `${dir}/manifest/ingestion/gravity/ab12.json`
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function writeManifest(outputDir: string, record: ManifestRecord): Promise<string> {
  const valid = ManifestRecordSchema.parse(record);
  const file = manifestPath(outputDir, valid.id);
  await writeFileAtomic(file, JSON.stringify(valid, null, 2) + "\n");
  return file;
}

/**
 * Reads and validates the record of `id`, or `undefined` when there is none.
 *
 * @param outputDir The run output folder.
 * @param id The cache entry path.
 * @throws {SyntaxError} when the file is not JSON; a `z.ZodError` when it breaks the schema.
 *
 * @example Usage
 * ```ts
 * import { type ManifestRecord, readManifest, writeManifest } from "./manifest.ts";
 * const record: ManifestRecord = {
 *   manifestVersion: 1, id: "ingestion/gravity/ab12", layer: "ingestion", modality: "gravity",
 *   key: "ab12", kind: "points", checksum: `sha256:${"0".repeat(64)}`, sizeBytes: 1024,
 *   licence: "CC-BY-4.0", citation: "Example survey", units: "mGal", crs: "EPSG:4326",
 *   retrievedAt: "2026-01-01T00:00:00Z", cachedAt: "2026-01-01T00:00:00Z",
 *   expiresAt: "2026-01-02T00:00:00Z", pinned: false, compression: "none",
 *   cachePath: ".gam/cache/ingestion/gravity/ab12",
 * };
 * const dir = await Deno.makeTempDir();
 * try {
 *   await writeManifest(dir, record); // `${dir}/manifest/ingestion/gravity/ab12.json`
 *   const rec = await readManifest(dir, "ingestion/gravity/ab12");
 *   rec?.units; // "mGal"
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function readManifest(
  outputDir: string,
  id: string,
): Promise<ManifestRecord | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(manifestPath(outputDir, id));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  return ManifestRecordSchema.parse(JSON.parse(text));
}
