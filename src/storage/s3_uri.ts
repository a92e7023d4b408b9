/**
 * `s3://bucket/key?versionId=...` URIs: the form the database's `storage_uri` columns and the
 * manifests use for objects in the bucket.
 *
 * @module
 */

/** A parsed `s3://` URI. */
export interface S3Uri {
  /** Bucket name. */
  bucket: string;
  /** Object key (no leading `/`). */
  key: string;
  /** Version id, when the URI names one version. */
  versionId?: string;
}

/**
 * Whether `uri` is an `s3://` URI (rather than a local path).
 *
 * @param uri A storage URI or path.
 * @returns `true` when it starts with `s3://`.
 *
 * @example Usage
 * ```ts
 * import { isS3Uri } from "./s3_uri.ts";
 * isS3Uri("s3://b/k"); // true
 * isS3Uri("out/grid.zarr"); // false
 * ```
 */
export function isS3Uri(uri: string): boolean {
  return uri.startsWith("s3://");
}

/**
 * Parses `s3://bucket/key[?versionId=...]`.
 *
 * @param uri The URI.
 * @returns Bucket, key and version id.
 * @throws {TypeError} When `uri` is not an `s3://` URI with a bucket and a key.
 *
 * @example Usage
 * ```ts
 * import { parseS3Uri } from "./s3_uri.ts";
 * parseS3Uri("s3://gam/phase1/models/a.tif?versionId=v1");
 * // { bucket: "gam", key: "phase1/models/a.tif", versionId: "v1" }
 * ```
 */
export function parseS3Uri(uri: string): S3Uri {
  const m = /^s3:\/\/([^/?#]+)\/([^?#]+)(\?[^#]*)?$/.exec(uri);
  if (m === null) {
    throw new TypeError(`Expected an "s3://bucket/key" URI, received "${uri}"`);
  }
  const key = m[2].split("/").map(decodeURIComponent).join("/");
  const versionId = new URLSearchParams(m[3] ?? "").get("versionId") ?? undefined;
  return versionId === undefined ? { bucket: m[1], key } : { bucket: m[1], key, versionId };
}

/**
 * Formats an `s3://` URI; the inverse of {@linkcode parseS3Uri}.
 *
 * @param uri Bucket, key and optional version id.
 * @returns `s3://bucket/key[?versionId=...]`.
 *
 * @example Usage
 * ```ts
 * import { formatS3Uri } from "./s3_uri.ts";
 * formatS3Uri({ bucket: "gam", key: "a b.tif", versionId: "v1" }); // "s3://gam/a%20b.tif?versionId=v1"
 * ```
 */
export function formatS3Uri(uri: S3Uri): string {
  const key = uri.key.split("/").map(encodeURIComponent).join("/");
  const base = `s3://${uri.bucket}/${key}`;
  return uri.versionId === undefined
    ? base
    : `${base}?versionId=${encodeURIComponent(uri.versionId)}`;
}
