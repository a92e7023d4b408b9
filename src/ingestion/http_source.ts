/**
 * HTTP for source plugins: HTTPS only (plain HTTP only for hosts the configuration lists in
 * `allowInsecureHttp`), error statuses and cut bodies turned into the retryable errors the
 * ingestion service understands, `Retry-After` parsed.
 *
 * @module
 */
import { InsecureUrlError, SourceHttpError, SourceNetworkError } from "./errors.ts";

/** Options of {@linkcode fetchBytes}. */
export interface FetchBytesOptions {
  /** Aborts the request and the body read. */
  signal?: AbortSignal;
  /** Hosts (`host` or `host:port`) for which plain `http:` is allowed. @default [] */
  allowInsecureHttp?: readonly string[];
  /** Extra request headers. @default {} */
  headers?: Record<string, string>;
  /** Refuse bodies larger than this, bytes. @default 1 GiB */
  maxBytes?: number;
}

/**
 * Checks that `url` may be fetched: `https:`, or `http:` for a host in `allowInsecureHttp`.
 *
 * @throws {InsecureUrlError} otherwise.
 *
 * @example Usage
 * ```ts
 * import { checkSourceUrl } from "./http_source.ts";
 * checkSourceUrl("https://icgem.gfz-potsdam.de/x", []);
 * checkSourceUrl("http://127.0.0.1:8080/x", ["127.0.0.1:8080"]);
 * ```
 */
export function checkSourceUrl(url: string | URL, allowInsecureHttp: readonly string[]): URL {
  const u = new URL(url);
  if (u.protocol === "https:") return u;
  if (
    u.protocol === "http:" && (allowInsecureHttp.includes(u.host) ||
      allowInsecureHttp.includes(u.hostname))
  ) return u;
  throw new InsecureUrlError(displayUrl(u));
}

/**
 * The URL without user name, password or query string (which may hold keys), for messages.
 *
 * @example Usage
 * ```ts
 * import { displayUrl } from "./http_source.ts";
 * displayUrl("https://u:p@example.org/a?key=1"); // "https://example.org/a"
 * ```
 */
export function displayUrl(url: string | URL): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/**
 * Parses a `Retry-After` header (delta seconds or an HTTP date) to milliseconds.
 *
 * @param value The header value.
 * @param now The current time, for HTTP dates. @default Date.now()
 *
 * @example Usage
 * ```ts
 * import { parseRetryAfter } from "./http_source.ts";
 * parseRetryAfter("2"); // 2000
 * ```
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const t = value.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const date = Date.parse(t);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Issues a GET (or the given request) and returns the whole body, checking status and length.
 *
 * @param url The URL.
 * @param options Signal, allowed insecure hosts, headers, size limit.
 * @returns The body bytes and the response.
 * @throws {InsecureUrlError} for a disallowed scheme or host.
 * @throws {SourceHttpError} for a status >= 400 (retryable for 408, 429, 5xx).
 * @throws {SourceNetworkError} when the connection fails or the body is shorter than its
 *   Content-Length (retryable).
 *
 * @example Usage (against a loopback server started in the example)
 * ```ts
 * import { fetchBytes } from "./http_source.ts";
 * const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () =>
 *   new Response("station,g\nA,9.81\n"));
 * try {
 *   const host = `127.0.0.1:${server.addr.port}`;
 *   const { body } = await fetchBytes(`http://${host}/data.csv`, { allowInsecureHttp: [host] });
 *   console.assert(new TextDecoder().decode(body).startsWith("station,g"));
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 */
export async function fetchBytes(
  url: string | URL,
  options: FetchBytesOptions = {},
): Promise<{ body: Uint8Array; response: Response }> {
  const u = checkSourceUrl(url, options.allowInsecureHttp ?? []);
  const shown = displayUrl(u);
  let response: Response;
  try {
    response = await fetch(u, { signal: options.signal, headers: options.headers });
  } catch (e) {
    throw networkOrPassThrough(e, shown, options.signal);
  }
  if (response.status >= 400) {
    await response.body?.cancel().catch(() => {});
    throw new SourceHttpError(
      response.status,
      shown,
      parseRetryAfter(response.headers.get("retry-after")),
    );
  }
  const body = await readBody(response, shown, options);
  return { body, response };
}

/**
 * Reads a response body fully, enforcing `maxBytes` and Content-Length.
 *
 * @example Usage
 * ```ts
 * import { readBody } from "./http_source.ts";
 * const bytes = await readBody(new Response("abc"), "test");
 * ```
 */
export async function readBody(
  response: Response,
  shownUrl: string,
  options: FetchBytesOptions = {},
): Promise<Uint8Array> {
  const max = options.maxBytes ?? 2 ** 30;
  const declared = response.headers.get("content-length");
  const expected = declared === null ? undefined : Number(declared);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        total += chunk.length;
        if (total > max) {
          await response.body.cancel().catch(() => {});
          throw new SourceNetworkError(shownUrl, `body exceeds the limit of ${max} bytes`);
        }
        chunks.push(chunk);
      }
    }
  } catch (e) {
    throw networkOrPassThrough(e, shownUrl, options.signal);
  }
  if (expected !== undefined && Number.isFinite(expected) && total !== expected) {
    throw new SourceNetworkError(
      shownUrl,
      `body ended after ${total} of ${expected} bytes (truncated)`,
    );
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

function networkOrPassThrough(e: unknown, url: string, signal?: AbortSignal): unknown {
  if (e instanceof SourceNetworkError) return e;
  if (signal?.aborted) return signal.reason ?? e;
  if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new SourceNetworkError(url, msg, { cause: e });
}
