/**
 * {@linkcode ObjectStore} on an S3-compatible server with the AWS SDK (`@aws-sdk/client-s3`,
 * `@aws-sdk/lib-storage` for multipart uploads), path-style addressing by default.
 *
 * Integrity: the SHA-256 of the whole file is computed locally before the upload, stored as
 * user metadata `gam-sha256`, and sent with the request (`x-amz-checksum-sha256`: of the whole
 * object for a single PUT, of each part for a multipart upload, whose composite checksum the
 * server returns at completion). The checksum the server reports is compared with the local one
 * and a mismatch fails the upload. Every download is hashed and compared with `gam-sha256`
 * before its bytes are used: {@linkcode ObjectChecksumError} otherwise.
 *
 * Resilience: the SDK's own retries are off (`maxAttempts: 1`); every call runs through the
 * same cockatiel policies as a source's fetches ({@linkcode ModalityGuard}: retry with jittered
 * backoff on retryable errors, consecutive-failure circuit breaker), and each HTTP request has
 * the `timeoutMs` limit.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { DEFAULT_RESILIENCE, GuardError, ModalityGuard } from "../ingestion/mod.ts";
import type { ResilienceSettings } from "../ingestion/mod.ts";
import { writeFileAtomic } from "../fs/mod.ts";
import { endpointProblem } from "../config/mod.ts";
import {
  ObjectChecksumError,
  ObjectNotFoundError,
  StorageConfigError,
  StorageError,
} from "./errors.ts";
import type { GetOptions, ObjectInfo, ObjectStore, PutOptions, PutResult } from "./object_store.ts";
import { formatS3Uri } from "./s3_uri.ts";

/** User metadata key of the object's SHA-256 (hex). */
export const SHA256_METADATA_KEY = "gam-sha256";

/** Access key pair, read when a request is signed. */
export interface S3Credentials {
  /** Access key id. */
  accessKeyId: string;
  /** Secret access key. */
  secretAccessKey: string;
}

/** Options of {@linkcode S3ObjectStore}. */
export interface S3ObjectStoreOptions {
  /** Endpoint URL; unset: AWS S3's regional endpoint. */
  endpoint?: string;
  /** Signing region. @default "us-east-1" */
  region?: string;
  /** Bucket name. */
  bucket: string;
  /** Path-style addressing. @default true */
  forcePathStyle?: boolean;
  /** Allow plain `http:` to a non-loopback endpoint. @default false */
  allowPlainHttp?: boolean;
  /**
   * Called whenever the SDK signs a request (no caching beyond one request), so a rotated
   * key is used at once.
   */
  credentials: () => Promise<S3Credentials>;
  /** Multipart settings. */
  multipart?: {
    /** Files of at least this many bytes go up in parts. @default 16 MiB */
    thresholdBytes?: number;
    /** Part size, bytes (>= 5 MiB). @default 8 MiB */
    partSizeBytes?: number;
    /** Parts in flight at once. @default 4 */
    queueSize?: number;
  };
  /** Time limit of one HTTP request, milliseconds. @default 120000 */
  timeoutMs?: number;
  /** Retry policy (attempts count the first). @default DEFAULT_RESILIENCE.retry */
  retry?: ResilienceSettings["retry"];
  /** Circuit breaker. @default DEFAULT_RESILIENCE.circuitBreaker */
  circuitBreaker?: ResilienceSettings["circuitBreaker"];
}

const MIB = 1024 * 1024;
/** Longest delay `setTimeout` accepts: the guard's own timeout is off, requests have theirs. */
const NO_GUARD_TIMEOUT = 2 ** 31 - 1;

/**
 * An S3 bucket as an {@linkcode ObjectStore}.
 *
 * It needs an S3 server: exercised by src/storage/s3_object_store_test.ts.
 */
export class S3ObjectStore implements ObjectStore {
  /** The bucket name. */
  readonly bucket: string;
  /** The SDK client (for the operations the store does not wrap, e.g. lifecycle). */
  readonly client: S3Client;
  readonly #guard: ModalityGuard;
  readonly #threshold: number;
  readonly #partSize: number;
  readonly #queueSize: number;

