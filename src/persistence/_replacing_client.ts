/**
 * The retirement of a server client whose server went away (internal), apart from the driver so
 * that it can be tested without a server: the client in use is retired at once on a sign of the
 * loss, what it still holds may finish for a short grace and is then rejected (so that callers
 * holding locks fail and release them), a new client is opened with a 0.25 to 2 s backoff until
 * the server answers, and new work waits for it, for a bounded time.
 *
 * Used by `postgres_engine.ts` for the npm `postgres` pool of every process (`gam serve`,
 * `gam run`, `gam worker`, ...).
 *
 * @module
 */
import type { Logger } from "../observability/mod.ts";
import { errorMessage } from "../observability/mod.ts";
import { ConnectionLostError } from "./errors.ts";

/** How a {@linkcode ReplacingClient} opens, ends and checks the clients it holds. */
export interface ReplacingOptions<C> {
  /** Opens a client and checks that the server answers; rejects when it does not. */
  open(): Promise<C>;
  /**
   * Ends a client: what it holds may finish for `graceSeconds`, then is rejected (a query that
   * a connection lost included).
   */
  end(client: C, graceSeconds: number): Promise<void>;
  /** Resolves `true` when `client` answers a trivial query (the caller bounds the wait). */
  answers(client: C): Promise<boolean>;
  /** Where the server is, for messages (a URL with its password masked). */
  where: string;
  /** Receives the retirements and replacements. */
  logger: Logger;
  /** Grace of a retired client's work, seconds. @default 5 */
  graceSeconds?: number;
  /** How long work waits for a new client before it fails, seconds. @default 60 */
  waitSeconds?: number;
  /** Pause before reconnection attempt `n` (from 0), milliseconds. @default 250 * 2^n, at most 2000 */
  backoffMs?: (attempt: number) => number;
}

/**
 * One live client of a server at a time, replaced when the server goes away.
 *
 * @example Replacing a client (in-memory clients stand in for connection pools)
 * ```ts
 * import { ReplacingClient } from "./_replacing_client.ts";
 * import { createLogger } from "../observability/mod.ts";
 * let opened = 0;
 * const clients = await ReplacingClient.open<{ id: number }>({
 *   open: () => Promise.resolve({ id: ++opened }),
 *   end: () => Promise.resolve(),
 *   answers: () => Promise.resolve(true),
 *   where: "postgres://gam@db/gam",
 *   logger: createLogger({ level: "silent" }),
 * });
 * const first = await clients.acquire();
 * clients.retire(first, new Error("connection closed"));
 * console.assert((await clients.acquire()).id === 2);
 * await clients.close();
 * ```
 */
export class ReplacingClient<C extends object> {
  readonly #o: ReplacingOptions<C>;
  readonly #grace: number;
  #current: C | undefined;
  readonly #retired = new WeakSet<C>();
  #replacing: Promise<void> | undefined;
  readonly #ending = new Set<Promise<void>>();
  #probing: Promise<void> | undefined;
  #lastError: unknown;
  #closed = false;
  readonly #stop = new AbortController();

  private constructor(options: ReplacingOptions<C>, first: C) {
    this.#o = options;
    this.#grace = options.graceSeconds ?? 5;
    this.#current = first;
  }

  /**
   * Opens the first client. A server that does not answer now is an error at once (no retry):
   * a process starting against a server that is away says so.
   */
  static async open<C extends object>(options: ReplacingOptions<C>): Promise<ReplacingClient<C>> {
    return new ReplacingClient(options, await options.open());
  }

  /** Whether `client` was retired (its connections must take no new statement). */
  isRetired(client: C): boolean {
    return this.#retired.has(client);
  }

  /**
   * The live client; while one is being opened, waits for it (at most `waitSeconds`).
   *
   * @param operation What the caller is doing, for the error's message.
   * @throws {ConnectionLostError} When no client could be opened in time (or after close).
   */
  async acquire(operation = "query"): Promise<C> {
    if (this.#current) return this.#current;
    const replacing = this.#replacing;
    if (this.#closed || !replacing) {
      throw new ConnectionLostError(`${operation} failed: the database client is closed`, {
        operation,
      });
    }
    const waitSeconds = this.#o.waitSeconds ?? 60;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      replacing,
      new Promise<void>((resolve) => timer = setTimeout(resolve, waitSeconds * 1000)),
    ]).finally(() => clearTimeout(timer));
    if (this.#current) return this.#current;
    throw new ConnectionLostError(
      `${operation} failed: the database server at ${this.#o.where} went away and has not ` +
        `answered again within ${waitSeconds} s` +
        (this.#lastError === undefined ? "" : ` (last attempt: ${errorMessage(this.#lastError)})`) +
        "; the client keeps reconnecting, retry later",
      { operation, cause: this.#lastError },
    );
  }

  /**
   * Retires `client` if it is the live one (a sign of the loss on it, e.g. one of its
   * connections closed, a statement failed with a connection-level code): new work waits for a
   * new client, opened now; the retired one's work is rejected after the grace.
   */
  retire(client: C, reason: unknown): void {
    if (this.#closed || client !== this.#current) return; // already replaced, or being replaced
    this.#current = undefined;
    this.#retired.add(client);
    this.#o.logger.warn("database server went away: client retired, opening a new one", {
      where: this.#o.where,
      graceSeconds: this.#grace,
      reason,
    });
    this.#endLater(client, this.#grace);
    this.#replacing = this.#reconnect().finally(() => this.#replacing = undefined);
  }

  /**
   * A sign of the loss that names no client (another pool's connection error, a lost write
   * thrown from a timer): the live client is retired unless it answers within the grace.
   */
  suspect(reason: unknown): void {
    const client = this.#current;
    if (this.#closed || !client || this.#probing) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.#probing = Promise.race([
      this.#o.answers(client).catch(() => false),
      new Promise<boolean>((resolve) => timer = setTimeout(resolve, this.#grace * 1000, false)),
    ]).then((alive) => {
      if (!alive) this.retire(client, reason);
    }).finally(() => {
      clearTimeout(timer);
      this.#probing = undefined;
    });
  }

  /** Stops reconnecting, ends the live client (`graceSeconds` for its work) and the retired ones. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop.abort();
    await this.#replacing;
    await this.#probing;
    if (this.#current) this.#endLater(this.#current, this.#grace);
    await Promise.all(this.#ending);
  }

  #endLater(client: C, graceSeconds: number): void {
    const ending: Promise<void> = this.#o.end(client, graceSeconds).catch(() => {})
      .finally(() => this.#ending.delete(ending));
    this.#ending.add(ending);
  }

  async #reconnect(): Promise<void> {
    const backoff = this.#o.backoffMs ?? ((n: number) => Math.min(2_000, 250 * 2 ** n));
    for (let attempt = 0; !this.#closed; attempt++) {
      try {
        const client = await this.#o.open();
        if (this.#closed) {
          this.#endLater(client, 0);
          return;
        }
        this.#current = client;
        this.#lastError = undefined;
        this.#o.logger.info("database client replaced", {
          where: this.#o.where,
          attempts: attempt + 1,
        });
        return;
      } catch (error) {
        this.#lastError = error;
        if (attempt === 0) {
          this.#o.logger.warn("database server not reachable yet; retrying", {
            where: this.#o.where,
            error,
          });
        }
        await sleep(backoff(attempt), this.#stop.signal);
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
