/**
 * The object store contract: what the pipeline needs from a bucket, whatever the server.
 * {@linkcode S3ObjectStore} implements it with the AWS SDK; every object carries the SHA-256
 * of its bytes (`sha256:<hex>`), recorded at upload and checked at every download.
 *
 * @module
 */

/** What is known of one object (one version of it). */
export interface ObjectInfo {
  /** Object key within the bucket. */
  key: string;
  /** Size, bytes. */
  size: number;
  /** Version id (`"null"` on a bucket without versioning), when the server reports one. */
  versionId?: string;
  /** SHA-256 of the bytes, `sha256:<hex>`, as recorded at upload (absent for foreign objects). */
  sha256?: string;
  /** Last modification time. */
  lastModified?: Date;
  /** Whether this is the current version (listings of versions only). */
  isLatest?: boolean;
  /** User metadata (`x-amz-meta-*`), keys lower case. */
  metadata?: Record<string, string>;
}

/** What {@linkcode ObjectStore.put} did. */
export interface PutResult extends ObjectInfo {
  /** The object's SHA-256, `sha256:<hex>`. */
  sha256: string;
  /** `false` when an identical object was already there (nothing was sent). */
  uploaded: boolean;
  /** Whether the bytes went up in several parts. */
  multipart: boolean;
}

/** Options of {@linkcode ObjectStore.put}. */
export interface PutOptions {
  /** `Content-Type` of the object. @default "application/octet-stream" */
  contentType?: string;
  /** Extra user metadata (`x-amz-meta-*`); keys lower case ASCII, values ASCII. */
  metadata?: Record<string, string>;
  /** Aborts the upload (a multipart upload is aborted on the server too). */
  signal?: AbortSignal;
}

/** Options of the reading methods. */
export interface GetOptions {
  /** A specific version; the current one when absent. */
  versionId?: string;
  /** Aborts the download. */
  signal?: AbortSignal;
}

/**
 * A bucket of objects. Keys are relative to the bucket; every method goes through the store's
 * retry and circuit-breaker policies.
 *
 * @example Use any implementation
 * ```ts
 * import type { ObjectStore } from "./object_store.ts";
 * async function copyOut(store: ObjectStore, key: string, path: string) {
 *   const info = await store.getFile(key, path); // checksum verified, else ObjectChecksumError
 *   return info.versionId;
 * }
 * ```
 */
export interface ObjectStore {
  /** The bucket name. */
  readonly bucket: string;
  /**
   * Uploads a file (multipart above the configured threshold) with its SHA-256 sent for the
   * server to check and compared with what the server stored. An identical object already at
   * `key` (same SHA-256 and size) is not uploaded again.
   */
  putFile(key: string, path: string, options?: PutOptions): Promise<PutResult>;
  /** Uploads bytes held in memory (small objects: manifests, READMEs), same checks. */
  putBytes(key: string, bytes: Uint8Array, options?: PutOptions): Promise<PutResult>;
  /**
   * Downloads an object to `path` (written atomically: temp file, then rename) and checks its
   * SHA-256; a mismatch throws `ObjectChecksumError` and leaves nothing at `path`.
   */
  getFile(key: string, path: string, options?: GetOptions): Promise<ObjectInfo>;
  /** Downloads an object into memory, checksum checked as by {@linkcode getFile}. */
  getBytes(key: string, options?: GetOptions): Promise<{ info: ObjectInfo; bytes: Uint8Array }>;
  /** The object's information, or `undefined` when there is no such object (or version). */
  head(key: string, options?: GetOptions): Promise<ObjectInfo | undefined>;
  /** Current objects whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Every version (and no delete markers) of objects under `prefix`. */
  listVersions(prefix: string): AsyncIterable<ObjectInfo>;
  /**
   * Deletes an object: without `versionId` a delete marker hides it (older versions stay); with
   * it, that version is removed for good.
   */
  delete(key: string, options?: { versionId?: string }): Promise<void>;
  /** An `s3://bucket/key?versionId=...` URI of an object. */
  uri(key: string, versionId?: string): string;
}
