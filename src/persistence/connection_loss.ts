/**
 * Connection-level failures of the database clients while a server is away (a restart), told
 * apart from errors of a statement, and the process-wide guard that the server client installs
 * while it is open: the npm `postgres` client's lost write (thrown from a timer, so no caller
 * can catch it) and a connection failure a driver leaves unhandled are logged and dropped
 * instead of ending the process.
 *
 * @module
 */
import type { Logger } from "../observability/mod.ts";
import { ConnectionLostError } from "./errors.ts";

/** Codes of connection-level failures: the npm postgres and pg clients, sockets, the server. */
const CONNECTION_CODES = new Set([
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "57P01", // admin_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down)
]);

/**
 * Whether `error` (or one of its causes) is a lost or refused database connection.
 *
 * @example Usage
 * ```ts
 * import { isConnectionLoss } from "./connection_loss.ts";
 * isConnectionLoss(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })); // true
 * isConnectionLoss(Object.assign(new Error("duplicate key"), { code: "23505" })); // false
 * ```
 */
export function isConnectionLoss(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 4; depth++) {
    if (e instanceof ConnectionLostError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Whether `error` is the npm `postgres` client (3.4.9, also 3.4.10) flushing a write for a
 * connection whose socket has closed, from a `setImmediate` callback
 * ([porsager/postgres#1208](https://github.com/porsager/postgres/issues/1208)): the query it
 * carried never settles.
 */
function isLostWrite(error: unknown): boolean {
  return error instanceof TypeError && /reading 'write'/.test(error.message);
}

/** What the process guard asks of each open server client. */
export interface GuardedClient {
  /** Where the client logs. */
  readonly logger: Logger;
  /** An unattributed sign that the server went away: check the client, replace it if needed. */
  suspect(reason: unknown): void;
}

const guarded = new Set<GuardedClient>();

function onError(e: ErrorEvent): void {
  const error = e.error ?? e.message;
  if (!isLostWrite(error)) return;
  e.preventDefault();
  // Which client's connection it was is unknown: each checks its own.
  for (const client of guarded) {
    client.logger.warn("database client lost a write (connection closed mid-query)", { error });
    client.suspect(error);
  }
}

function onRejection(e: PromiseRejectionEvent): void {
  if (!isConnectionLoss(e.reason)) return;
  e.preventDefault();
  const [first] = guarded;
  first?.logger.warn("database connection failure left unhandled by a driver: ignored", {
    error: e.reason,
  });
}

/**
 * Adds `client` to the process guard while it is open (the listeners are installed with the
 * first client and removed with the last): a lost write of the npm `postgres` client (an
 * uncaught `TypeError` from a timer) is dropped and every open client checks its server; a
 * connection-level rejection a driver leaves unhandled (a socket's connect refused while the
 * server restarts) is logged and dropped. Any other uncaught error still ends the process.
 *
 * @returns A function that removes `client` from the guard.
 *
 * @example Usage
 * ```ts
 * import { guardProcess } from "./connection_loss.ts";
 * import { createLogger } from "../observability/mod.ts";
 * const unguard = guardProcess({ logger: createLogger({ level: "error" }), suspect() {} });
 * unguard();
 * ```
 */
export function guardProcess(client: GuardedClient): () => void {
  if (guarded.size === 0) {
    globalThis.addEventListener("error", onError);
    globalThis.addEventListener("unhandledrejection", onRejection);
  }
  guarded.add(client);
  return () => {
    if (!guarded.delete(client) || guarded.size > 0) return;
    globalThis.removeEventListener("error", onError);
    globalThis.removeEventListener("unhandledrejection", onRejection);
  };
}
