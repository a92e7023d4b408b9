/**
 * Uploading a run folder to the bucket (`gam storage push <run-id>`, and at the end of
 * `gam run` when `storage.uploadAtRunEnd` is on), in the seed's layout:
 *
 * - `<root>/preprocessing/<date>/<run-id>/`: the grids (`<time>_<bbox>_<modality>_<branch>.tif`
 *   and `.zarr/...`), the anomalies and the report (`..._run_anomalies.geojson`,
 *   `..._run_report.html`), `manifest.json` and `README.md`;
 * - `<root>/ingestion/<date>/<run-id>/`: one `<time>_<bbox>_<modality>_source.json` per modality
 *   (plugin, version, checksum, licence, citation, DOI), `manifest.json` and `README.md`.
 *
 * Every object is put idempotently (an identical object is not sent again), so a push that
 * failed half way (bucket down) simply runs again: the journal `storage.json` in the run folder
 * says `pending` until everything, the manifest last, is in the bucket. The manifest (local and
 * uploaded) gains a `storage` section with each object's `s3://...?versionId=...` URI and
 * SHA-256; the database's grid rows then point at their GeoTIFF in the bucket.
 *
 * @module
 */
import { writeFileAtomic } from "../fs/mod.ts";
import type { Bbox } from "../contracts/mod.ts";
import type { Repository } from "../persistence/mod.ts";
import type { Logger } from "../observability/mod.ts";
import type { ObjectStore, PutResult } from "./object_store.ts";
import { type ArtifactKind, type LayoutRoot, objectName, runPrefix } from "./layout.ts";
import { renderRunReadme } from "./run_readme.ts";

/** Journal file of a run folder's upload. */
export const STORAGE_JOURNAL = "storage.json";

/** One object of a run in the bucket. */
export interface StoredObject {
  /** `s3://bucket/key?versionId=...`. */
  uri: string;
  /** Object key. */
  key: string;
  /** Version id. */
  versionId?: string;
  /** `sha256:<hex>` of the bytes. */
  sha256: string;
  /** Size, bytes. */
  size: number;
}

/** The journal `storage.json` of a run folder. */
export interface StorageJournal {
  /** `pending` until the manifest is in the bucket; then `uploaded`. */
  status: "pending" | "uploaded";
  /** Bucket name. */
  bucket: string;
  /** When the last push started and ended (ISO 8601). */
  startedAt: string;
  /** When the journal was last written. */
  updatedAt: string;
  /** Why the last push stopped (`pending` only). */
  error?: string;
  /** Run-folder-relative path to object, as uploaded (objects of the manifest's `storage`). */
  objects: Record<string, StoredObject>;
  /** The uploaded `manifest.json` of each artefact kind. */
  manifests?: Record<string, StoredObject>;
}

/** What {@linkcode pushRun} did. */
export interface PushRunResult {
  /** The run id. */
  runId: string;
  /** Objects sent now. */
  uploaded: number;
  /** Objects already in the bucket with the same bytes (not sent again). */
  unchanged: number;
  /** Bytes sent now. */
  bytesUploaded: number;
  /** The journal as written at the end. */
  journal: StorageJournal;
}

/** Options of {@linkcode pushRun}. */
export interface PushRunOptions {
  /** The bucket. */
  store: ObjectStore;
  /** Where the layout starts (`storage.prefix`, `storage.phase`). */
  root: LayoutRoot;
  /** The endpoint shown in the README's examples (no credentials). */
  endpoint?: string;
  /** The region shown in the README's examples. */
  region?: string;
  /** Database whose grid rows are pointed at the bucket; unset: not touched. */
  repo?: Repository;
  /** Progress lines (one per artefact kind and the outcome). */
  logger?: Logger;
  /** Stops between objects (an object in flight is aborted). */
  signal?: AbortSignal;
}

/** Thrown when the folder is not a finished run folder (no manifest). */
export class RunFolderError extends Error {
  /** The folder. */
  readonly runDir: string;
  /**
   * @param runDir The folder.
   * @param problem What is missing.
   * @param options Standard error options (`cause`).
   */
  constructor(runDir: string, problem: string, options?: ErrorOptions) {
    super(`${runDir} is not a finished run folder: ${problem}`, options);
    this.name = "RunFolderError";
    this.runDir = runDir;
  }
}

