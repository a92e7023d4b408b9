/**
 * Object storage: run artefacts in an S3-compatible bucket, beside the local disk.
 *
 * - {@linkcode ObjectStore}: the contract (put/get with SHA-256 checks, head, list, versions,
 *   delete); {@linkcode S3ObjectStore}: the AWS SDK implementation with the ingestion's
 *   cockatiel retry and circuit-breaker policies.
 * - {@linkcode openObjectStore}: the store of the config's `storage:` section (credentials by
 *   auth profile, re-read at every request), or `undefined` without one.
 * - Layout: {@linkcode runPrefix}, {@linkcode objectName}, {@linkcode bboxTag}.
 * - `s3://` URIs with version ids: {@linkcode formatS3Uri}, {@linkcode parseS3Uri}.
 *
 * Opening the configured bucket needs an S3 server: exercised by
 * src/storage/s3_object_store_test.ts and tests/storage/run_storage_test.ts.
 *
 * @module
 */
export type { GetOptions, ObjectInfo, ObjectStore, PutOptions, PutResult } from "./object_store.ts";
export {
  type S3Credentials,
  S3ObjectStore,
  type S3ObjectStoreOptions,
  SHA256_METADATA_KEY,
} from "./s3_object_store.ts";
export { openObjectStore } from "./from_config.ts";
export {
  ObjectChecksumError,
  ObjectNotFoundError,
  StorageConfigError,
  StorageError,
} from "./errors.ts";
export { formatS3Uri, isS3Uri, parseS3Uri, type S3Uri } from "./s3_uri.ts";
export {
  type ArtifactKind,
  bboxTag,
  isoBasic,
  type LayoutRoot,
  objectName,
  phaseRoot,
  runPrefix,
} from "./layout.ts";
export {
  markUploadPending,
  pushRun,
  type PushRunOptions,
  type PushRunResult,
  readStorageJournal,
  resumePendingUploads,
  RunFolderError,
  STORAGE_JOURNAL,
  type StorageJournal,
  type StoredObject,
} from "./run_upload.ts";
export { renderRunReadme, type RunReadmeInput } from "./run_readme.ts";
export {
  ABORT_INCOMPLETE_UPLOAD_DAYS,
  applyLifecycle,
  diffLifecycle,
  LifecycleMismatchError,
  type LifecycleRuleView,
  readLifecycle,
  renderLifecycle,
} from "./lifecycle.ts";
export { type LocalGrid, openStoredGrid } from "./grid_object.ts";
export {
  applyPrune,
  type CacheEntryInfo,
  gatherPruneInputs,
  type ObjectVersionInfo,
  planPrune,
  type PruneInputs,
  type PruneItem,
  type PrunePlan,
  type PruneResult,
  type RunInfo,
} from "./retention.ts";
export {
  CacheMirror,
  type CacheMirrorOptions,
  ENTRY_FORMAT,
  type FlushReport,
  META_CHECKSUM,
  META_EXPIRES_AT,
  META_FORMAT,
} from "./cache_mirror.ts";
export {
  BACKUP_META,
  backupToBucket,
  type BucketBackupInfo,
  restoreFromBucket,
  schemaSnapshot,
} from "./db_backup.ts";
export {
  backupKeys,
  latestBackup,
  runScheduledBackup,
  type ScheduledBackupInfo,
} from "./scheduled_backup.ts";
export {
  entriesOfManifest,
  findRunManifest,
  rehydrateEntries,
  type RehydrateReport,
  rehydrateRun,
  type RunManifestRef,
  RunNotInBucketError,
} from "./rehydrate.ts";
export { cacheMirrorPrefix, openCacheStore, type OpenedCacheStore } from "./cache_store_for.ts";