  /**
   * @param options Endpoint, bucket, credentials and policies.
   * @throws {StorageConfigError} For a plain `http:` endpoint on a non-loopback host without
   *   `allowPlainHttp`, or a part size under 5 MiB.
   */
  constructor(options: S3ObjectStoreOptions) {
    if (options.endpoint !== undefined) {
      const problem = endpointProblem(options.endpoint, options.allowPlainHttp ?? false);
      if (problem !== undefined) {
        throw new StorageConfigError(`storage.endpoint: expected ${problem}`);
      }
    }
    this.bucket = options.bucket;
    this.#threshold = options.multipart?.thresholdBytes ?? 16 * MIB;
    this.#partSize = options.multipart?.partSizeBytes ?? 8 * MIB;
    this.#queueSize = options.multipart?.queueSize ?? 4;
    if (this.#partSize < 5 * MIB) {
      throw new StorageConfigError(
        `storage.multipart.partSizeBytes: expected at least 5 MiB (the S3 minimum), received ` +
          `${this.#partSize} bytes`,
      );
    }
    const readCredentials = options.credentials;
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region ?? "us-east-1",
      forcePathStyle: options.forcePathStyle ?? true,
      // Expired at once: the SDK asks again for every request, so rotation needs no restart.
      credentials: async () => ({ ...(await readCredentials()), expiration: new Date(0) }),
      maxAttempts: 1,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      requestHandler: { requestTimeout: options.timeoutMs ?? 120_000 },
    });
    this.#guard = new ModalityGuard({
      ...DEFAULT_RESILIENCE,
      timeoutMs: NO_GUARD_TIMEOUT,
      retry: options.retry ?? DEFAULT_RESILIENCE.retry,
      circuitBreaker: options.circuitBreaker ?? DEFAULT_RESILIENCE.circuitBreaker,
      bulkhead: { maxConcurrent: 64, queue: 10_000 },
      rateLimit: { requestsPerSecond: 10_000, burst: 10_000 },
    });
  }

  /** The circuit breaker's state (`closed`, `open`, `half_open`). */
  get circuitState(): string {
    return this.#guard.circuitState;
  }

  /** An `s3://bucket/key?versionId=...` URI. */
  uri(key: string, versionId?: string): string {
    return formatS3Uri({ bucket: this.bucket, key, versionId });
  }

  /**
   * Creates the bucket when it does not exist and switches versioning on (the layout relies
   * on version ids).
   *
   * @throws {StorageError} When the bucket cannot be created or versioned.
   */
  async ensureBucket(): Promise<void> {
    const uri = `s3://${this.bucket}`;
    const exists = await this.#run(
      "HeadBucket",
      uri,
      (signal) =>
        this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: signal })
          .then(() => true, (e) => {
            if (statusOf(e) === 404) return false;
            throw e;
          }),
    );
    if (!exists) {
      await this.#run(
        "CreateBucket",
        uri,
        (signal) =>
          this.client.send(new CreateBucketCommand({ Bucket: this.bucket }), {
            abortSignal: signal,
          }).catch((e) => {
            if (nameOf(e) === "BucketAlreadyOwnedByYou") return undefined;
            throw e;
          }),
      );
    }
    const v = await this.#run(
      "GetBucketVersioning",
      uri,
      (signal) =>
        this.client.send(new GetBucketVersioningCommand({ Bucket: this.bucket }), {
          abortSignal: signal,
        }),
    );
    if (v.Status !== "Enabled") {
      await this.#run("PutBucketVersioning", uri, (signal) =>
        this.client.send(
          new PutBucketVersioningCommand({
            Bucket: this.bucket,
            VersioningConfiguration: { Status: "Enabled" },
          }),
          { abortSignal: signal },
        ));
    }
  }

  /** Uploads a file; see {@linkcode ObjectStore.putFile}. */
  async putFile(key: string, path: string, options: PutOptions = {}): Promise<PutResult> {
    const digest = await hashFile(path, this.#partSize);
    const existing = await this.#identical(key, digest.hex, digest.size);
    if (existing) return existing;
    if (digest.size < this.#threshold) {
      return this.#putSingle(key, await Deno.readFile(path), digest, options);
    }
    const uri = this.uri(key);
    const done = await this.#run("MultipartUpload", uri, async (signal) => {
      const upload = new Upload({
        client: this.client,
        params: {
          Bucket: this.bucket,
          Key: key,
          Body: createReadStream(path),
          ContentType: options.contentType ?? "application/octet-stream",
          Metadata: { ...options.metadata, [SHA256_METADATA_KEY]: digest.hex },
          ChecksumAlgorithm: "SHA256",
        },
        partSize: this.#partSize,
        queueSize: this.#queueSize,
        leavePartsOnError: false,
      });
      const abort = () => void upload.abort().catch(() => {});
      signal.addEventListener("abort", abort, { once: true });
      try {
        return await upload.done();
      } finally {
        signal.removeEventListener("abort", abort);
      }
    }, options.signal);
    const reported = (done as { ChecksumSHA256?: string }).ChecksumSHA256;
    if (reported !== undefined) {
      const expected = reported.includes("-") ? digest.composite : digest.base64;
      if (reported !== expected) {
        throw new StorageError(
          "MultipartUpload",
          uri,
          `the server stored checksum ${reported}, but the file's is ${expected}`,
        );
      }
    }
    return {
      key,
      size: digest.size,
      sha256: `sha256:${digest.hex}`,
      versionId: (done as { VersionId?: string }).VersionId,
      uploaded: true,
      multipart: true,
    };
  }

  /** Uploads bytes; see {@linkcode ObjectStore.putBytes}. */
  async putBytes(key: string, bytes: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    const digest = hashBytes(bytes);
    const existing = await this.#identical(key, digest.hex, digest.size);
    if (existing) return existing;
    return this.#putSingle(key, bytes, digest, options);
  }

  async #putSingle(
    key: string,
    bytes: Uint8Array,
    digest: Digest,
    options: PutOptions,
  ): Promise<PutResult> {
    const uri = this.uri(key);
    const out = await this.#run("PutObject", uri, (signal) =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentType: options.contentType ?? "application/octet-stream",
          Metadata: { ...options.metadata, [SHA256_METADATA_KEY]: digest.hex },
          ChecksumSHA256: digest.base64,
        }),
        { abortSignal: signal },
      ), options.signal);
    if (out.ChecksumSHA256 !== undefined && out.ChecksumSHA256 !== digest.base64) {
      throw new StorageError(
        "PutObject",
        uri,
        `the server stored checksum ${out.ChecksumSHA256}, but the bytes' is ${digest.base64}`,
      );
    }
    return {
      key,
      size: digest.size,
      sha256: `sha256:${digest.hex}`,
      versionId: out.VersionId,
      uploaded: true,
      multipart: false,
    };
  }

  /** The current object when it already holds these bytes (idempotent uploads). */
  async #identical(key: string, hex: string, size: number): Promise<PutResult | undefined> {
    const info = await this.head(key);
    if (info === undefined || info.sha256 !== `sha256:${hex}` || info.size !== size) {
      return undefined;
    }
    return { ...info, sha256: info.sha256, uploaded: false, multipart: false };
  }

  /** Downloads to a file; see {@linkcode ObjectStore.getFile}. */
  async getFile(key: string, path: string, options: GetOptions = {}): Promise<ObjectInfo> {
    let info: ObjectInfo | undefined;
    await writeFileAtomic(path, async (tmp) => {
      info = await this.#download(key, options, async (body) => {
        const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
        await body.pipeTo(file.writable);
      });
    });
    return info!;
  }

  /** Downloads into memory; see {@linkcode ObjectStore.getBytes}. */
  async getBytes(
    key: string,
    options: GetOptions = {},
  ): Promise<{ info: ObjectInfo; bytes: Uint8Array }> {
    let bytes = new Uint8Array();
    const info = await this.#download(key, options, async (body) => {
      bytes = new Uint8Array(await new Response(body).arrayBuffer());
    });
    return { info, bytes };
  }

  /**
   * GETs the object, hands a hashing copy of its body to `sink`, then compares the hash with
   * the recorded `gam-sha256`: a mismatch throws after `sink` ran, so callers must only make
   * the bytes visible once this resolves (getFile: rename after; getBytes: return after).
   */
  async #download(
    key: string,
    options: GetOptions,
    sink: (body: ReadableStream<Uint8Array>) => Promise<void>,
  ): Promise<ObjectInfo> {
    const uri = this.uri(key, options.versionId);
    return await this.#run("GetObject", uri, async (signal) => {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: options.versionId }),
        { abortSignal: signal },
      );
      if (out.Body === undefined) {
        throw new StorageError("GetObject", uri, "the answer has no body");
      }
      const hash = createHash("sha256");
      let size = 0;
      const body = out.Body.transformToWebStream().pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            hash.update(chunk);
            size += chunk.byteLength;
            controller.enqueue(chunk);
          },
        }),
      );
      await sink(body);
      const actual = `sha256:${hash.digest("hex")}`;
      const recorded = out.Metadata?.[SHA256_METADATA_KEY];
      if (recorded !== undefined && actual !== `sha256:${recorded}`) {
        throw new ObjectChecksumError(uri, `sha256:${recorded}`, actual);
      }
      return {
        key,
        size,
        versionId: out.VersionId,
        sha256: actual,
        lastModified: out.LastModified,
        metadata: out.Metadata,
      };
    }, options.signal);
  }

  /** The object's information; see {@linkcode ObjectStore.head}. */
  async head(key: string, options: GetOptions = {}): Promise<ObjectInfo | undefined> {
    const uri = this.uri(key, options.versionId);
    try {
      const out = await this.#run("HeadObject", uri, (signal) =>
        this.client.send(
          new HeadObjectCommand({ Bucket: this.bucket, Key: key, VersionId: options.versionId }),
          { abortSignal: signal },
        ), options.signal);
      const hex = out.Metadata?.[SHA256_METADATA_KEY];
      return {
        key,
        size: out.ContentLength ?? 0,
        versionId: out.VersionId,
        sha256: hex === undefined ? undefined : `sha256:${hex}`,
        lastModified: out.LastModified,
        metadata: out.Metadata,
      };
    } catch (e) {
      if (e instanceof ObjectNotFoundError) return undefined;
      throw e;
    }
  }

  /** Current objects under a prefix; see {@linkcode ObjectStore.list}. */
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      const out = await this.#run(
        "ListObjectsV2",
        `s3://${this.bucket}/${prefix}`,
        (signal) =>
          this.client.send(
            new ListObjectsV2Command({
              Bucket: this.bucket,
              Prefix: prefix,
              ContinuationToken: token,
            }),
            { abortSignal: signal },
          ),
      );
      for (const o of out.Contents ?? []) {
        if (o.Key === undefined) continue;
        yield { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified };
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** Every version under a prefix; see {@linkcode ObjectStore.listVersions}. */
  async *listVersions(prefix: string): AsyncIterable<ObjectInfo> {
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const out = await this.#run(
        "ListObjectVersions",
        `s3://${this.bucket}/${prefix}`,
        (signal) =>
          this.client.send(
            new ListObjectVersionsCommand({
              Bucket: this.bucket,
              Prefix: prefix,
              KeyMarker: keyMarker,
              VersionIdMarker: versionMarker,
            }),
            { abortSignal: signal },
          ),
      );
      for (const v of out.Versions ?? []) {
        if (v.Key === undefined) continue;
        yield {
          key: v.Key,
          size: v.Size ?? 0,
          versionId: v.VersionId,
          lastModified: v.LastModified,
          isLatest: v.IsLatest,
        };
      }
      const more = out.IsTruncated === true;
      keyMarker = more ? out.NextKeyMarker : undefined;
      versionMarker = more ? out.NextVersionIdMarker : undefined;
    } while (keyMarker !== undefined);
  }

  /** Deletes an object or one version; see {@linkcode ObjectStore.delete}. */
  async delete(key: string, options: { versionId?: string } = {}): Promise<void> {
    await this.#run("DeleteObject", this.uri(key, options.versionId), (signal) =>
      this.client.send(
        new DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: options.versionId }),
        { abortSignal: signal },
      ));
  }

  /** Closes the client's connections. */
  close(): void {
    this.client.destroy();
  }

  /**
   * Runs one operation under the retry and breaker policies, mapping SDK errors to ours.
   * Not-found and checksum errors are final (never retried).
   */
  async #run<T>(
    operation: string,
    uri: string,
    fn: (signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    try {
      const { value } = await this.#guard.run(async (attempt) => {
        try {
          return await fn(attempt.signal);
        } catch (e) {
          throw toStorageError(operation, uri, e);
        }
      }, { signal });
      return value;
    } catch (e) {
      const inner = e instanceof GuardError ? e.cause : e;
      if (inner instanceof ObjectNotFoundError || inner instanceof ObjectChecksumError) throw inner;
      if (e instanceof GuardError && e.kind === "circuit_open") {
        throw new StorageError(operation, uri, e.message, { retryable: true, cause: e });
      }
      if (inner instanceof StorageError && e instanceof GuardError && e.attempts > 1) {
        throw new StorageError(operation, uri, `${e.attempts} attempts; last: ${inner.message}`, {
          retryable: inner.retryable,
          status: inner.status,
          cause: inner,
        });
      }
      throw inner;
    }
  }
}

