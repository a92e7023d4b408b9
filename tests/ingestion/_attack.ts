/**
 * Helpers of the sandbox attack tests (internal): a temporary workspace with hostile plugin
 * packages written at test time (so they can name the workspace's absolute paths literally),
 * sentinel files whose bytes and mode are checked afterwards, and a loopback server that logs
 * every request.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  IngestionService,
  type LoadPluginOptions,
  ModalityFetchError,
  SandboxedPlugin,
} from "../../src/ingestion/mod.ts";

/** A test bbox. */
export const BBOX = [10, 45, 11, 46] as const;

const GOOD = new URL("./plugins/good.ts", import.meta.url).href;

/** A temporary workspace removed by `close()`. */
export interface Workspace {
  /** Its real path. */
  dir: string;
  /** Writes a plugin package `<dir>/<pkg>/mod.ts` (see {@linkcode pluginSource}). */
  plugin(pkg: string, parts: PluginParts): Promise<string>;
  /** Writes a sentinel file (bytes and mode 0o640) and returns its checker. */
  sentinel(path: string, text?: string): Promise<Sentinel>;
  /** Removes the workspace. */
  close(): Promise<void>;
}

/** A file that must stay as it was. */
export interface Sentinel {
  /** Its path. */
  path: string;
  /** Its content. */
  text: string;
  /** Asserts bytes and mode are unchanged. */
  check(): Promise<void>;
}

/** The parts of a generated plugin module. */
export interface PluginParts {
  /** The manifest id. @default the package name */
  id?: string;
  /** Top-level code before the manifest (imports). @default "" */
  prelude?: string;
  /** Code run at the start of `fetch(req)` (may return early). @default "" */
  fetch?: string;
  /** Manifest fields to override, as JS source of an object spread. @default "" */
  manifest?: string;
}

/**
 * The source of a plugin module: a valid manifest, and a fetch that runs `parts.fetch` and then
 * returns one point at the bbox centre.
 */
export function pluginSource(id: string, parts: PluginParts): string {
  return `${parts.prelude ?? ""}
export const manifest = {
  id: ${JSON.stringify(id)}, version: "1.0.0", apiVersion: "1.0.0",
  modalities: ["gravity", "magnetic"], description: "attack", licence: "CC0-1.0",
  citation: "attack test", permissions: { net: [], read: [] }, ${parts.manifest ?? ""}
};
export function point(req, extra = {}) {
  const [w, s, e, n] = req.bbox;
  return {
    source: { plugin: manifest.id, version: manifest.version }, modality: req.modality,
    kind: "points", bbox: req.bbox, units: req.modality === "magnetic" ? "nT" : "mGal",
    crs: "EPSG:4326",
    metadata: { retrievedAt: new Date().toISOString(), licence: "CC0-1.0", citation: "attack test", ...extra },
    points: { lon: new Float64Array([(w + e) / 2]), lat: new Float64Array([(s + n) / 2]),
      value: new Float64Array([1]) },
  };
}
export function createPlugin(options) {
  return {
    async fetch(req) {
      ${parts.fetch ?? ""}
      return point(req);
    },
  };
}
`;
}

/** Creates a workspace. */
export async function workspace(): Promise<Workspace> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-attack-" }));
  return {
    dir,
    async plugin(pkg, parts) {
      await Deno.mkdir(`${dir}/${pkg}`, { recursive: true });
      const path = `${dir}/${pkg}/mod.ts`;
      await Deno.writeTextFile(path, pluginSource(parts.id ?? pkg, parts));
      return path;
    },
    async sentinel(path, text = `sentinel ${crypto.randomUUID()}`) {
      await Deno.writeTextFile(path, text);
      await Deno.chmod(path, 0o640);
      const bytes = await Deno.readFile(path);
      return {
        path,
        text,
        async check() {
          const info = await Deno.lstat(path);
          assert.ok(info.isFile, `${path} must still be a file`);
          assert.equal(info.mode! & 0o7777, 0o640, `${path} mode changed`);
          assert.deepEqual(await Deno.readFile(path), bytes, `${path} bytes changed`);
        },
      };
    },
    async close() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A loopback server answering every request with `body`, logging each. */
export function loopback(body = "export default 1;\n") {
  const log: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    log.push(`${req.method} ${new URL(req.url).pathname}`);
    if (req.headers.get("upgrade") === "websocket") {
      const { response } = Deno.upgradeWebSocket(req);
      return response;
    }
    return new Response(body, { headers: { "content-type": "application/javascript" } });
  });
  return {
    log,
    port: server.addr.port,
    host: `127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  };
}

/** Loads a generated plugin (plugin id = package name unless given). */
export function loadAt(
  module: string,
  plugin: string,
  extra: Partial<LoadPluginOptions> = {},
): Promise<SandboxedPlugin> {
  return SandboxedPlugin.load({
    plugin,
    module: new URL(`file://${module}`).href,
    modality: "magnetic",
    loadTimeoutMs: 60_000,
    ...extra,
  });
}

/**
 * Runs gravity (a good plugin) and magnetic (`bad`) side by side through the service; asserts
 * gravity completes and returns the magnetic error's cause.
 */
export async function runBeside(
  bad: SandboxedPlugin,
  options: { params?: Record<string, unknown>; timeoutMs?: number } = {},
): Promise<unknown> {
  const good = await SandboxedPlugin.load({ plugin: "good", module: GOOD, modality: "gravity" });
  const fast = {
    timeoutMs: 30_000,
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    circuitBreaker: { threshold: 5, halfOpenAfterMs: 1000 },
    bulkhead: { maxConcurrent: 2, queue: 2 },
    rateLimit: { requestsPerSecond: 100, burst: 10 },
  };
  const service = new IngestionService({
    providers: { gravity: good, magnetic: bad },
    resilience: { gravity: fast, magnetic: { ...fast, timeoutMs: options.timeoutMs ?? 30_000 } },
  });
  try {
    const [g, m] = await Promise.allSettled([
      service.fetch("gravity", BBOX),
      service.fetch("magnetic", BBOX, { params: options.params }),
    ]);
    assert.equal(
      g.status,
      "fulfilled",
      `the other modality must complete: ${g.status === "rejected" ? g.reason : ""}`,
    );
    assert.equal(m.status, "rejected", "the hostile plugin's fetch must fail");
    const e = (m as PromiseRejectedResult).reason;
    assert.ok(e instanceof ModalityFetchError, `expected ModalityFetchError, got ${e}`);
    return e.cause;
  } finally {
    await service.close();
  }
}

/** A fetch request for `plugin.fetch` directly. */
export function request(params: Record<string, unknown> = {}) {
  return {
    modality: "magnetic",
    bbox: BBOX,
    params,
    correlationId: "attack",
    signal: new AbortController().signal,
  };
}
