/**
 * The plugin sandbox host: each plugin runs in its own child process (`deno run` of
 * `plugin_host.ts`) holding exactly the permissions the configuration grants, with a V8 heap
 * limit and, on Linux, OS limits on memory and CPU time. See the README's "Plugin sandbox" for
 * the threat model.
 *
 * Loading:
 * 1. **Grant.** Read and ffi paths are resolved to real paths; a read folder holding a link that
 *    leads outside the read grants is refused; write grants are refused (the plugin writes only
 *    to a scratch folder the host creates for each child process).
 * 2. **Graph.** The module graph is built without running it (`deno info`, remote imports
 *    limited to the import grant) and vetted (`module_graph.ts`): local files outside the
 *    package folder and remote modules outside the granted hosts refuse the plugin. The graph's
 *    hash is part of the plugin's {@linkcode PluginIdentity}.
 * 3. **Child.** `deno run --no-prompt --cached-only` with the grant's flags and a clean
 *    environment; the child imports the plugin and says hello with its manifest, which is
 *    validated (zod), its id, API version, modality and requested permissions checked; then
 *    `createPlugin(options)` runs (`init`).
 *
 * Fetches cross stdin/stdout as size-capped frames (`_protocol.ts`); the caps of
 * {@linkcode PluginLimits} are checked before the body is read or anything is built from it. A
 * child that dies, exceeds a limit or does not stop after an abort fails that plugin's pending
 * fetches ({@linkcode PluginCrashedError}) and is replaced at the next fetch; nothing else is
 * affected. A loaded plugin keeps its child between fetches (warm), so `gam serve` pays the
 * start once.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { escapeControlChars } from "../observability/mod.ts";
import { newTraceparent } from "../observability/mod.ts";
import { pathToFileURL } from "node:url";
import type { RawData } from "../contracts/mod.ts";
import { PluginLimitsSchema } from "../config/mod.ts";
import {
  type CrashLimit,
  InsecureUrlError,
  PluginCrashedError,
  PluginError,
  PluginLimitError,
  PluginLoadError,
  PluginPermissionError,
  SourceHttpError,
  SourceNetworkError,
} from "./errors.ts";
import {
  type ChildMessage,
  decodeBody,
  encodeFrame,
  FrameError,
  FrameReader,
  FrameTooLargeError,
  type HostMessage,
  type WireError,
} from "./_protocol.ts";
import { denoCacheDir, vetModuleGraph, type VettedGraph } from "./module_graph.ts";
import {
  childPermissionFlags,
  GrantError,
  missingPermissions,
  type PermissionGrant,
  permissionOf,
  type ResolvedGrant,
  resolveGrant,
} from "./permissions.ts";
import {
  apiVersionProblem,
  type PluginManifest,
  PluginManifestSchema,
  type ProviderRequest,
} from "./plugin_api.ts";
import type { PluginIdentity, SourceProvider } from "./service.ts";
import { BUILTIN_PLUGINS, builtinPluginUrl, isBuiltinPlugin } from "../plugins/mod.ts";

const HOST_URL = new URL("./plugin_host.ts", import.meta.url).href;

// Re-exported: the ingestion surface names the built-ins its loader resolves.
export { BUILTIN_PLUGINS };

/**
 * Resource and size limits of a plugin's child process (config `source.limits`).
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_PLUGIN_LIMITS } from "./sandbox.ts";
 * DEFAULT_PLUGIN_LIMITS.heapMb; // 512
 * ```
 */
export interface PluginLimits {
  /** V8 heap limit (`--max-old-space-size`), MiB. */
  heapMb: number;
  /** OS data-segment limit (`ulimit -d`, Linux): all private writable memory, MiB. */
  memoryMb: number;
  /** OS CPU-time limit of the child process over its life (`ulimit -t`), seconds. */
  cpuSeconds: number;
  /** Largest message from the child, bytes. */
  maxMessageBytes: number;
  /** Most elements in one returned array (points, grid nodes, axis values). */
  maxPoints: number;
  /** Largest JSON part of a message (metadata and every other non-array field), bytes. */
  maxMetadataBytes: number;
  /** Longest string anywhere in a returned message, characters. */
  maxStringLength: number;
}

/** The defaults of {@linkcode PluginLimits}: the config schema's (`source.limits`). */
export const DEFAULT_PLUGIN_LIMITS: Readonly<PluginLimits> = Object.freeze(
  PluginLimitsSchema.parse({}),
);

