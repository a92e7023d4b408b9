/**
 * A token-bucket rate limiter (cockatiel has none): `burst` tokens, refilled at
 * `requestsPerSecond`; each request takes one token and waits for it when the bucket is empty.
 *
 * @module
 */

/** Options of {@linkcode TokenBucket}. */
export interface TokenBucketOptions {
  /** Sustained rate, requests per second (> 0). */
  requestsPerSecond: number;
  /** Bucket size: requests allowed back to back (>= 1). */
  burst: number;
  /** Clock in milliseconds, for tests. @default performance.now */
  now?: () => number;
}

/**
 * A token bucket.
 *
 * @example Usage
 * ```ts
 * import { TokenBucket } from "./rate_limiter.ts";
 * const bucket = new TokenBucket({ requestsPerSecond: 10, burst: 2 });
 * const waited = await bucket.take(); // false: a token was available
 * ```
 */
export class TokenBucket {
  #rate: number;
  #burst: number;
  #tokens: number;
  #last: number;
  #now: () => number;
  /** Waiters in arrival order; each resolves once a token is reserved for it. */
  #tail: Promise<void> = Promise.resolve();

  /** @param options Rate, burst, clock. */
  constructor(options: TokenBucketOptions) {
    if (!(options.requestsPerSecond > 0) || !Number.isFinite(options.requestsPerSecond)) {
      throw new RangeError(
        `rateLimit.requestsPerSecond must be a finite number > 0, got ${options.requestsPerSecond}`,
      );
    }
    if (!(options.burst >= 1) || !Number.isInteger(options.burst)) {
      throw new RangeError(`rateLimit.burst must be an integer >= 1, got ${options.burst}`);
    }
    this.#rate = options.requestsPerSecond;
    this.#burst = options.burst;
    this.#tokens = options.burst;
    this.#now = options.now ?? (() => performance.now());
    this.#last = this.#now();
  }

  /** Tokens available now (fractional). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  #refill(): void {
    const t = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((t - this.#last) / 1000) * this.#rate);
    this.#last = t;
  }

  /**
   * Takes one token, waiting (in arrival order) until one is available.
   *
   * @param signal Aborts the wait; the promise then rejects with the signal's reason.
   * @returns `true` when the caller had to wait (it was rate limited), `false` otherwise.
   */
  take(signal?: AbortSignal): Promise<boolean> {
    const run = this.#tail.then(() => this.#takeNow(signal));
    this.#tail = run.then(() => {}, () => {});
    return run;
  }

  async #takeNow(signal?: AbortSignal): Promise<boolean> {
    signal?.throwIfAborted();
    this.#refill();
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return false;
    }
    const waitMs = ((1 - this.#tokens) / this.#rate) * 1000;
    await delay(waitMs, signal);
    this.#refill();
    this.#tokens = Math.max(0, this.#tokens - 1);
    return true;
  }
}

/**
 * Resolves after `ms` milliseconds, or rejects with the signal's reason when it aborts.
 *
 * @example Usage
 * ```ts
 * import { delay } from "./rate_limiter.ts";
 * await delay(1);
 * ```
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
