/**
 * The upload at the end of `gam run` (with `storage.uploadAtRunEnd`): the run folder goes to
 * the bucket; when the bucket fails, the run still succeeds locally, its folder's journal says
 * `pending`, and `gam storage push <run-id>` resumes.
 *
 * @module
 */
import type { GamConfig } from "../config/mod.ts";
import type { Logger } from "../observability/mod.ts";
import type { Database } from "../persistence/mod.ts";
import {
  markUploadPending,
  openObjectStore,
  pushRun,
  resumePendingUploads,
  STORAGE_JOURNAL,
} from "../storage/mod.ts";

/**
 * Uploads a finished run folder, then the earlier runs whose upload is pending; never throws.
 *
 * @param config The configuration (its `storage:` section).
 * @param runDir The run folder.
 * @param database The run's database (grid rows are pointed at the bucket), if open.
 * @param logger Where progress and a failure are reported.
 * @returns `uploaded` with the manifest's URI, or `pending` with the error.
 *
 * It needs an S3 server: exercised by tests/storage/run_storage_test.ts.
 */
export async function uploadRunFolder(
  config: GamConfig,
  runDir: string,
  database: Database | undefined,
  logger: Logger,
): Promise<
  { status: "uploaded" | "pending"; manifest?: string; error?: string; seconds?: number }
> {
  const store = openObjectStore(config);
  if (store === undefined || config.storage === undefined) {
    return { status: "pending", error: "no storage section" };
  }
  const started = performance.now();
  try {
    try {
      await store.ensureBucket();
    } catch (error) {
      await markUploadPending(runDir, store.bucket, (error as Error).message ?? String(error));
      throw error;
    }
    const result = await pushRun(runDir, {
      store,
      root: config.storage,
      endpoint: config.storage.endpoint,
      region: config.storage.region,
      repo: database?.repo,
      logger,
    });
    // Earlier runs whose upload is pending go now that the bucket answers.
    try {
      const resumed = await resumePendingUploads(runDir.replace(/\/[^/]+\/?$/, ""), {
        store,
        root: config.storage,
        endpoint: config.storage.endpoint,
        region: config.storage.region,
        repo: database?.repo,
        logger,
        skip: [result.runId],
      });
      if (resumed.pushed.length > 0) {
        logger.info("pending uploads of earlier runs completed", { runs: resumed.pushed });
      }
    } catch (error) {
      logger.warn("could not look for pending uploads of earlier runs", { error });
    }
    const manifests = result.journal.manifests ?? {};
    return {
      status: "uploaded",
      manifest: (manifests.preprocessing ?? Object.values(manifests)[0])?.uri,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.warn(
      "the run's upload to the bucket is pending (the run itself succeeded; see " +
        `${STORAGE_JOURNAL} in the run folder); resume it with: gam storage push ` +
        runDir.split("/").pop(),
      { error },
    );
    return { status: "pending", error: message };
  } finally {
    store.close();
  }
}
