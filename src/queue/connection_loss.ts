/**
 * Connection-level failures of the database clients while a server is away (a restart), told
 * apart from errors of a statement, and a guard that keeps a long-lived queue process (a worker,
 * a waiting `gam run`) alive when a driver leaves such a failure unhandled.
 *
 * @module
 */
import type { Logger } from "../observability/mod.ts";

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
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Keeps this process alive when a database driver leaves a connection-level failure unhandled
 * (a promise rejected by a socket's connect while the server restarts, seen once in the
 * database-restart fault test): such a rejection is logged and dropped; any other still ends the
 * process. The process's own loop (a worker's next job, `gam run`'s next poll) reconnects.
 *
 * @returns A function that removes the guard.
 *
 * @example Usage
 * ```ts
 * import { tolerateConnectionLoss } from "./connection_loss.ts";
 * import { createLogger } from "../observability/mod.ts";
 * const remove = tolerateConnectionLoss(createLogger({ level: "error" }));
 * remove();
 * ```
 */
export function tolerateConnectionLoss(logger: Logger): () => void {
  const onRejection = (e: PromiseRejectionEvent) => {
    if (!isConnectionLoss(e.reason)) return;
    e.preventDefault();
    logger.warn("database connection failure left unhandled by a driver: ignored", {
      error: e.reason,
    });
  };
  globalThis.addEventListener("unhandledrejection", onRejection);
  return () => globalThis.removeEventListener("unhandledrejection", onRejection);
}
