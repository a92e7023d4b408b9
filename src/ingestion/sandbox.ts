/**
 * The plugin sandbox host: loads each plugin into its own module worker with exactly the
 * permissions the configuration grants, checks it at load (handshake), and relays fetches.
 *
 * Loading has two phases:
 * 1. **Probe.** The module is imported in a worker with every permission denied. Any disk,
 *    network, environment or process access at import time raises `NotCapable`, and the plugin
 *    is refused with "touched the disk/network/... at import time"; a module that throws at
 *    import is refused too. The probe reports the manifest, which is validated (zod), its API
 *    version checked (same major), the modality checked, and its permissions compared with the
 *    grant (requested ⊆ granted). Then the probe worker is terminated.
 * 2. **Runtime.** A second worker, holding exactly the granted permissions (nothing for any
 *    list left empty; never `import`), imports the module again and calls
 *    `createPlugin(options)` with the params, the resolved auth secret and `allowInsecureHttp`.
 *
 * In both phases the module graph is loaded by the host from a generated `data:` entry module, so the
 * worker needs no read permission for the plugin's own files. Typed arrays of a result cross
 * back as transferables. When an attempt is aborted (timeout or cancellation) the worker is
 * asked to abort; a plugin that has not settled within `abortGraceMs` has its worker
 * terminated and replaced by a fresh runtime worker.
 *
 * Requires `--unstable-worker-options` (the `deno task` commands and the test runner pass it).
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { RawData } from "../contracts/mod.ts";
import {
  InsecureUrlError,
  PluginError,
  PluginLoadError,
  PluginPermissionError,
  SourceHttpError,
  SourceNetworkError,
} from "./errors.ts";
import type { HostMessage, WireError, WorkerMessage } from "./_protocol.ts";
import {
  missingPermissions,
  type PermissionGrant,
  permissionOf,
  workerPermissions,
} from "./permissions.ts";
import {
  apiVersionProblem,
  type FetchRequest,
  type PluginManifest,
  PluginManifestSchema,
} from "./plugin_api.ts";
import type { SourceProvider } from "./service.ts";

const WORKER_URL = new URL("./plugin_worker.ts", import.meta.url).href;

/** The built-in plugin ids, found under `src/plugins/<id>/mod.ts`. */
export const BUILTIN_PLUGINS = ["synthetic", "file", "icgem", "http"] as const;

/**
 * The module URL of a plugin: a built-in id (no `module`), or `module` as `npm:`, `https:`,
 * `file:` specifier or a path relative to `baseDir`.
 *
 * @param plugin The plugin id (`source.plugin`).
 * @param module The module specifier (`source.module`), if any.
 * @param baseDir Base of relative paths. @default Deno.cwd()
 * @throws {PluginLoadError} for an unknown built-in id or an `http:` module.
 *
 * @example Usage
 * ```ts
 * import { resolvePluginModule } from "./sandbox.ts";
 * resolvePluginModule("synthetic").endsWith("/src/plugins/synthetic/mod.ts"); // true
 * ```
 */
export function resolvePluginModule(
  plugin: string,
  module?: string,
  baseDir: string = Deno.cwd(),
): string {
  if (module === undefined || module === "") {
    if (!(BUILTIN_PLUGINS as readonly string[]).includes(plugin)) {
      throw new PluginLoadError(
        plugin,
        "import",
        `it is not a built-in plugin (${BUILTIN_PLUGINS.join(", ")}); set source.module to ` +
          `its module (a path, file:, https: or npm: specifier)`,
      );
    }
    return new URL(`../plugins/${plugin}/mod.ts`, import.meta.url).href;
  }
  if (/^(npm|https|file|jsr):/.test(module)) return module;
  if (/^http:/.test(module)) {
    throw new PluginLoadError(plugin, "import", `module ${module} must use https:, not http:`);
  }
  const path = isAbsolute(module) ? module : resolve(baseDir, module);
  return pathToFileURL(path).href;
}

/** Options of {@linkcode SandboxedPlugin.load}. */
export interface LoadPluginOptions {
  /** The plugin id expected (`source.plugin`); the manifest's id must match. */
  plugin: string;
  /** The module URL (see {@linkcode resolvePluginModule}). */
  module: string;
  /** The modality the plugin will serve. */
  modality: string;
  /** The permissions granted. @default nothing */
  permissions?: PermissionGrant;
  /** Plugin params. @default {} */
  params?: Record<string, unknown>;
  /** The resolved auth secret, if the modality has an auth profile. */
  auth?: string;
  /** Hosts allowed over plain http. @default [] */
  allowInsecureHttp?: readonly string[];
  /** Base of relative permission paths. @default Deno.cwd() */
  baseDir?: string;
  /** Time allowed for each load phase, milliseconds. @default 30000 */
  loadTimeoutMs?: number;
  /** Time an aborted fetch has to settle before its worker is terminated, ms. @default 100 */
  abortGraceMs?: number;
}

interface Pending {
  resolve(data: unknown): void;
  reject(e: unknown): void;
}

