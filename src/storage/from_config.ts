/**
 * The object store named by the configuration's `storage:` section, with credentials read
 * from its auth profiles at every request (a rotated key or file is used at once, without a
 * restart) and registered for redaction, so they never reach a log line.
 *
 * @module
 */
import { resolveSecret, type SecretOptions } from "../config/mod.ts";
import type { GamConfig, StorageConfig } from "../config/mod.ts";
import { S3ObjectStore } from "./s3_object_store.ts";

/**
 * Opens the configured bucket, or returns `undefined` when the configuration has no
 * `storage:` section (the local disk only).
 *
 * @param config The configuration (`storage` and `auth` are used).
 * @param options Environment access for the secrets (tests).
 * @returns The store, not yet contacted (call `ensureBucket()` before the first write).
 * @throws {StorageConfigError} For an endpoint the TLS rule refuses.
 *
 * @example Usage
 * ```ts
 * import { openObjectStore } from "./from_config.ts";
 * const store = openObjectStore({ auth: {}, storage: undefined });
 * store; // undefined: no storage section
 * ```
 */
export function openObjectStore(
  config: Pick<GamConfig, "auth" | "storage">,
  options: SecretOptions = {},
): S3ObjectStore | undefined {
  const s: StorageConfig | undefined = config.storage;
  if (s === undefined) return undefined;
  return new S3ObjectStore({
    endpoint: s.endpoint,
    region: s.region,
    bucket: s.bucket,
    forcePathStyle: s.forcePathStyle,
    allowPlainHttp: s.allowPlainHttp,
    credentials: async () => ({
      accessKeyId: await resolveSecret(config, s.credentials.accessKeyId, options),
      secretAccessKey: await resolveSecret(config, s.credentials.secretAccessKey, options),
    }),
    multipart: s.multipart,
    timeoutMs: s.timeoutMs,
    retry: s.retry,
    circuitBreaker: s.circuitBreaker,
  });
}
