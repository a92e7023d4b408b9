/**
 * The resilience policies of one modality, built with cockatiel where it has the policy and a
 * {@linkcode TokenBucket} for the rate limit. Plugins never see them: the ingestion service
 * wraps every call.
 *
 * Order, outermost first: bulkhead (max concurrent + bounded queue) → retry (exponential
 * backoff with full jitter, only retryable errors, Retry-After honoured up to `maxDelayMs`) →
 * circuit breaker (consecutive failures, half-open probe) → rate limit (wait for a token) →
 * timeout per attempt (aggressive: the attempt's signal aborts and the call is abandoned).
 *
 * `retry.maxAttempts` counts every attempt, the first included (3 = one call + 2 retries).
 *
 * @module
 */
import {
  BrokenCircuitError,
  bulkhead,
  type BulkheadPolicy,
  BulkheadRejectedError,
  circuitBreaker,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
  retry,
  type RetryPolicy,
  SamplingBreaker,
  TaskCancelledError,
  timeout,
  type TimeoutPolicy,
  TimeoutStrategy,
} from "cockatiel";
import { isRetryable, type Retryable, retryAfterOf } from "./errors.ts";
import { TokenBucket } from "./rate_limiter.ts";

/**
 * Resilience settings of one modality (the config's `retry`, `circuitBreaker`, `timeoutMs`,
 * `bulkhead` and `rateLimit`).
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_RESILIENCE, type ResilienceSettings } from "./resilience.ts";
 * const s: ResilienceSettings = { ...DEFAULT_RESILIENCE, timeoutMs: 5000 };
 * ```
 */
export interface ResilienceSettings {
  /** Timeout of each attempt, milliseconds. */
  timeoutMs: number;
  /** Retry policy. */
  retry: {
    /** Attempts in all, the first included (>= 1). */
    maxAttempts: number;
    /** Base delay of the exponential backoff, milliseconds. */
    baseDelayMs: number;
    /** Upper bound of one delay (and of an honoured Retry-After), milliseconds. */
    maxDelayMs: number;
    /** Full jitter (`true`/`"full"`: delay uniform in [0, d)) or none. @default "full" */
    jitter?: boolean | "full" | "none";
    /** Wait as long as an error's Retry-After says (capped at maxDelayMs). @default true */
    honorRetryAfter?: boolean;
  };
  /** Circuit breaker. */
  circuitBreaker: {
    /** `consecutive` (default) or `sampling` (failure ratio over a sliding window). */
    strategy?: "consecutive" | "sampling";
    /** Consecutive failed attempts that open the circuit (`consecutive`). */
    threshold: number;
    /** Time after which an open circuit lets one probe through, milliseconds. */
    halfOpenAfterMs: number;
    /** Settings of the `sampling` strategy. */
    sampling?: { failureRatio: number; windowMs: number; minimumRps?: number };
  };
  /** Bulkhead. */
  bulkhead: {
    /** Fetches running at once. */
    maxConcurrent: number;
    /** Fetches waiting for a slot; more are rejected. */
    queue: number;
  };
  /** Token-bucket rate limit of attempts. */
  rateLimit: {
    /** Sustained attempts per second. */
    requestsPerSecond: number;
    /** Attempts allowed back to back. */
    burst: number;
  };
}

/**
 * Defaults used where a setting is absent.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_RESILIENCE } from "./resilience.ts";
 * DEFAULT_RESILIENCE.retry.maxAttempts; // 3
 * ```
 */
export const DEFAULT_RESILIENCE: ResilienceSettings = {
  timeoutMs: 30_000,
  retry: { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 10_000, jitter: "full" },
  circuitBreaker: { threshold: 5, halfOpenAfterMs: 30_000 },
  bulkhead: { maxConcurrent: 4, queue: 16 },
  rateLimit: { requestsPerSecond: 10, burst: 10 },
};

/** Circuit state names used in logs and metric labels. */
export type CircuitStateName = "closed" | "open" | "half_open" | "isolated";

/**
 * The name of a cockatiel circuit state.
 *
 * @example Usage
 * ```ts
 * import { circuitStateName } from "./resilience.ts";
 * import { CircuitState } from "cockatiel";
 * circuitStateName(CircuitState.HalfOpen); // "half_open"
 * ```
 */
export function circuitStateName(state: CircuitState): CircuitStateName {
  switch (state) {
    case CircuitState.Closed:
      return "closed";
    case CircuitState.Open:
      return "open";
    case CircuitState.HalfOpen:
      return "half_open";
    default:
      return "isolated";
  }
}

