/**
 * Errors raised by the cache.
 *
 * @module
 */

/**
 * A cache entry path, key, layer or modality that is not allowed (empty, `..`, a character
 * outside `[A-Za-z0-9._-]`).
 *
 * @example Usage
 * ```ts
 * import { CacheKeyError } from "./errors.ts";
 * const e = new CacheKeyError('Cache key "../x" is not allowed: expected [A-Za-z0-9._-]+');
 * ```
 */
export class CacheKeyError extends RangeError {
  /** @param message What was received and what was expected. */
  constructor(message: string) {
    super(message);
    this.name = "CacheKeyError";
  }
}

/**
 * Cached bytes do not match the canonical checksum recorded for them (after a write, or on a
 * verified read), or the entry cannot be decoded. Reads turn this into a quarantine and a
 * miss; writes raise it so nothing unverified is ever published.
 *
 * @example Usage
 * ```ts
 * import { CacheIntegrityError } from "./errors.ts";
 * const e = new CacheIntegrityError("ingestion/gravity/abc", "sha256:00", "sha256:11");
 * e.entry; // "ingestion/gravity/abc"
 * ```
 */
export class CacheIntegrityError extends Error {
  /** The entry path, e.g. `ingestion/gravity/<key>`. */
  readonly entry: string;
  /** The checksum recorded in the entry. */
  readonly expected: string;
  /** The checksum of what was read back, or a description of why it could not be read. */
  readonly actual: string;
  /**
   * @param entry Entry path.
   * @param expected Recorded checksum.
   * @param actual Checksum computed from the stored arrays, or the decoding problem.
   */
  constructor(entry: string, expected: string, actual: string, options?: ErrorOptions) {
    super(
      `Cache entry "${entry}" failed its integrity check: recorded checksum ${expected}, ` +
        `stored data gives ${actual}`,
      options,
    );
    this.name = "CacheIntegrityError";
    this.entry = entry;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A cache entry exists but its attributes are not what this version of GAM writes (missing
 * `gam` attributes, unknown format version, wrong layer).
 *
 * @example Usage
 * ```ts
 * import { CacheFormatError } from "./errors.ts";
 * const e = new CacheFormatError('Cache entry "x": attribute gam.format is 7, expected 1');
 * ```
 */
export class CacheFormatError extends TypeError {
  /** @param message What was found, what was expected, and where. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CacheFormatError";
  }
}
