/**
 * Messages between the sandbox host and a plugin worker (internal).
 *
 * Host → worker: `init` (runtime worker only), `fetch`, `abort`.
 * Worker → host: `probe` (probe worker: the exports it found), `ready`, `init-error`,
 * `result` (typed arrays transferred), `error`.
 *
 * @module
 */

/** An error as it crosses the worker boundary. */
export interface WireError {
  name: string;
  message: string;
  retryable?: boolean;
  status?: number;
  url?: string;
  retryAfterMs?: number;
}

/** Host → worker. */
export type HostMessage =
  | {
    type: "init";
    options: { params: Record<string, unknown>; auth?: string; allowInsecureHttp: string[] };
  }
  | {
    type: "fetch";
    id: number;
    request: {
      modality: string;
      bbox: [number, number, number, number];
      params: Record<string, unknown>;
      correlationId: string;
    };
  }
  | { type: "abort"; id: number };

/** Worker → host. */
export type WorkerMessage =
  | { type: "probe"; manifest: unknown; hasFactory: boolean }
  | { type: "ready" }
  | { type: "init-error"; error: WireError }
  | { type: "result"; id: number; data: unknown }
  | { type: "error"; id: number; error: WireError };

/** Serialises an error for the wire, keeping the fields retry decisions need. */
export function toWireError(e: unknown): WireError {
  if (e instanceof Error) {
    const x = e as Error & Partial<WireError>;
    const out: WireError = { name: x.name, message: x.message };
    if (typeof x.retryable === "boolean") out.retryable = x.retryable;
    if (typeof x.status === "number") out.status = x.status;
    if (typeof x.url === "string") out.url = x.url;
    if (typeof x.retryAfterMs === "number") out.retryAfterMs = x.retryAfterMs;
    return out;
  }
  return { name: "Error", message: String(e) };
}

/** The buffers of every typed array found in `value` (one level of nesting under objects). */
export function transferables(value: unknown, out: ArrayBuffer[] = [], depth = 0): ArrayBuffer[] {
  if (value === null || typeof value !== "object" || depth > 4) return out;
  if (ArrayBuffer.isView(value)) {
    const buf = value.buffer;
    if (buf instanceof ArrayBuffer && !out.includes(buf)) out.push(buf);
    return out;
  }
  for (const v of Object.values(value)) transferables(v, out, depth + 1);
  return out;
}