/**
 * Exponential backoff with optional full jitter that honours a Retry-After carried by the
 * error (`retryAfterMs`), capped at `maxDelayMs`. Delay of retry n (1-based):
 * `min(maxDelayMs, baseDelayMs * 2^(n-1))`, times a uniform random number in [0, 1) with
 * jitter; a Retry-After replaces it.
 *
 * @example Usage
 * ```ts
 * import { JitteredBackoff } from "./resilience.ts";
 * const b = new JitteredBackoff({ baseDelayMs: 100, maxDelayMs: 1000, jitter: false });
 * ```
 */
export class JitteredBackoff implements IBackoffFactory<IRetryBackoffContext<unknown>> {
  #base: number;
  #max: number;
  #jitter: boolean;
  #honor: boolean;
  #random: () => number;

  /** @param options Base and max delay (ms), jitter, random source in [0, 1). */
  constructor(options: {
    baseDelayMs: number;
    maxDelayMs: number;
    jitter?: boolean | "full" | "none";
    honorRetryAfter?: boolean;
    random?: () => number;
  }) {
    this.#base = options.baseDelayMs;
    this.#max = options.maxDelayMs;
    this.#jitter = options.jitter === undefined || options.jitter === true ||
      options.jitter === "full";
    this.#honor = options.honorRetryAfter ?? true;
    this.#random = options.random ?? Math.random;
  }

  /** The first backoff. */
  next(context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
    return this.#make(context, 1);
  }

  /** The delay of retry `n` (1-based) after `error`, milliseconds. */
  delayFor(n: number, error: unknown): number {
    const after = this.#honor ? retryAfterOf(error) : undefined;
    if (after !== undefined) return Math.min(after, this.#max);
    const cap = Math.min(this.#max, this.#base * 2 ** (n - 1));
    return this.#jitter ? Math.floor(this.#random() * cap) : cap;
  }

  #make(
    context: IRetryBackoffContext<unknown>,
    n: number,
  ): IBackoff<IRetryBackoffContext<unknown>> {
    const error = "error" in context.result ? context.result.error : undefined;
    return {
      duration: this.delayFor(n, error),
      next: (c) => this.#make(c, n + 1),
    };
  }
}

/** Hooks a {@linkcode ModalityGuard} calls, for logs and metrics. */
export interface GuardHooks {
  /** A retry is about to wait `delayMs` after `error` (attempt = the failed attempt, 1-based). */
  onRetry?(attempt: number, delayMs: number, error: unknown): void;
  /** The circuit moved from one state to another. */
  onCircuitChange?(from: CircuitStateName, to: CircuitStateName): void;
  /** The bulkhead rejected a call. */
  onBulkheadReject?(): void;
  /** An attempt waited for a rate-limit token. */
  onRateLimited?(): void;
}

/**
 * Why {@linkcode ModalityGuard.run} produced no result: `rejected` (bulkhead full),
 * `circuit_open`, `timeout` (last attempt timed out), `error`.
 */
export type GuardFailureKind = "rejected" | "circuit_open" | "error";

/**
 * All policies of one modality, stateful across calls (the breaker and the bucket remember).
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_RESILIENCE, ModalityGuard } from "./resilience.ts";
 * const guard = new ModalityGuard(DEFAULT_RESILIENCE);
 * const v = await guard.run((attempt) => Promise.resolve(attempt.number));
 * ```
 */
export class ModalityGuard {
  /** The settings in force. */
  readonly settings: ResilienceSettings;
  readonly #bulkhead: BulkheadPolicy;
  readonly #retry: RetryPolicy;
  readonly #breaker: CircuitBreakerPolicy;
  readonly #timeout: TimeoutPolicy;
  readonly #bucket: TokenBucket;
  readonly #hooks: GuardHooks;
  #state: CircuitStateName = "closed";