/** The parts of `manifest.json` an upload reads. */
interface RunManifest {
  runId: string;
  status: string;
  startedAt: string;
  finishedAt: string;
  bbox: Bbox;
  modalities: {
    modality: string;
    outcome: string;
    grids: { branch: string; zarr: string; tif: string; checksum: string }[];
  }[];
  plugins?: Record<string, Record<string, unknown>>;
  storage?: unknown;
  [key: string]: unknown;
}

interface PlannedFile {
  /** Run-folder-relative path (the manifest's `storage.objects` key). */
  rel: string;
  kind: ArtifactKind;
  /** Key relative to the kind's run prefix. */
  name: string;
  /** A local file, or bytes rendered now. */
  source: { path: string } | { bytes: Uint8Array };
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  tif: "image/tiff",
  json: "application/json",
  geojson: "application/geo+json",
  html: "text/html; charset=utf-8",
  md: "text/markdown; charset=utf-8",
};

function contentTypeOf(name: string): string {
  return CONTENT_TYPES[name.split(".").pop() ?? ""] ?? "application/octet-stream";
}

async function readJournal(runDir: string): Promise<StorageJournal | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(`${runDir}/${STORAGE_JOURNAL}`)) as StorageJournal;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/**
 * The journal of a run folder's upload, or `undefined` when it was never pushed.
 *
 * @param runDir The run folder.
 * @returns The journal.
 *
 * @example Usage
 * ```ts
 * import { readStorageJournal } from "./run_upload.ts";
 * const runDir = await Deno.makeTempDir({ prefix: "gam-doc-run-upload-" });
 * try {
 *   const j = await readStorageJournal(runDir); // never pushed: undefined
 *   if (j?.status === "pending") console.log("not yet in the bucket:", j.error);
 * } finally {
 *   await Deno.remove(runDir, { recursive: true });
 * }
 * ```
 */
export function readStorageJournal(runDir: string): Promise<StorageJournal | undefined> {
  return readJournal(runDir);
}

/**
 * Records in the run folder's journal that its upload is pending (the bucket could not be
 * reached before the upload began), keeping what an earlier push recorded.
 *
 * @param runDir The run folder.
 * @param bucket The bucket.
 * @param error Why.
 *
 * @example Usage
 * ```ts
 * import { markUploadPending, readStorageJournal } from "./run_upload.ts";
 * const runDir = await Deno.makeTempDir({ prefix: "gam-doc-run-upload-" });
 * try {
 *   await markUploadPending(runDir, "gam", "connection refused");
 *   console.assert((await readStorageJournal(runDir))?.status === "pending");
 * } finally {
 *   await Deno.remove(runDir, { recursive: true });
 * }
 * ```
 */
export async function markUploadPending(
  runDir: string,
  bucket: string,
  error: string,
): Promise<void> {
  const previous = await readJournal(runDir);
  const now = new Date().toISOString();
  const journal: StorageJournal = {
    status: "pending",
    bucket,
    startedAt: now,
    updatedAt: now,
    error,
    objects: previous?.bucket === bucket ? previous.objects : {},
  };
  await writeFileAtomic(`${runDir}/${STORAGE_JOURNAL}`, JSON.stringify(journal, null, 2));
}

/**
 * Pushes every run folder under `runsDir` whose journal says `pending` (an earlier upload
 * failed), oldest first; a folder that fails again stays pending. `gam run` calls it after its
 * own upload, so pending uploads resume at the next run once the bucket is back.
 *
 * @param runsDir `<outputDir>/runs`.
 * @param options As for {@linkcode pushRun}; `skip`: run ids not to push (the current run).
 * @returns The run ids pushed now and those still pending.
 *
 * It needs an S3 server: exercised by src/storage/faults_test.ts.
 */