/**
 * A plugin running in its own worker. Implements the service's `SourceProvider`.
 *
 * @example Usage
 * ```ts ignore
 * import { resolvePluginModule, SandboxedPlugin } from "./sandbox.ts";
 * const p = await SandboxedPlugin.load({
 *   plugin: "synthetic", module: resolvePluginModule("synthetic"), modality: "gravity",
 * });
 * const data = await p.fetch({ modality: "gravity", bbox: [10, 45, 11, 46], params: {},
 *   correlationId: "c1", signal: new AbortController().signal });
 * await p.close();
 * ```
 */
export class SandboxedPlugin implements SourceProvider {
  /** The validated manifest. */
  readonly manifest: PluginManifest;
  readonly #options: LoadPluginOptions;
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #restarts = 0;
  #closed = false;

  private constructor(manifest: PluginManifest, options: LoadPluginOptions) {
    this.manifest = manifest;
    this.#options = options;
  }

  /** Plugin id. */
  get id(): string {
    return this.manifest.id;
  }

  /** Plugin version. */
  get version(): string {
    return this.manifest.version;
  }

  /** How many times the runtime worker was terminated and replaced. */
  get restarts(): number {
    return this.#restarts;
  }

  /**
   * Loads a plugin: probe (no permissions), handshake, runtime worker.
   *
   * @throws {PluginLoadError} naming the plugin and why it was refused.
   */
  static async load(options: LoadPluginOptions): Promise<SandboxedPlugin> {
    const manifest = await probe(options);
    const plugin = new SandboxedPlugin(manifest, options);
    plugin.#ready = plugin.#spawn();
    try {
      await plugin.#ready;
    } catch (e) {
      await plugin.close();
      throw e;
    }
    return plugin;
  }

  /** Runs a fetch in the worker. */
  async fetch(request: FetchRequest): Promise<RawData> {
    if (this.#closed) throw new PluginError(this.id, "Error", "the plugin was closed");
    request.signal.throwIfAborted();
    await this.#ready;
    const worker = this.#worker!;
    const id = this.#nextId++;
    const { signal, ...rest } = request;
    const message: HostMessage = {
      type: "fetch",
      id,
      request: { ...rest, bbox: [...rest.bbox] as [number, number, number, number] },
    };
    return await new Promise<RawData>((resolve, reject) => {
      let settled = false;
      const onAbort = () => {
        worker.postMessage({ type: "abort", id } satisfies HostMessage);
        setTimeout(() => {
          if (!settled && this.#worker === worker) this.#restart("an aborted fetch did not stop");
        }, this.#options.abortGraceMs ?? 100);
        reject(signal.reason);
      };
      this.#pending.set(id, {
        resolve: (d) => {
          settled = true;
          signal.removeEventListener("abort", onAbort);
          resolve(d as RawData);
        },
        reject: (e) => {
          settled = true;
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      });
      signal.addEventListener("abort", onAbort, { once: true });
      worker.postMessage(message);
    });
  }

  /** Terminates the worker. */
  close(): Promise<void> {
    this.#closed = true;
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#failPending(new PluginError(this.id, "Error", "the plugin was closed"));
    return Promise.resolve();
  }

  #restart(why: string): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#restarts++;
    this.#failPending(
      new PluginError(this.id, "WorkerRestart", `its worker was replaced (${why})`, true),
    );
    if (!this.#closed) {
      this.#ready = this.#spawn();
      this.#ready.catch(() => {});
    }
  }