/**
 * The module URL of a plugin: a built-in id (no `module`), or `module` as `npm:`, `https:`,
 * `file:` specifier or a path relative to `baseDir`.
 *
 * @param plugin The plugin id (`source.plugin`).
 * @param module The module specifier (`source.module`), if any.
 * @param baseDir Base of relative paths. @default Deno.cwd()
 * @throws {PluginLoadError} for an unknown built-in id, a module claiming a built-in id, or an
 *   `http:` module.
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
    if (!isBuiltinPlugin(plugin)) {
      throw new PluginLoadError(
        plugin,
        "import",
        `it is not a built-in plugin (${BUILTIN_PLUGINS.join(", ")}); set source.module to ` +
          `its module (a path, file:, https: or npm: specifier)`,
      );
    }
    return builtinPluginUrl(plugin);
  }
  if (isBuiltinPlugin(plugin)) {
    throw new PluginLoadError(
      plugin,
      "identity",
      `"${plugin}" is a built-in plugin id, and source.module (${module}) may not claim it; ` +
        `give the third-party plugin its own id, or remove source.module to use the built-in`,
    );
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
  /** Base of relative permission paths, and the plugin process's working folder. @default Deno.cwd() */
  baseDir?: string;
  /** Resource and size limits. @default DEFAULT_PLUGIN_LIMITS */
  limits?: Partial<PluginLimits>;
  /** Time allowed for each load phase (graph, start, createPlugin), ms. @default 30000 */
  loadTimeoutMs?: number;
  /** Time an aborted fetch has to settle before its process is stopped, ms. @default 100 */
  abortGraceMs?: number;
  /** Where scratch folders are made. @default the system's temp folder */
  scratchRoot?: string;
  /** npm registry of an `npm:` module (`source.registry`). @default Deno's */
  npmRegistry?: string;
  /** Lock file of registry-installed plugins. @default `plugins.lock` in `baseDir` */
  lockFile?: string;
}

interface Pending {
  resolve(data: unknown): void;
  reject(e: unknown): void;
}

const STDERR_TAIL = 64 * 1024;

/** One child process and its channel. */
class Child {
  readonly process: Deno.ChildProcess;
  readonly scratchDir: string;
  readonly pending = new Map<number, Pending>();
  readonly exited: Promise<Deno.CommandStatus>;
  stderrTail = "";
  /** Settles when the process's stderr has been read to its end. */
  stderrDone: Promise<void> = Promise.resolve();
  /** Replaced on purpose (CPU budget half spent), not failed. */
  retired = false;
  /** Why the host stopped it, if it did. */
  stopReason: { limit: CrashLimit; detail: string } | undefined;
  /** The first message (hello/import-error), then every other one. */
  onMessage: (msg: ChildMessage) => void = () => {};
  /** Set when the channel or the process ended; pending fetches get it. */
  failure: Error | undefined;
  onFailure: (e: Error) => void = () => {};
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #writing: Promise<void> = Promise.resolve();

  constructor(process: Deno.ChildProcess, scratchDir: string) {
    this.process = process;
    this.scratchDir = scratchDir;
    this.#writer = process.stdin.getWriter();
    this.exited = process.status;
  }

  /** Whether it failed or is being stopped: no new fetch goes to it. */
  get dead(): boolean {
    return this.failure !== undefined || this.stopReason !== undefined;
  }

  send(msg: HostMessage): void {
    const frame = encodeFrame(msg);
    this.#writing = this.#writing.then(() => this.#writer.write(frame)).catch(() => {});
  }

  stop(limit: CrashLimit, detail: string): void {
    this.stopReason ??= { limit, detail };
    try {
      this.process.kill("SIGKILL");
    } catch {
      // already gone
    }
  }

  async closeInput(): Promise<void> {
    await this.#writing;
    await this.#writer.close().catch(() => {});
  }
}

/**
 * A plugin running in its own child process. Implements the service's `SourceProvider`.
 *
 * @example Usage
 * ```ts
 * import { resolvePluginModule, SandboxedPlugin } from "./sandbox.ts";
 * const p = await SandboxedPlugin.load({
 *   plugin: "synthetic", module: resolvePluginModule("synthetic"), modality: "gravity",
 * });
 * try {
 *   const data = await p.fetch({ modality: "gravity", bbox: [10, 45, 11, 46],
 *     params: { stations: 10 }, correlationId: "c1", signal: new AbortController().signal });
 *   data.kind; // "points"
 * } finally {
 *   await p.close();
 * }
 * ```
 */
export class SandboxedPlugin implements SourceProvider {
  /** The validated manifest. */
  readonly manifest: PluginManifest;
  /** Module URL and module-graph hash: part of every cache key. */
  readonly identity: PluginIdentity;
  /** The effective limits. */
  readonly limits: Readonly<PluginLimits>;
  readonly #options: LoadPluginOptions;
  readonly #grant: ResolvedGrant;
  readonly #graph: VettedGraph;
  #child: Child | undefined;
  #starting: Promise<Child> | undefined;
  #nextId = 1;
  #restarts = 0;
  #retired = 0;
  #closed = false;

