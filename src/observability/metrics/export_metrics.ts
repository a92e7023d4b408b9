/**
 * Final metrics of one-shot commands (`gam run`, `gam db backup`), which exit before any
 * Prometheus scrape: pushed to a Prometheus Pushgateway ({@linkcode pushMetrics}) or written
 * for node_exporter's textfile collector ({@linkcode writeMetricsFile}).
 *
 * @module
 */
import { writeFileAtomic } from "../../fs/mod.ts";
import type { MetricsRegistry } from "./registry.ts";

/**
 * The Pushgateway refused or could not be reached.
 *
 * @example Usage
 * ```ts
 * import { MetricsPushError } from "./export_metrics.ts";
 * new MetricsPushError("http://127.0.0.1:9091/metrics/job/gam-run", "HTTP 400 bad metric");
 * ```
 */
export class MetricsPushError extends Error {
  /** The group URL that was pushed to. */
  readonly url: string;
  /**
   * @param url The group URL.
   * @param reason What went wrong ("HTTP 400 ...", a network error's message).
   * @param options The underlying error, if any.
   */
  constructor(url: string, reason: string, options?: ErrorOptions) {
    super(`Could not push metrics to the Pushgateway at ${url}: ${reason}`, options);
    this.name = "MetricsPushError";
    this.url = url;
  }
}

/** Options of {@linkcode pushMetrics}. */
export interface PushMetricsOptions {
  /** Base URL of the gateway, e.g. `http://127.0.0.1:9091`. */
  url: string;
  /** The group's `job` label. */
  job: string;
  /**
   * Further grouping labels, in order (e.g. `{ instance: "host-1" }`).
   * @default {}
   */
  grouping?: Record<string, string>;
  /**
   * Metric families left out of the push (pushed to another group instead).
   * @default []
   */
  exclude?: readonly string[];
  /**
   * Time limit of the push, milliseconds.
   * @default 10000
   */
  timeoutMs?: number;
}

/**
 * The URL of a Pushgateway group: `<url>/metrics/job/<job>[/<label>/<value>]...`, values
 * base64url-encoded (the gateway's `@base64` form) so any text, `/` included, is a valid value.
 *
 * @param options Base URL, job and grouping labels.
 * @returns The group URL.
 *
 * @example Usage
 * ```ts
 * import { pushGroupUrl } from "./export_metrics.ts";
 * pushGroupUrl({ url: "http://127.0.0.1:9091/", job: "gam-run", grouping: { instance: "h" } });
 * // "http://127.0.0.1:9091/metrics/job@base64/Z2FtLXJ1bg/instance@base64/aA"
 * ```
 */
export function pushGroupUrl(options: PushMetricsOptions): string {
  const b64 = (s: string) =>
    btoa(String.fromCharCode(...new TextEncoder().encode(s)))
      .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  // An empty value is written "=" in the gateway's base64 form.
  const seg = (k: string, v: string) => `/${k}@base64/${v === "" ? "=" : b64(v)}`;
  let path = `/metrics${seg("job", options.job)}`;
  for (const [k, v] of Object.entries(options.grouping ?? {})) path += seg(k, v);
  return options.url.replace(/\/+$/, "") + path;
}

/**
 * Replaces the metrics of a Pushgateway group with the registry's current values (HTTP `PUT`:
 * metrics of an earlier run of the same group are dropped, not mixed in).
 *
 * @param registry The metrics to push.
 * @param options Gateway URL, job, grouping labels, time limit.
 * @throws {MetricsPushError} When the gateway answers with an error or cannot be reached.
 *
 * @example Usage (against a loopback server started in the example)
 * ```ts
 * import { pushMetrics } from "./export_metrics.ts";
 * import { defaultRegistry } from "./registry.ts";
 * const pushed: string[] = [];
 * const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
 *   pushed.push(`${req.method} ${new URL(req.url).pathname}`);
 *   await req.body?.cancel();
 *   return new Response(null, { status: 200 });
 * });
 * try {
 *   const url = `http://127.0.0.1:${server.addr.port}`;
 *   await pushMetrics(defaultRegistry, { url, job: "gam-run" });
 *   console.assert(pushed[0]?.startsWith("PUT /metrics/job@base64/"));
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 */
export async function pushMetrics(
  registry: MetricsRegistry,
  options: PushMetricsOptions,
): Promise<void> {
  const url = pushGroupUrl(options);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "PUT",
      headers: { "content-type": registry.contentType },
      body: withoutFamilies(await registry.render(), options.exclude ?? []),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    throw new MetricsPushError(url, (error as Error).message, { cause: error });
  }
  const body = (await response.text()).trim().slice(0, 300);
  if (!response.ok) {
    throw new MetricsPushError(url, `HTTP ${response.status}${body ? ` ${body}` : ""}`);
  }
}

/** The exposition text without the lines (samples, HELP, TYPE) of the named families. */
function withoutFamilies(text: string, names: readonly string[]): string {
  if (names.length === 0) return text;
  const drop = new Set(names);
  return text.split("\n").filter((line) => {
    const name = line.startsWith("#") ? line.split(" ")[2] : /^[a-zA-Z_:][\w:]*/.exec(line)?.[0];
    return name === undefined || !drop.has(name);
  }).join("\n");
}

/**
 * Writes the registry for node_exporter's textfile collector: the text goes to a temporary
 * file in the same folder (a name the collector ignores, as it reads `*.prom` only), then is
 * renamed over `path`, so the collector never reads a half-written file.
 *
 * @param registry The metrics to write.
 * @param path The target file; should end in `.prom` and be in the collector's folder.
 * @throws {TypeError} When `path` does not end in `.prom` (the collector would ignore it).
 *
 * @example Usage
 * ```ts
 * import { writeMetricsFile } from "./export_metrics.ts";
 * import { defaultRegistry } from "./registry.ts";
 * // In production: node_exporter's textfile folder, e.g. /var/lib/node_exporter/textfile/.
 * const dir = await Deno.makeTempDir();
 * try {
 *   await writeMetricsFile(defaultRegistry, `${dir}/gam_run.prom`);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function writeMetricsFile(registry: MetricsRegistry, path: string): Promise<void> {
  if (!path.endsWith(".prom")) {
    throw new TypeError(
      `Metrics file "${path}" must end in ".prom": node_exporter's textfile collector reads ` +
        `only *.prom files`,
    );
  }
  // Atomic: the collector never reads half a file (the temporary name does not end in .prom).
  await writeFileAtomic(path, await registry.render());
}