  #failPending(error: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
  }

  #spawn(): Promise<void> {
    const o = this.#options;
    const worker = new Worker(entryUrl(o.module, "run"), {
      type: "module",
      name: `plugin:${this.id}`,
      deno: { permissions: workerPermissions(o.permissions ?? {}, o.baseDir) },
    });
    this.#worker = worker;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        reject(new PluginLoadError(this.id, "factory", "createPlugin() did not finish in time"));
        worker.terminate();
      }, o.loadTimeoutMs ?? 30_000);
      worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
        const msg = e.data;
        if (msg.type === "ready") {
          ready = true;
          clearTimeout(timer);
          resolve();
        } else if (msg.type === "init-error") {
          clearTimeout(timer);
          worker.terminate();
          reject(
            new PluginLoadError(
              this.id,
              "factory",
              `createPlugin() failed: ${this.#scrub(`${msg.error.name}: ${msg.error.message}`)}`,
            ),
          );
        } else if (msg.type === "result" || msg.type === "error") {
          const p = this.#pending.get(msg.id);
          if (!p) return;
          this.#pending.delete(msg.id);
          if (msg.type === "result") p.resolve(this.#scrubData(msg.data));
          else p.reject(this.#fromWire(msg.error));
        }
      };
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        const text = this.#scrub(e.message);
        if (!ready) {
          clearTimeout(timer);
          reject(new PluginLoadError(this.id, "import", `its worker failed: ${text}`));
          worker.terminate();
        } else if (this.#worker === worker) {
          this.#restart(`uncaught error in the plugin: ${text}`);
        }
      };
      worker.postMessage(
        {
          type: "init",
          options: {
            params: o.params ?? {},
            auth: o.auth,
            allowInsecureHttp: [...(o.allowInsecureHttp ?? [])],
          },
        } satisfies HostMessage,
      );
    });
  }

  /**
   * Removes the auth secret from the text fields of returned data (a source URL with an
   * `?apikey=`, say), which end up in manifests, caches and reports.
   */
  #scrubData<T>(data: T): T {
    const meta = (data as { metadata?: Record<string, unknown> } | undefined)?.metadata;
    if (!this.#options.auth || !meta) return data;
    const clean = (v: unknown): unknown =>
      typeof v === "string"
        ? this.#scrub(v)
        : Array.isArray(v)
        ? v.map(clean)
        : v && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x)]))
        : v;
    return { ...data, metadata: clean(meta) } as T;
  }

  /** Removes the auth secret from text coming out of the worker. */
  #scrub(text: string): string {
    const secret = this.#options.auth;
    return secret && secret.length > 0 ? text.split(secret).join("[REDACTED]") : text;
  }

  #fromWire(w: WireError): Error {
    const message = this.#scrub(w.message);
    switch (w.name) {
      case "NotCapable":
      case "PermissionDenied":
        return new PluginPermissionError(this.id, permissionOf(message), message);
      case "SourceHttpError":
        return new SourceHttpError(w.status ?? 0, w.url ?? "?", w.retryAfterMs);
      case "SourceNetworkError": {
        const detail = message.replace(/^Network error for [^:]+(:[^:]*)?: /, "");
        return new SourceNetworkError(w.url ?? "?", detail);
      }
      case "InsecureUrlError":
        return new InsecureUrlError(w.url ?? "?");
      default:
        return new PluginError(this.id, w.name, message, w.retryable === true);
    }
  }
}

function entryUrl(module: string, mode: "probe" | "run"): string {
  const src = `import * as plugin from ${JSON.stringify(module)};\n` +
    `import { serve } from ${JSON.stringify(WORKER_URL)};\n` +
    `serve(plugin, ${JSON.stringify(mode)});\n`;
  // A data: URL is content-addressed, so the same plugin gives the same entry specifier and
  // the module graph is loaded (and, under `deno test`, type-checked) once.
  return `data:application/javascript;base64,${btoa(src)}`;
}

const ACCESS_WORDS: Record<string, string> = {
  read: "the disk (read)",
  write: "the disk (write)",
  net: "the network",
  env: "the environment",
  run: "a subprocess",
  ffi: "a native library",
  sys: "system information",
};

async function probe(o: LoadPluginOptions): Promise<PluginManifest> {
  const label = o.plugin;
  const worker = new Worker(entryUrl(o.module, "probe"), {
    type: "module",
    name: `plugin-probe:${label}`,
    deno: { permissions: "none" },
  });
  let reported: { manifest: unknown; hasFactory: boolean };
  try {
    reported = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new PluginLoadError(label, "import", "importing the module did not finish in time"));
      }, o.loadTimeoutMs ?? 30_000);
      worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
        if (e.data.type !== "probe") return;
        clearTimeout(timer);
        resolve(e.data);
      };
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        clearTimeout(timer);
        const text = e.message;
        if (/NotCapable|PermissionDenied|Requires \w+ access/.test(text)) {
          const what = ACCESS_WORDS[permissionOf(text)] ?? "a protected resource";
          reject(
            new PluginLoadError(
              label,
              "side-effect",
              `it touched ${what} at import time (plugins must have no import side effects; ` +
                `do the work in fetch()): ${text}`,
            ),
          );
        } else {
          reject(new PluginLoadError(label, "import", `importing it failed: ${text}`));
        }
      };
    });
  } finally {
    worker.terminate();
  }
  const parsed = PluginManifestSchema.safeParse(reported.manifest);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) =>
      `${["manifest", ...i.path].join(".")}: ${i.message}`
    );
    throw new PluginLoadError(label, "manifest", `its manifest is invalid: ${issues.join("; ")}`);
  }
  const manifest = parsed.data;
  if (!reported.hasFactory) {
    throw new PluginLoadError(label, "manifest", "it does not export a createPlugin() function");
  }
  if (manifest.id !== o.plugin) {
    throw new PluginLoadError(
      label,
      "manifest",
      `its manifest id is "${manifest.id}", but the configuration names plugin "${o.plugin}"`,
    );
  }
  const api = apiVersionProblem(manifest.apiVersion);
  if (api !== undefined) throw new PluginLoadError(label, "api-version", api);
  if (!manifest.modalities.includes(o.modality)) {
    throw new PluginLoadError(
      label,
      "modality",
      `it serves ${manifest.modalities.join(", ")}, not "${o.modality}"`,
    );
  }
  const missing = missingPermissions(manifest.permissions, o.permissions ?? {}, o.baseDir);
  if (missing.length > 0) {
    throw new PluginLoadError(
      label,
      "permissions",
      `it requests permissions the configuration does not grant: ${missing.join(", ")} ` +
        `(add them to source.permissions to allow them)`,
    );
  }
  return manifest;
}