  private constructor(
    manifest: PluginManifest,
    options: LoadPluginOptions,
    grant: ResolvedGrant,
    graph: VettedGraph,
    limits: PluginLimits,
  ) {
    this.manifest = manifest;
    this.#options = options;
    this.#grant = grant;
    this.#graph = graph;
    this.limits = limits;
    this.identity = {
      module: graph.module,
      graphHash: graph.graphHash,
      ...(Object.keys(graph.npmIntegrity).length > 0 ? { npmIntegrity: graph.npmIntegrity } : {}),
    };
  }

  /** Plugin id. */
  get id(): string {
    return this.manifest.id;
  }

  /** Plugin version. */
  get version(): string {
    return this.manifest.version;
  }

  /** How many times the child process died or was stopped and had to be replaced. */
  get restarts(): number {
    return this.#restarts;
  }

  /** How many processes were retired with half their CPU-time limit used, and replaced. */
  get retired(): number {
    return this.#retired;
  }

  /** Process id of the current child, or `undefined` when none runs. */
  get pid(): number | undefined {
    return this.#child?.process.pid;
  }

  /**
   * Loads a plugin: grant, module graph, child process, handshake, `createPlugin`.
   *
   * @throws {PluginLoadError} naming the plugin and why it was refused.
   */
  static async load(options: LoadPluginOptions): Promise<SandboxedPlugin> {
    const label = options.plugin;
    if (isBuiltinPlugin(options.plugin) && options.module !== builtinPluginUrl(options.plugin)) {
      throw new PluginLoadError(
        label,
        "identity",
        `"${options.plugin}" is a built-in plugin id, and module ${options.module} may not ` +
          `claim it`,
      );
    }
    const limits = { ...DEFAULT_PLUGIN_LIMITS, ...options.limits };
    const grant = await pluginGrant(label, options);
    const graph = await vetModuleGraph(options.module, {
      plugin: label,
      builtin: isBuiltinPlugin(options.plugin),
      importHosts: grant.import,
      denoDir: await denoCacheDir(),
      timeoutMs: options.loadTimeoutMs,
      cwd: options.baseDir,
      npmRegistry: options.npmRegistry,
      lockFile: options.lockFile,
    });
    const child = await spawnChild(options, grant, graph, limits);
    let manifest: PluginManifest;
    try {
      manifest = await handshake(child, options);
    } catch (e) {
      await reap(child);
      throw e;
    }
    const plugin = new SandboxedPlugin(manifest, options, grant, graph, limits);
    try {
      await plugin.#init(child);
    } catch (e) {
      await reap(child);
      throw e;
    }
    plugin.#adopt(child);
    return plugin;
  }