function statusOf(e: unknown): number | undefined {
  const meta = (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return meta?.httpStatusCode;
}

function nameOf(e: unknown): string {
  return e instanceof Error ? e.name : String(e);
}

/** Maps an SDK or network error to a storage error saying whether a retry could help. */
function toStorageError(operation: string, uri: string, e: unknown): Error {
  if (e instanceof StorageError || e instanceof ObjectChecksumError) return e;
  if (e instanceof ObjectNotFoundError) return e;
  const status = statusOf(e);
  const name = nameOf(e);
  if (status === 404 || name === "NoSuchKey" || name === "NotFound" || name === "NoSuchVersion") {
    return new ObjectNotFoundError(uri);
  }
  const message = e instanceof Error ? e.message : String(e);
  if (/checksum/i.test(message) && /mismatch|did not match|invalid/i.test(message)) {
    return new ObjectChecksumError(uri, "the checksum the server recorded", message, { cause: e });
  }
  const retryable = status === undefined || status >= 500 || status === 429 ||
    name === "TimeoutError" || name === "RequestTimeout" || name === "SlowDown";
  const problem = status === undefined
    ? `${name}: ${message}`
    : `HTTP ${status} ${name}${message && message !== name ? `: ${message}` : ""}`;
  return new StorageError(operation, uri, problem, { retryable, status, cause: e });
}

interface Digest {
  hex: string;
  base64: string;
  /** S3's composite checksum of a multipart upload with this part size: `<b64>-<parts>`. */
  composite: string;
  size: number;
}

function hashBytes(bytes: Uint8Array): Digest {
  const h = createHash("sha256").update(bytes).digest();
  const part = createHash("sha256").update(h).digest("base64");
  return {
    hex: h.toString("hex"),
    base64: h.toString("base64"),
    composite: `${part}-1`,
    size: bytes.byteLength,
  };
}

/** SHA-256 of a file, and the composite checksum of its parts of `partSize` bytes. */
async function hashFile(path: string, partSize: number): Promise<Digest> {
  const whole = createHash("sha256");
  const partDigests: Uint8Array[] = [];
  let part = createHash("sha256");
  let inPart = 0;
  let size = 0;
  using file = await Deno.open(path);
  const buf = new Uint8Array(1 << 20);
  while (true) {
    const n = await file.read(buf);
    if (n === null) break;
    let chunk = buf.subarray(0, n);
    whole.update(chunk);
    size += n;
    while (chunk.byteLength > 0) {
      const take = Math.min(chunk.byteLength, partSize - inPart);
      part.update(chunk.subarray(0, take));
      inPart += take;
      chunk = chunk.subarray(take);
      if (inPart === partSize) {
        partDigests.push(part.digest());
        part = createHash("sha256");
        inPart = 0;
      }
    }
  }
  if (inPart > 0 || partDigests.length === 0) partDigests.push(part.digest());
  const h = whole.digest();
  const composite = createHash("sha256");
  for (const d of partDigests) composite.update(d);
  return {
    hex: h.toString("hex"),
    base64: h.toString("base64"),
    composite: `${composite.digest("base64")}-${partDigests.length}`,
    size,
  };
}