  /**
   * @param settings Resilience settings.
   * @param options Hooks and a random source for the jitter.
   */
  constructor(
    settings: ResilienceSettings,
    options: { hooks?: GuardHooks; random?: () => number } = {},
  ) {
    this.settings = settings;
    this.#hooks = options.hooks ?? {};
    const retryable = handleWhen(isRetryable);
    this.#bulkhead = bulkhead(settings.bulkhead.maxConcurrent, settings.bulkhead.queue);
    this.#bulkhead.onReject(() => this.#hooks.onBulkheadReject?.());
    this.#retry = retry(retryable, {
      maxAttempts: Math.max(0, settings.retry.maxAttempts - 1),
      backoff: new JitteredBackoff({ ...settings.retry, random: options.random }),
    });
    this.#retry.onRetry((e) => {
      this.#hooks.onRetry?.(e.attempt, e.delay, "error" in e ? e.error : undefined);
    });
    this.#breaker = circuitBreaker(retryable, {
      halfOpenAfter: settings.circuitBreaker.halfOpenAfterMs,
      breaker: makeBreaker(settings.circuitBreaker),
    });
    this.#breaker.onStateChange((s) => {
      const to = circuitStateName(s);
      const from = this.#state;
      this.#state = to;
      if (from !== to) this.#hooks.onCircuitChange?.(from, to);
    });
    this.#timeout = timeout(settings.timeoutMs, TimeoutStrategy.Aggressive);
    this.#bucket = new TokenBucket(settings.rateLimit);
  }

  /** The circuit state now. */
  get circuitState(): CircuitStateName {
    return this.#state;
  }

  /**
   * Runs `attemptFn` under every policy. `attemptFn` receives the attempt number (1-based)
   * and a signal aborted on timeout or when `signal` aborts. A timed-out attempt rejects with
   * `onTimeout()`'s error (retryable) instead of cockatiel's `TaskCancelledError`.
   *
   * @throws {GuardError} wrapping the final error with the kind of failure and attempts made.
   */
  async run<T>(
    attemptFn: (attempt: { number: number; signal: AbortSignal }) => Promise<T>,
    options: { signal?: AbortSignal; onTimeout?: () => Error } = {},
  ): Promise<{ value: T; attempts: number }> {
    let attempts = 0;
    const outer = options.signal;
    try {
      const value = await this.#bulkhead.execute(
        () =>
          this.#retry.execute(() =>
            this.#breaker.execute(async () => {
              if (await this.#bucket.take(outer)) this.#hooks.onRateLimited?.();
              attempts++;
              const n = attempts;
              try {
                return await this.#timeout.execute(
                  (_ctx, signal) => attemptFn({ number: n, signal }),
                  outer,
                );
              } catch (e) {
                if (e instanceof TaskCancelledError && !outer?.aborted) {
                  throw options.onTimeout?.() ?? new TimeoutError(this.settings.timeoutMs);
                }
                throw e;
              }
            }), outer),
        outer,
      );
      return { value, attempts };
    } catch (e) {
      const kind: GuardFailureKind = e instanceof BulkheadRejectedError
        ? "rejected"
        : e instanceof BrokenCircuitError
        ? "circuit_open"
        : "error";
      throw new GuardError(kind, attempts, e);
    }
  }
}

function makeBreaker(cb: ResilienceSettings["circuitBreaker"]) {
  if (cb.strategy === "sampling" && cb.sampling) {
    return new SamplingBreaker({
      threshold: cb.sampling.failureRatio,
      duration: cb.sampling.windowMs,
      minimumRps: cb.sampling.minimumRps,
    });
  }
  return new ConsecutiveBreaker(cb.threshold);
}

/**
 * An attempt timed out (used when no plugin-specific timeout error is given). Retryable.
 *
 * @example Usage
 * ```ts
 * import { TimeoutError } from "./resilience.ts";
 * new TimeoutError(1000).retryable; // true
 * ```
 */
export class TimeoutError extends Error implements Retryable {
  /** Always `true`. */
  readonly retryable = true;
  /** @param timeoutMs The timeout that expired, milliseconds. */
  constructor(timeoutMs: number) {
    super(`The attempt did not finish within ${timeoutMs} ms (timeoutMs)`);
    this.name = "TimeoutError";
  }
}

/**
 * What {@linkcode ModalityGuard.run} throws: the last error (`cause`), the kind of failure and
 * the attempts made.
 *
 * @example Usage
 * ```ts
 * import { GuardError } from "./resilience.ts";
 * new GuardError("error", 3, new Error("HTTP 500"));
 * ```
 */
export class GuardError extends Error {
  /** Kind of failure. */
  readonly kind: GuardFailureKind;
  /** Attempts made. */
  readonly attempts: number;
  /**
   * @param kind Kind of failure.
   * @param attempts Attempts made.
   * @param cause The last error.
   */
  constructor(kind: GuardFailureKind, attempts: number, cause: unknown) {
    super(
      kind === "rejected"
        ? "rejected: the bulkhead (bulkhead.maxConcurrent) and its queue (bulkhead.queue) are full"
        : kind === "circuit_open"
        ? "the circuit breaker is open after repeated failures; no attempt was made"
        : `${attempts} attempt(s) failed; last error: ${
          cause instanceof Error ? cause.message : String(cause)
        }`,
      { cause },
    );
    this.name = "GuardError";
    this.kind = kind;
    this.attempts = attempts;
  }
}