  /** Runs a fetch in the child (starting a fresh one if the last one died). */
  async fetch(request: ProviderRequest): Promise<RawData> {
    if (this.#closed) throw new PluginError(this.id, "Error", "the plugin was closed");
    request.signal.throwIfAborted();
    const child = await this.#ensureChild();
    request.signal.throwIfAborted();
    const id = this.#nextId++;
    const { signal, ...rest } = request;
    return await new Promise<RawData>((resolve, reject) => {
      if (child.failure) return reject(child.failure);
      let settled = false;
      const onAbort = () => {
        child.send({ type: "abort", id });
        setTimeout(() => {
          if (!settled) {
            child.stop(
              "timeout",
              `it did not stop within ${this.#options.abortGraceMs ?? 100} ms of an aborted fetch`,
            );
          }
        }, this.#options.abortGraceMs ?? 100);
        reject(signal.reason);
      };
      child.pending.set(id, {
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
      child.send({
        type: "fetch",
        id,
        request: {
          ...rest,
          traceId: rest.traceId ?? rest.correlationId,
          traceparent: rest.traceparent ?? newTraceparent(),
          grantedHosts: [...this.#grant.net],
          bbox: [...rest.bbox] as [number, number, number, number],
        },
      });
    });
  }

  /** Stops the child and removes its scratch folder. */
  async close(): Promise<void> {
    this.#closed = true;
    const child = this.#child ?? (await this.#starting?.catch(() => undefined));
    this.#child = undefined;
    if (child) {
      for (const p of child.pending.values()) {
        p.reject(new PluginError(this.id, "Error", "the plugin was closed"));
      }
      child.pending.clear();
      await reap(child);
    }
  }

  async #ensureChild(): Promise<Child> {
    if (this.#child && !this.#child.dead) {
      // A warm process's CPU-time limit counts over its whole life: retire it at half, between
      // fetches, rather than let SIGXCPU cut a fetch (`gam serve` runs for weeks).
      const used = cpuSecondsOf(this.#child.process.pid);
      const busy = this.#child.pending.size > 0;
      if (busy || used === undefined || used < this.limits.cpuSeconds / 2) return this.#child;
      const old = this.#child;
      old.retired = true;
      this.#child = undefined;
      this.#retired++;
      await reap(old);
    }
    this.#starting ??= (async () => {
      try {
        const child = await spawnChild(this.#options, this.#grant, this.#graph, this.limits);
        try {
          const m = await handshake(child, this.#options);
          if (m.id !== this.manifest.id || m.version !== this.manifest.version) {
            throw new PluginLoadError(
              this.id,
              "identity",
              `its restarted process reports ${m.id}@${m.version}, not ` +
                `${this.manifest.id}@${this.manifest.version}`,
            );
          }
          await this.#init(child);
        } catch (e) {
          await reap(child);
          throw e;
        }
        if (this.#closed) {
          await reap(child);
          throw new PluginError(this.id, "Error", "the plugin was closed");
        }
        this.#adopt(child);
        return child;
      } finally {
        this.#starting = undefined;
      }
    })();
    return await this.#starting;
  }

  /** Makes `child` the current one: its results go to pending fetches, its death is counted. */
  #adopt(child: Child): void {
    this.#child = child;
    child.onMessage = (msg) => {
      if (msg.type !== "result" && msg.type !== "error") return;
      const p = child.pending.get(msg.id);
      if (!p) return;
      child.pending.delete(msg.id);
      if (msg.type === "result") {
        try {
          p.resolve(this.#scrubData(msg.data));
        } catch (e) {
          p.reject(e);
        }
      } else if (/Array buffer allocation failed/.test(msg.error.message)) {
        child.stop("memory", memoryDetail(this.limits, "an allocation was refused"));
        p.reject(
          new PluginCrashedError(
            this.id,
            "memory",
            memoryDetail(this.limits, "an allocation was refused"),
          ),
        );
      } else {
        p.reject(this.#fromWire(msg.error));
      }
    };
    child.onFailure = (e) => {
      if (this.#child === child) this.#child = undefined;
      if (!this.#closed && !child.retired) this.#restarts++;
      const pending = [...child.pending.values()];
      child.pending.clear();
      for (const p of pending) p.reject(this.#relabel(e));
    };
    if (child.failure) child.onFailure(child.failure);
  }

  /** The auth secret out of a crash report (it quotes the child's stderr). */
  #relabel(e: Error): Error {
    if (!(e instanceof PluginCrashedError) || !this.#options.auth) return e;
    const detail = e.message.replace(/^Plugin "[^"]*" crashed: /, "");
    return new PluginCrashedError(e.plugin, e.limit, this.#scrub(detail), {
      code: e.code,
      signal: e.signal,
    });
  }

  async #init(child: Child): Promise<void> {
    const o = this.#options;
    const answer = await nextMessage(child, o.loadTimeoutMs ?? 30_000, () => {
      child.send({
        type: "init",
        options: {
          params: o.params ?? {},
          auth: o.auth,
          allowInsecureHttp: [...(o.allowInsecureHttp ?? [])],
          scratchDir: child.scratchDir,
        },
      });
    });
    if (answer === "timeout") {
      child.stop("timeout", "createPlugin() did not finish in time");
      throw new PluginLoadError(this.id, "factory", "createPlugin() did not finish in time");
    }
    if (answer instanceof Error) {
      throw new PluginLoadError(this.id, "factory", this.#scrub(answer.message));
    }
    if (answer.type === "init-error") {
      throw new PluginLoadError(
        this.id,
        "factory",
        `createPlugin() failed: ${this.#scrub(`${answer.error.name}: ${answer.error.message}`)}`,
      );
    }
    if (answer.type !== "ready") {
      child.stop("protocol", `it answered init with "${answer.type}"`);
      throw new PluginLoadError(this.id, "factory", `it answered init with "${answer.type}"`);
    }
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

  /** Removes the auth secret from text coming out of the child. */
  #scrub(text: string): string {
    const secret = this.#options.auth;
    return secret && secret.length > 0 ? text.split(secret).join("[REDACTED]") : text;
  }

  #fromWire(w: WireError): Error {
    const message = this.#scrub(w.message);
    // A dynamic import's permission failure is a TypeError carrying the runtime's message.
    if (w.name === "TypeError" && /^Requires \w+ access/.test(message)) {
      return new PluginPermissionError(this.id, permissionOf(message), message);
    }
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

/** CPU time (user + system) a process has used, seconds; `undefined` off Linux. */
function cpuSecondsOf(pid: number): number | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name (which may hold spaces) start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

function memoryDetail(limits: PluginLimits, what: string): string {
  return `${what} under its memory limit of ${limits.memoryMb} MiB (source.limits.memoryMb)`;
}

/**
 * The `deno run` command line of a plugin's child process (without the OS-limit wrapper):
 * flags, then the entry module.
 *
 * @example Usage
 * ```ts
 * import { childCommandLine } from "./sandbox.ts";
 * ```
 */
export function childCommandLine(
  module: string,
  grant: ResolvedGrant,
  options: {
    scratchDir: string;
    importMap?: string;
    heapMb: number;
    allowInsecureHttp?: string[];
    npm?: boolean;
    /** Extra flags from the vetting (`VettedGraph.runFlags`). @default [] */
    extraFlags?: readonly string[];
  },
): string[] {
  const entry = `import { importFailed, serve } from ${JSON.stringify(HOST_URL)};\n` +
    `let plugin;\n` +
    `try { plugin = await import(${JSON.stringify(module)}); } ` +
    `catch (e) { await importFailed(e); }\n` +
    `await serve(plugin);\n`;
  return [
    "run",
    "--no-prompt",
    "--cached-only",
    "--no-lock",
    // npm packages are loaded without import permission: none at all when the vetted graph
    // uses none, so a computed `import("npm:...")` cannot run a cached package.
    ...(options.npm ? [] : ["--no-npm"]),
    ...(options.extraFlags ?? []),
    // Only the import map of a package's deno.json applies, never its other settings.
    "--no-config",
    ...(options.importMap ? [`--import-map=${options.importMap}`] : []),
    `--v8-flags=--max-old-space-size=${Math.floor(options.heapMb)}`,
    ...childPermissionFlags(grant, {
      scratchDir: options.scratchDir,
      allowInsecureHttp: options.allowInsecureHttp,
    }),
    `data:application/typescript;base64,${btoa(entry)}`,
  ];
}

/** Variables a child with network access needs to reach hosts as this process does. */
const NETWORK_ENV = [
  "DENO_TLS_CA_STORE",
  "DENO_CERT",
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "https_proxy",
  "http_proxy",
  "no_proxy",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
];

/** The plugin's grant by real paths; a bad grant refuses the plugin (`PluginLoadError`). */
async function pluginGrant(
  label: string,
  options: { permissions?: Parameters<typeof resolveGrant>[0]; baseDir?: string },
): Promise<ResolvedGrant> {
  try {
    return await resolveGrant(options.permissions ?? {}, { baseDir: options.baseDir });
  } catch (e) {
    if (e instanceof GrantError) throw new PluginLoadError(label, "permissions", e.message);
    throw e;
  }
}

/** The folder `Deno.makeTempDir` uses without `dir`. */
function tempRoot(): string {
  return Deno.env.get("TMPDIR") || "/tmp";
}

/**
 * Removes scratch folders left by hosts that no longer run (named `gam-plugin-<id>-p<pid>-...`,
 * the pid gone from `/proc`). Linux only: elsewhere there is no cheap liveness check, and the
 * folders stay until the system cleans its temp folder. A reused pid keeps a folder (harmless).
 */
async function sweepOrphanScratch(root: string): Promise<void> {
  if (Deno.build.os !== "linux") return;
  try {
    for await (const e of Deno.readDir(root)) {
      const pid = /^gam-plugin-.*-p(\d+)-[^-]+$/.exec(e.name)?.[1];
      if (!e.isDirectory || pid === undefined || Number(pid) === Deno.pid) continue;
      const alive = await Deno.stat(`/proc/${pid}`).then(() => true, () => false);
      if (!alive) await Deno.remove(`${root}/${e.name}`, { recursive: true }).catch(() => {});
    }
  } catch {
    // An unreadable temp folder only means nothing is swept.
  }
}

async function spawnChild(
  o: LoadPluginOptions,
  grant: ResolvedGrant,
  graph: VettedGraph,
  limits: PluginLimits,
): Promise<Child> {
  const root = o.scratchRoot ?? undefined;
  await sweepOrphanScratch(root ?? tempRoot());
  const scratchDir = await Deno.realPath(
    await Deno.makeTempDir({
      dir: root,
      // The host's pid in the name: a host killed outright (SIGKILL, OOM) cannot remove its
      // children's scratch folders; the next host to start a plugin there does.
      prefix: `gam-plugin-${o.plugin.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 40)}-p${Deno.pid}-`,
    }),
  );
  const args = childCommandLine(graph.module, grant, {
    scratchDir,
    importMap: graph.importMap,
    heapMb: limits.heapMb,
    allowInsecureHttp: [...(o.allowInsecureHttp ?? [])],
    npm: graph.npmPackages.length > 0,
    extraFlags: graph.runFlags,
  });
  const env: Record<string, string> = {
    DENO_DIR: await denoCacheDir(),
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
  };
  const passThrough = [
    ...grant.env,
    ...(grant.net.length > 0 ? NETWORK_ENV : []),
    // A granted program is found on the host's PATH; nothing else of the environment follows.
    ...(grant.run.length > 0 ? ["PATH"] : []),
    // The registry the graph was vetted and cached from: npm packages are cached per registry.
    ...(graph.npmPackages.length > 0 && !o.npmRegistry ? ["NPM_CONFIG_REGISTRY"] : []),
  ];
  if (graph.npmPackages.length > 0 && o.npmRegistry) env.NPM_CONFIG_REGISTRY = o.npmRegistry;
  // Coverage of the plugin host under `deno test --coverage` (a folder the runtime writes).
  const coverage = Deno.env.get("DENO_COVERAGE_DIR");
  if (coverage) env.DENO_COVERAGE_DIR = coverage;
  for (const name of passThrough) {
    const v = Deno.env.get(name);
    if (v !== undefined) env[name] = v;
  }
  let program = Deno.execPath();
  let argv = args;
  if (Deno.build.os === "linux") {
    // POSIX sh sets the OS limits, then becomes deno (exec): the limits hold for the child's
    // whole life and nothing of the shell remains.
    program = "/bin/sh";
    argv = [
      "-c",
      `ulimit -d ${Math.floor(limits.memoryMb * 1024)} && ` +
      // Soft CPU limit: SIGXCPU, reported as such; the hard one, 5 s later, is a backstop.
      `ulimit -S -t ${Math.floor(limits.cpuSeconds)} && ` +
      `ulimit -H -t ${Math.floor(limits.cpuSeconds) + 5} && exec "$0" "$@"`,
      Deno.execPath(),
      ...args,
    ];
  }
  const process = new Deno.Command(program, {
    args: argv,
    env,
    clearEnv: true,
    // The host's working folder, as for `deno info`: relative paths in params mean what the
    // user meant, and modules resolve as they were vetted. It grants nothing.
    cwd: o.baseDir ?? Deno.cwd(),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const child = new Child(process, scratchDir);
  drainStderr(child, o.plugin, o.auth);
  readFrames(child, o.plugin, limits);
  return child;
}

/** Bytes of a plugin process's stderr passed on to ours (its log lines), over its life. */
const STDERR_FORWARD = 64 * 1024;

function drainStderr(child: Child, plugin: string, secret: string | undefined): void {
  const scrub = (t: string) => (secret ? t.split(secret).join("[REDACTED]") : t);
  child.stderrDone = (async () => {
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    let forwarded = 0;
    let partial = "";
    try {
      for await (const chunk of child.process.stderr) {
        const text = decoder.decode(chunk, { stream: true });
        child.stderrTail = (child.stderrTail + text).slice(-STDERR_TAIL);
        if (forwarded >= STDERR_FORWARD) continue;
        const lines = (partial + text).split("\n");
        partial = lines.pop()!.slice(0, 4096);
        for (const line of lines) {
          const out = `[plugin ${plugin}] ${escapeControlChars(scrub(line.slice(0, 4096)))}\n`;
          forwarded += out.length;
          await Deno.stderr.write(encoder.encode(out)).catch(() => {});
          if (forwarded >= STDERR_FORWARD) {
            await Deno.stderr.write(
              encoder.encode(`[plugin ${plugin}] (further stderr not shown)\n`),
            ).catch(() => {});
            break;
          }
        }
      }
    } catch {
      // the process is gone
    }
  })();
}

function readFrames(child: Child, plugin: string, limits: PluginLimits): void {
  const reader = new FrameReader(child.process.stdout, limits.maxMessageBytes);
  const caps = {
    maxJsonBytes: limits.maxMetadataBytes,
    maxArrayLength: limits.maxPoints,
    maxStringLength: limits.maxStringLength,
  };
  const capName = {
    maxJsonBytes: "maxMetadataBytes",
    maxArrayLength: "maxPoints",
    maxStringLength: "maxStringLength",
  } as const;
  const fail = async (error: Error | undefined) => {
    // Stdout closes as the process exits; give it a moment to finish before stopping it.
    let wait: ReturnType<typeof setTimeout> | undefined;
    const gone = await Promise.race([
      child.exited.then(() => true),
      new Promise<false>((r) => (wait = setTimeout(() => r(false), 1000))),
    ]);
    clearTimeout(wait);
    if (!gone) child.stop("exit", "its channel closed while it kept running");
    const status = await child.exited;
    // The crash report reads the end of stderr (V8's out-of-memory message is there). A
    // grandchild holding stderr open must not hold the report: wait a second at most.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      child.stderrDone,
      new Promise<void>((r) => (timer = setTimeout(r, 1000))),
    ]);
    clearTimeout(timer);
    error ??= crashError(plugin, child, status, limits);
    child.failure = error;
    await Deno.remove(child.scratchDir, { recursive: true }).catch(() => {});
    child.onFailure(error);
  };
  (async () => {
    let error: Error | undefined;
    for (;;) {
      let body: Uint8Array | null;
      try {
        body = await reader.next();
      } catch (e) {
        if (e instanceof FrameTooLargeError) {
          error = new PluginLimitError(
            plugin,
            "maxMessageBytes",
            e.declared,
            e.max,
            "a message of bytes",
          );
          child.stop("protocol", error.message);
        } else if (child.stopReason === undefined) {
          child.stop("protocol", `it broke the message framing: ${(e as Error).message}`);
        }
        break;
      }
      if (body === null) break;
      let msg: ChildMessage;
      try {
        msg = decodeBody(body, caps) as ChildMessage;
      } catch (e) {
        if (e instanceof FrameError && e.limit !== "malformed") {
          // The frame was read whole: the stream is in step, only this message is refused.
          const limit = capName[e.limit];
          const found = e.found ?? 0;
          const max = limits[limit];
          const refusal = new PluginLimitError(
            plugin,
            limit,
            found,
            max,
            e.message.replace(/, above.*$/, ""),
          );
          const id = messageId(body);
          const p = id === undefined ? undefined : child.pending.get(id);
          if (p && id !== undefined) {
            child.pending.delete(id);
            p.reject(refusal);
            continue;
          }
          error = refusal;
          child.stop("protocol", refusal.message);
          break;
        }
        child.stop("protocol", `it sent a malformed message: ${(e as Error).message}`);
        break;
      }
      if (!isChildMessage(msg)) {
        child.stop("protocol", "it sent a message of unknown type");
        break;
      }
      child.onMessage(msg);
    }
    await reader.cancel();
    await fail(error);
  })();
}

/** The `id` of a result frame whose body was refused, read from the JSON prefix only. */
function messageId(body: Uint8Array): number | undefined {
  const n = new DataView(body.buffer, body.byteOffset, 4).getUint32(0, true);
  const head = new TextDecoder().decode(body.subarray(4, 4 + Math.min(n, 64)));
  const m = /^\{"type":"(?:result|error)","id":(\d+)/.exec(head);
  return m ? Number(m[1]) : undefined;
}

function isChildMessage(m: unknown): m is ChildMessage {
  const t = (m as { type?: unknown } | null)?.type;
  return typeof t === "string" &&
    ["hello", "import-error", "ready", "init-error", "result", "error"].includes(t);
}

function crashError(
  plugin: string,
  child: Child,
  status: Deno.CommandStatus,
  limits: PluginLimits,
): PluginCrashedError {
  const s = { code: status.code, signal: status.signal ?? undefined };
  const tail = child.stderrTail;
  const last = escapeControlChars(
    tail.trim().split("\n").filter((l) => l.trim() !== "").slice(-3).join(" | ").slice(0, 500),
  );
  const stop = child.stopReason;
  if (stop && stop.limit !== "exit") {
    return new PluginCrashedError(plugin, stop.limit, stop.detail, s);
  }
  if (/Reached heap limit|JavaScript heap out of memory|Ineffective mark-compacts/.test(tail)) {
    return new PluginCrashedError(
      plugin,
      "heap",
      `it exceeded its V8 heap limit of ${limits.heapMb} MiB (source.limits.heapMb)`,
      s,
    );
  }
  if (
    /Fatal process out of memory|Array buffer allocation failed|Cannot allocate memory/.test(tail)
  ) {
    return new PluginCrashedError(
      plugin,
      "memory",
      memoryDetail(limits, "it ran out of memory"),
      s,
    );
  }
  if (status.signal === "SIGXCPU") {
    return new PluginCrashedError(
      plugin,
      "cpu",
      `it exceeded its CPU time limit of ${limits.cpuSeconds} s (source.limits.cpuSeconds)`,
      s,
    );
  }
  const how = status.signal ? `signal ${status.signal}` : `exit code ${status.code}`;
  return new PluginCrashedError(
    plugin,
    "exit",
    `its process ended with ${how}${last ? `: ${last}` : ""}`,
    s,
  );
}

/** Waits for the child's next message (sending `trigger` first), its failure, or a timeout. */
function nextMessage(
  child: Child,
  timeoutMs: number,
  trigger?: () => void,
): Promise<ChildMessage | Error | "timeout"> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done("timeout"), timeoutMs);
    const done = (v: ChildMessage | Error | "timeout") => {
      clearTimeout(timer);
      child.onMessage = () => {};
      child.onFailure = () => {};
      resolve(v);
    };
    if (child.failure) return done(child.failure);
    child.onMessage = (m) => done(m);
    child.onFailure = (e) => done(e);
    trigger?.();
  });
}

const ACCESS_WORDS: Record<string, string> = {
  read: "the disk (read)",
  write: "the disk (write)",
  net: "the network",
  env: "the environment",
  run: "a subprocess",
  ffi: "a native library",
  sys: "system information",
  import: "a remote module",
};

/** Waits for hello, validates the manifest against the options. */
async function handshake(child: Child, o: LoadPluginOptions): Promise<PluginManifest> {
  const label = o.plugin;
  const manifest = await readHello(child, o);
  if (manifest.id !== o.plugin) {
    throw new PluginLoadError(
      label,
      "manifest",
      `its manifest id is "${manifest.id}", but the configuration names plugin "${o.plugin}"`,
    );
  }
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

/**
 * Waits for the child's hello: the import succeeded, the manifest is valid, a factory is
 * exported and the API version is compatible.
 */
async function readHello(
  child: Child,
  o: Pick<LoadPluginOptions, "plugin" | "loadTimeoutMs">,
): Promise<PluginManifest> {
  const label = o.plugin;
  const first = await nextMessage(child, o.loadTimeoutMs ?? 30_000);
  if (first === "timeout") {
    child.stop("timeout", "importing the module did not finish in time");
    throw new PluginLoadError(label, "import", "importing the module did not finish in time");
  }
  if (first instanceof Error) {
    throw new PluginLoadError(label, "import", `its process failed at start: ${first.message}`);
  }
  if (first.type === "import-error") {
    const text = `${first.error.name}: ${first.error.message}`;
    if (/NotCapable|PermissionDenied|Requires \w+ access/.test(text)) {
      const what = ACCESS_WORDS[permissionOf(text)] ?? "a protected resource";
      throw new PluginLoadError(
        label,
        "side-effect",
        `it touched ${what} at import time without a grant (plugins must have no import side ` +
          `effects; do the work in fetch()): ${text}`,
      );
    }
    throw new PluginLoadError(label, "import", `importing it failed: ${text}`);
  }
  if (first.type !== "hello") {
    child.stop("protocol", `its first message was "${first.type}", not hello`);
    throw new PluginLoadError(label, "import", `its first message was "${first.type}"`);
  }
  const parsed = PluginManifestSchema.safeParse(first.manifest);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) =>
      `${["manifest", ...i.path].join(".")}: ${i.message}`
    );
    throw new PluginLoadError(label, "manifest", `its manifest is invalid: ${issues.join("; ")}`);
  }
  const manifest = parsed.data;
  if (!first.hasFactory) {
    throw new PluginLoadError(label, "manifest", "it does not export a createPlugin() function");
  }
  const api = apiVersionProblem(manifest.apiVersion);
  if (api !== undefined) throw new PluginLoadError(label, "api-version", api);
  return manifest;
}

/** Options of {@linkcode probePlugin}. */
export type ProbePluginOptions = Pick<
  LoadPluginOptions,
  | "plugin"
  | "module"
  | "permissions"
  | "baseDir"
  | "limits"
  | "loadTimeoutMs"
  | "scratchRoot"
  | "npmRegistry"
  | "lockFile"
>;

/** What {@linkcode probePlugin} found. */
export interface PluginProbe {
  /** The validated manifest (schema, factory, API version checked). */
  manifest: PluginManifest;
  /** The vetted module graph. */
  graph: VettedGraph;
}

/**
 * Reads a plugin's manifest the way a load does, without a configuration: its graph is vetted,
 * its module imported in a child process holding `permissions` (nothing by default), its hello
 * read and validated; then the process is stopped. `createPlugin` does not run. For `gam plugin
 * check` and `gam plugin ls`, which learn a plugin's id and requested permissions this way.
 *
 * @throws {PluginLoadError} as {@linkcode SandboxedPlugin.load} does.
 *
 * @example Usage
 * ```ts
 * import { probePlugin, resolvePluginModule } from "./sandbox.ts";
 * const { manifest } = await probePlugin({
 *   plugin: "synthetic", module: resolvePluginModule("synthetic"),
 * });
 * ```
 */
export async function probePlugin(options: ProbePluginOptions): Promise<PluginProbe> {
  const label = options.plugin;
  const limits = { ...DEFAULT_PLUGIN_LIMITS, ...options.limits };
  const grant = await pluginGrant(label, options);
  const builtin = isBuiltinPlugin(options.plugin) &&
    options.module === builtinPluginUrl(options.plugin);
  const graph = await vetModuleGraph(options.module, {
    plugin: label,
    builtin,
    importHosts: grant.import,
    denoDir: await denoCacheDir(),
    timeoutMs: options.loadTimeoutMs,
    cwd: options.baseDir,
    npmRegistry: options.npmRegistry,
    lockFile: options.lockFile,
  });
  const full = { ...options, modality: "", permissions: options.permissions ?? {} };
  const child = await spawnChild(full, grant, graph, limits);
  try {
    return { manifest: await readHello(child, options), graph };
  } finally {
    await reap(child);
  }
}

/** Stops a child (closing its input first so a well-behaved one exits) and removes its scratch. */
async function reap(child: Child): Promise<void> {
  const timer = setTimeout(() => child.stop("exit", "closed"), 200);
  await child.closeInput();
  await child.exited;
  clearTimeout(timer);
  await Deno.remove(child.scratchDir, { recursive: true }).catch(() => {});
}
