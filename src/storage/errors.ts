/**
 * Errors of the object store. Each says what was asked (bucket, key, version) and what went
 * wrong, never a credential; `retryable` tells the resilience policies whether another attempt
 * could help (the `Retryable` contract of the ingestion errors).
 *
 * @module
 */
import type { Retryable } from "../ingestion/mod.ts";

/**
 * A storage request failed: network error, server error, refused request. `retryable` is true
 * for network errors, timeouts, HTTP 5xx and 429 (the server may answer next time).
 *
 * @example Usage
 * ```ts
 * import { StorageError } from "./errors.ts";
 * const e = new StorageError("PutObject", "s3://b/k", "connection refused", { retryable: true });
 * e.retryable; // true
 * ```
 */
export class StorageError extends Error implements Retryable {
  /** The S3 operation, e.g. `PutObject`. */
  readonly operation: string;
  /** The object or bucket, `s3://bucket/key`. */
  readonly uri: string;
  /** Whether another attempt could succeed. */
  readonly retryable: boolean;
  /** The HTTP status of the server's answer, when there was one. */
  readonly status: number | undefined;
  /**
   * @param operation The S3 operation.
   * @param uri The object or bucket.
   * @param problem What went wrong.
   * @param options `retryable`, `status` and the standard `cause`.
   */
  constructor(
    operation: string,
    uri: string,
    problem: string,
    options: ErrorOptions & { retryable?: boolean; status?: number } = {},
  ) {
    super(`${operation} ${uri} failed: ${problem}`, options);
    this.name = "StorageError";
    this.operation = operation;
    this.uri = uri;
    this.retryable = options.retryable ?? false;
    this.status = options.status;
  }
}

/**
 * The object (or the version asked for) does not exist.
 *
 * @example Usage
 * ```ts
 * import { ObjectNotFoundError } from "./errors.ts";
 * new ObjectNotFoundError("s3://b/k").message; // "No object at s3://b/k"
 * ```
 */
export class ObjectNotFoundError extends Error {
  /** The object asked for. */
  readonly uri: string;
  /** @param uri The object asked for, `s3://bucket/key[?versionId=...]`. */
  constructor(uri: string) {
    super(`No object at ${uri}`);
    this.name = "ObjectNotFoundError";
    this.uri = uri;
  }
}

/**
 * An object's bytes do not match its recorded checksum (corrupted in the bucket or in
 * transit). The bytes are discarded, never used; not retryable.
 *
 * @example Usage
 * ```ts
 * import { ObjectChecksumError } from "./errors.ts";
 * const e = new ObjectChecksumError("s3://b/k", "sha256:aa", "sha256:bb");
 * e.expected; // "sha256:aa"
 * ```
 */
export class ObjectChecksumError extends Error implements Retryable {
  /** The object read. */
  readonly uri: string;
  /** The checksum recorded when the object was written, `sha256:<hex>`. */
  readonly expected: string;
  /** The checksum of the bytes received, `sha256:<hex>` (or the server's check that failed). */
  readonly actual: string;
  /** Always `false`: reading the same bytes again gives the same mismatch. */
  readonly retryable = false;
  /**
   * @param uri The object read.
   * @param expected The recorded checksum.
   * @param actual The checksum of what was received.
   * @param options Standard error options (`cause`).
   */
  constructor(uri: string, expected: string, actual: string, options?: ErrorOptions) {
    super(
      `Object ${uri} is corrupted: its bytes hash to ${actual}, but ${expected} was recorded ` +
        "when it was written; the copy was discarded",
      options,
    );
    this.name = "ObjectChecksumError";
    this.uri = uri;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * The storage configuration cannot be used: plain HTTP to a remote host, missing credentials.
 *
 * @example Usage
 * ```ts
 * import { StorageConfigError } from "./errors.ts";
 * new StorageConfigError("storage.endpoint: an https: URL").name; // "StorageConfigError"
 * ```
 */
export class StorageConfigError extends TypeError {
  /** @param message What is wrong and what was expected. */
  constructor(message: string) {
    super(message);
    this.name = "StorageConfigError";
  }
}
