/**
 * The HTTP endpoints every long-running GAM process serves: `/metrics` (Prometheus text of a
 * registry), `/healthz` (200 while the process lives) and `/readyz` (200 when `ready()` says
 * so, 503 otherwise). Used by `gam worker`; the same answers as `gam serve`'s.
 *
 * @module
 */
import type { MetricsRegistry } from "./registry.ts";

/**
 * Splits a `host:port` listen address (`[::1]:9464` for IPv6).
 *
 * @example Usage
 * ```ts
 * import { parseListen } from "./probes.ts";
 * parseListen("127.0.0.1:9464"); // { hostname: "127.0.0.1", port: 9464 }
 * ```
 */
export function parseListen(listen: string): { hostname: string; port: number } {
  const i = listen.lastIndexOf(":");
  return {
    hostname: listen.slice(0, i).replace(/^\[|\]$/g, ""),
    port: Number(listen.slice(i + 1)),
  };
}

/** Options of {@linkcode serveProbes}. */
export interface ProbeServerOptions {
  /** Address, `host:port` (port 0: any free port). */
  hostname: string;
  port: number;
  registry: MetricsRegistry;
  /** Whether the process is ready for work. @default () => true */
  ready?: () => boolean;
}

/**
 * Answers one probe request (the handler {@linkcode serveProbes} serves).
 *
 * @example Usage
 * ```ts
 * import { probeResponse } from "./probes.ts";
 * import { MetricsRegistry } from "./registry.ts";
 * const r = await probeResponse(new Request("http://x/healthz"), new MetricsRegistry(), () => true);
 * r.status; // 200
 * ```
 */
export async function probeResponse(
  req: Request,
  registry: MetricsRegistry,
  ready: () => boolean,
): Promise<Response> {
  const path = new URL(req.url).pathname;
  if (req.method !== "GET") return new Response("method not allowed\n", { status: 405 });
  if (path === "/metrics") {
    return new Response(await registry.render(), {
      headers: { "content-type": registry.contentType },
    });
  }
  if (path === "/healthz") return new Response("ok\n");
  if (path === "/readyz") {
    const ok = ready();
    return new Response(ok ? "ready\n" : "not ready\n", { status: ok ? 200 : 503 });
  }
  return new Response("not found: try /metrics, /healthz or /readyz\n", { status: 404 });
}

/**
 * Starts the probe server.
 *
 * @returns Deno's HTTP server (its `addr` says the port; `shutdown()` stops it).
 *
 * @example Usage
 * ```ts
 * import { serveProbes } from "./probes.ts";
 * import { MetricsRegistry } from "./registry.ts";
 * const server = serveProbes({ hostname: "127.0.0.1", port: 0, registry: new MetricsRegistry() });
 * await server.shutdown();
 * ```
 */
export function serveProbes(options: ProbeServerOptions): Deno.HttpServer<Deno.NetAddr> {
  const ready = options.ready ?? (() => true);
  return Deno.serve(
    { hostname: options.hostname, port: options.port, onListen: () => {} },
    (req) => probeResponse(req, options.registry, ready),
  );
}