export async function resumePendingUploads(
  runsDir: string,
  options: PushRunOptions & { skip?: readonly string[] },
): Promise<{ pushed: string[]; stillPending: string[] }> {
  const pending: { runDir: string; runId: string; at: string }[] = [];
  try {
    for await (const e of Deno.readDir(runsDir)) {
      if (!e.isDirectory || options.skip?.includes(e.name)) continue;
      const journal = await readJournal(`${runsDir}/${e.name}`).catch(() => undefined);
      if (journal?.status === "pending" && journal.bucket === options.store.bucket) {
        pending.push({ runDir: `${runsDir}/${e.name}`, runId: e.name, at: journal.startedAt });
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  pending.sort((a, b) => a.at.localeCompare(b.at));
  const pushed: string[] = [];
  const stillPending: string[] = [];
  for (const p of pending) {
    try {
      await pushRun(p.runDir, options);
      pushed.push(p.runId);
    } catch (error) {
      stillPending.push(p.runId);
      options.logger?.warn("a pending upload failed again", { run: p.runId, error });
    }
  }
  return { pushed, stillPending };
}

async function filesUnder(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${dir}${rel ? `/${rel}` : ""}`)) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await filesUnder(dir, child));
    else if (e.isFile) out.push(child);
  }
  return out.sort();
}

function baseName(path: string): string {
  return path.replace(/\/+$/, "").split("/").pop()!;
}

/**
 * Uploads a finished run folder; see the module documentation. Resumable: run it again after a
 * failure and only what is missing goes up.
 *
 * @param runDir The run folder (`<outputDir>/runs/<run-id>`), holding `manifest.json`.
 * @param options The bucket, the layout root, the database.
 * @returns Counts and the journal.
 * @throws {RunFolderError} When the folder has no manifest.
 * @throws {StorageError} When the bucket cannot be reached (the journal then says `pending`).
 *
 * It needs an S3 server: exercised by src/storage/faults_test.ts and tests/storage/prune_test.ts.
 */
export async function pushRun(runDir: string, options: PushRunOptions): Promise<PushRunResult> {
  let manifestText: string;
  try {
    manifestText = await Deno.readTextFile(`${runDir}/manifest.json`);
  } catch (e) {
    throw new RunFolderError(runDir, "no manifest.json", { cause: e });
  }
  const manifest = JSON.parse(manifestText) as RunManifest;
  const { store, root } = options;
  const started = new Date(manifest.startedAt);
  const startedAt = new Date().toISOString();
  const previous = await readJournal(runDir);
  const journal: StorageJournal = {
    status: "pending",
    bucket: store.bucket,
    startedAt,
    updatedAt: startedAt,
    objects: previous?.bucket === store.bucket ? previous.objects : {},
  };
  const writeJournal = () => {
    journal.updatedAt = new Date().toISOString();
    return writeFileAtomic(`${runDir}/${STORAGE_JOURNAL}`, JSON.stringify(journal, null, 2));
  };
  await writeJournal();
  const log = options.logger?.child({ component: "storage" });
  const named = (modality: string, name: string) =>
    objectName({ time: started, bbox: manifest.bbox, modality, name });

  // What goes where.
  const plan: PlannedFile[] = [];
  const gridTargets: { zarrPath: string; tifRel: string }[] = [];
  for (const m of manifest.modalities) {
    for (const g of m.grids) {
      const tif = baseName(g.tif);
      const zarr = baseName(g.zarr);
      plan.push({
        rel: `grids/${tif}`,
        kind: "preprocessing",
        name: named(m.modality, `${g.branch}.tif`.replace(/[^A-Za-z0-9._-]/g, "-")),
        source: { path: `${runDir}/grids/${tif}` },
        contentType: "image/tiff",
      });
      for (const f of await filesUnder(`${runDir}/grids/${zarr}`)) {
        plan.push({
          rel: `grids/${zarr}/${f}`,
          kind: "preprocessing",
          name: `${named(m.modality, `${g.branch}.zarr`.replace(/[^A-Za-z0-9._-]/g, "-"))}/${f}`,
          source: { path: `${runDir}/grids/${zarr}/${f}` },
          contentType: f.endsWith(".json") ? "application/json" : "application/octet-stream",
        });
      }
      gridTargets.push({ zarrPath: g.zarr, tifRel: `grids/${tif}` });
    }
  }
  for (
    const [file, name] of [["anomalies.geojson", "anomalies.geojson"], [
      "report.html",
      "report.html",
    ]]
  ) {
    if (await Deno.stat(`${runDir}/${file}`).then(() => true, () => false)) {
      plan.push({
        rel: file,
        kind: "preprocessing",
        name: named("run", name),
        source: { path: `${runDir}/${file}` },
        contentType: contentTypeOf(file),
      });
    }
  }
  for (const [modality, plugin] of Object.entries(manifest.plugins ?? {})) {
    plan.push({
      rel: `ingestion/${modality}_source.json`,
      kind: "ingestion",
      name: named(modality, "source.json"),
      source: {
        bytes: new TextEncoder().encode(
          JSON.stringify(
            { runId: manifest.runId, modality, bbox: manifest.bbox, ...plugin },
            null,
            2,
          ),
        ),
      },
      contentType: "application/json",
    });
  }
  const kinds = [...new Set(plan.map((p) => p.kind))];
  const prefixOf = (kind: ArtifactKind) => runPrefix(root, kind, started, manifest.runId);

  let uploaded = 0;
  let unchanged = 0;
  let bytesUploaded = 0;
  const record = (rel: string, put: PutResult) => {
    journal.objects[rel] = {
      uri: store.uri(put.key, put.versionId),
      key: put.key,
      versionId: put.versionId,
      sha256: put.sha256,
      size: put.size,
    };
    if (put.uploaded) {
      uploaded++;
      bytesUploaded += put.size;
    } else unchanged++;
  };
  try {
    for (const kind of kinds) {
      const files = plan.filter((p) => p.kind === kind);
      log?.info("uploading run artefacts", {
        kind,
        objects: files.length,
        prefix: store.uri(prefixOf(kind)),
      });
      for (const p of files) {
        options.signal?.throwIfAborted();
        const key = `${prefixOf(kind)}${p.name}`;
        const put = "path" in p.source
          ? await store.putFile(key, p.source.path, {
            contentType: p.contentType,
            signal: options.signal,
          })
          : await store.putBytes(key, p.source.bytes, {
            contentType: p.contentType,
            signal: options.signal,
          });
        record(p.rel, put);
      }
      await writeJournal();
    }

    // The manifest, with every object's version id, then the README beside it; last, so a
    // manifest in the bucket means everything it lists is there.
    const withStorage: RunManifest = {
      ...manifest,
      storage: {
        bucket: store.bucket,
        prefixes: Object.fromEntries(kinds.map((k) => [k, store.uri(prefixOf(k))])),
        objects: journal.objects,
      },
    };
    const manifestJson = JSON.stringify(withStorage, null, 2);
    await writeFileAtomic(`${runDir}/manifest.json`, manifestJson);
    const readme = renderRunReadme({
      manifest: withStorage,
      bucket: store.bucket,
      prefixes: Object.fromEntries(kinds.map((k) => [k, prefixOf(k)])),
      objects: journal.objects,
      endpoint: options.endpoint,
      region: options.region,
    });
    await writeFileAtomic(`${runDir}/README.md`, readme);
    journal.manifests = {};
    for (const kind of kinds) {
      const readmePut = await store.putBytes(
        `${prefixOf(kind)}README.md`,
        new TextEncoder().encode(readme),
        { contentType: CONTENT_TYPES.md, signal: options.signal },
      );
      if (readmePut.uploaded) uploaded++;
      else unchanged++;
      const put = await store.putBytes(
        `${prefixOf(kind)}manifest.json`,
        new TextEncoder().encode(manifestJson),
        { contentType: CONTENT_TYPES.json, signal: options.signal },
      );
      if (put.uploaded) uploaded++;
      else unchanged++;
      journal.manifests[kind] = {
        uri: store.uri(put.key, put.versionId),
        key: put.key,
        versionId: put.versionId,
        sha256: put.sha256,
        size: put.size,
      };
    }

    if (options.repo) {
      for (const t of gridTargets) {
        const tif = journal.objects[t.tifRel];
        if (tif) await options.repo.replaceStorageUri(t.zarrPath, tif.uri);
      }
      await options.repo.putMetadata(manifest.runId, "storage", {
        bucket: store.bucket,
        manifests: journal.manifests,
      }).catch((error) => log?.warn("could not record the upload in the database", { error }));
    }
    journal.status = "uploaded";
    delete journal.error;
    await writeJournal();
    log?.info("run artefacts in the bucket", {
      uploaded,
      unchanged,
      bytes: bytesUploaded,
      manifest: journal.manifests.preprocessing?.uri ?? Object.values(journal.manifests)[0]?.uri,
    });
    return { runId: manifest.runId, uploaded, unchanged, bytesUploaded, journal };
  } catch (error) {
    journal.status = "pending";
    journal.error = error instanceof Error ? error.message : String(error);
    await writeJournal().catch(() => {});
    throw error;
  }
}
