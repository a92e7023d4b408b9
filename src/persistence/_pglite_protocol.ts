/**
 * Messages between {@link import("./pglite_engine.ts").openPglite} (the host) and the worker that
 * runs the embedded engine (internal).
 *
 * Host → worker: one {@link PgliteRequest} per call, each with a fresh `id`. The worker answers
 * every request with exactly one {@link PgliteReply} of the same `id`, in any order (calls run
 * concurrently; PGlite queues them on its own locks, as in one thread).
 *
 * @module
 */
import { PersistenceError } from "./errors.ts";

/** Host → worker. `tx` names an open transaction (from `begin`); absent = outside any. */
export type PgliteRequest =
  | {
    id: number;
    op: "open";
    dataDir: string;
    loadDataDir?: Uint8Array;
    /** Template of a new data folder (see `OpenPgliteOptions.template`). */
    template?: string;
  }
  | {
    id: number;
    op: "query";
    text: string;
    params: readonly unknown[];
    operation: string;
    tx?: number;
  }
  | { id: number; op: "exec"; script: string; operation: string; tx?: number }
  | { id: number; op: "begin" }
  | { id: number; op: "end"; tx: number; commit: boolean }
  | { id: number; op: "dump"; compression: "gzip" | "none" }
  | { id: number; op: "shutdown" };

/** Worker → host. */
export type PgliteReply =
  | { id: number; ok: true; value?: unknown }
  | { id: number; ok: false; error: WirePersistenceError };

/** A {@link PersistenceError} (or any error) as it crosses the worker boundary. */
export interface WirePersistenceError {
  name: string;
  message: string;
  operation?: string;
  table?: string;
  constraint?: string;
  column?: string;
  code?: string;
  /** Message of the driver error it wraps, if any. */
  cause?: string;
}

/** Flattens an error for `postMessage`. */
export function toWire(err: unknown): WirePersistenceError {
  if (!(err instanceof Error)) return { name: "Error", message: String(err) };
  const out: WirePersistenceError = { name: err.name, message: err.message };
  if (err instanceof PersistenceError) {
    Object.assign(out, {
      operation: err.operation,
      table: err.table,
      constraint: err.constraint,
      column: err.column,
      code: err.code,
    });
  }
  if (err.cause instanceof Error) out.cause = err.cause.message;
  return out;
}

/**
 * Re-creates an error sent by {@link toWire}: a {@link PersistenceError} with the same message,
 * operation, table, constraint, column and SQLSTATE code (its `cause` an `Error` with the driver's
 * message), or an `Error` of the same name and message.
 */
export function fromWire(w: WirePersistenceError): Error {
  const cause = w.cause === undefined ? undefined : new Error(w.cause);
  if (w.operation !== undefined) {
    return new PersistenceError(w.message, {
      operation: w.operation,
      table: w.table,
      constraint: w.constraint,
      column: w.column,
      code: w.code,
      cause,
    });
  }
  const e = new Error(w.message, { cause });
  e.name = w.name;
  return e;
}
