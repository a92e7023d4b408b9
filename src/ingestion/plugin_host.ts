/**
 * The code that runs inside a plugin's child process. The sandbox starts
 *
 * ```sh
 * deno run --no-prompt --cached-only <exactly the granted --allow-* flags> <entry>
 * ```
 *
 * where `<entry>` is a `data:` module, generated from this template (placeholders in `<>`):
 *
 * ```text
 * import { importFailed, serve } from "<this file>";
 * let plugin;
 * try { plugin = await import("<plugin specifier>"); } catch (e) { await importFailed(e); }
 * await serve(plugin);
 * ```
 *
 * The plugin's import has a literal specifier, so Deno loads its module graph (the vetted one)
 * before anything runs, and the import's failure (a module that throws, or touches what it was
 * not granted at import time) is reported to the host as `import-error`.
 *
 * This module is evaluated before the plugin's: it takes the process's stdin and stdout for
 * the protocol (`_protocol.ts`) and leaves the plugin `Deno.stdin` and `process.stdin` as empty
 * streams and `Deno.stdout`, `process.stdout` and `console.log` pointing at stderr, so ordinary
 * logging cannot break the framing.
 * A plugin that writes to file descriptor 1 anyway (through `node:fs`, say) breaks the framing
 * of its own channel: the host then stops that child and reports it, nothing else.
 *
 * @module
 */
import process from "node:process";
import { Readable } from "node:stream";
import { checkSourceUrl } from "./http_source.ts";
import {
  type ChildMessage,
  decodeBody,
  encodeFrame,
  FrameReader,
  type HostMessage,
  toWireError,
} from "./_protocol.ts";

/** Largest host → child message, bytes (params and a bbox: small). */
const MAX_HOST_MESSAGE_BYTES = 64 * 1024 * 1024;

const protocolOut = Deno.stdout.writable.getWriter();
const protocolIn = Deno.stdin.readable;
Object.defineProperty(Deno, "stdout", { value: Deno.stderr, configurable: false });
Object.defineProperty(Deno, "stdin", {
  value: Object.freeze({
    readable: new ReadableStream<Uint8Array>({ start: (c) => c.close() }),
    read: () => Promise.resolve(null),
    readSync: () => null,
    isTerminal: () => false,
  }),
  configurable: false,
});
for (const name of ["log", "info", "debug"] as const) console[name] = console.error;
// The same for Node's streams: process.stdin reads nothing, process.stdout is stderr.
Object.defineProperty(process, "stdin", { value: Readable.from([]), configurable: false });
Object.defineProperty(process, "stdout", { value: process.stderr, configurable: false });

// Plain http only to the hosts the configuration allows, whatever helper the plugin uses: the
// global fetch and WebSocket are wrapped before the plugin's code can keep a reference to them.
let insecureHosts: readonly string[] = [];
const realFetch = globalThis.fetch;
globalThis.fetch = function fetch(input: RequestInfo | URL, init?: RequestInit) {
  const url = new URL(input instanceof Request ? input.url : String(input));
  // An ungranted host is refused by the runtime (NotCapable); a granted one over plain http
  // only when the configuration allows it.
  if (url.protocol === "http:" && granted(url.host)) checkSourceUrl(url, insecureHosts);
  return realFetch(input, init);
};
const granted = (host: string) => {
  try {
    return Deno.permissions.querySync({ name: "net", host }).state === "granted";
  } catch {
    return true;
  }
};
const RealWebSocket = globalThis.WebSocket;
globalThis.WebSocket = class WebSocket extends RealWebSocket {
  constructor(url: string | URL, protocols?: ConstructorParameters<typeof RealWebSocket>[1]) {
    const u = new URL(url);
    if (u.protocol === "ws:" && granted(u.host)) {
      checkSourceUrl(`http://${u.host}${u.pathname}`, insecureHosts);
    }
    super(url, protocols);
  }
};

let writing: Promise<void> = Promise.resolve();
function post(msg: ChildMessage): Promise<void> {
  let frame: Uint8Array;
  try {
    frame = encodeFrame(msg);
  } catch (e) {
    const id = "id" in msg ? msg.id : 0;
    frame = encodeFrame({ type: "error", id, error: toWireError(e) } satisfies ChildMessage);
  }
  writing = writing.then(() => protocolOut.write(frame));
  return writing;
}

/**
 * Reports that importing the plugin failed, then exits (status 3).
 *
 * Only inside the plugin host child process: exercised by tests/ingestion/sandbox_test.ts and
 * tests/ingestion/protocol_test.ts.
 */
export async function importFailed(error: unknown): Promise<never> {
  await post({ type: "import-error", error: toWireError(error) });
  await protocolOut.close().catch(() => {});
  Deno.exit(3);
}

interface PluginLike {
  fetch(request: Record<string, unknown>): Promise<unknown>;
}

/**
 * Serves a plugin module: says hello with its manifest, then answers `init`, `fetch` and
 * `abort` frames until stdin closes.
 *
 * @param mod The plugin module namespace.
 *
 * Only inside the plugin host child process: exercised by tests/ingestion/sandbox_test.ts and
 * tests/ingestion/protocol_test.ts.
 */
export async function serve(mod: Record<string, unknown>): Promise<void> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(JSON.stringify(mod.manifest ?? null));
  } catch {
    manifest = "[manifest is not plain data]";
  }
  await post({ type: "hello", manifest, hasFactory: typeof mod.createPlugin === "function" });
  let plugin: PluginLike | undefined;
  const controllers = new Map<number, AbortController>();
  const reader = new FrameReader(protocolIn, MAX_HOST_MESSAGE_BYTES);
  for (;;) {
    const body = await reader.next();
    if (body === null) break;
    const msg = decodeBody(body) as HostMessage;
    if (msg.type === "init") {
      insecureHosts = Object.freeze([...msg.options.allowInsecureHttp]);
      try {
        const factory = mod.createPlugin as (o: unknown) => PluginLike | Promise<PluginLike>;
        plugin = await factory(msg.options);
        if (!plugin || typeof plugin.fetch !== "function") {
          throw new TypeError("createPlugin() did not return an object with a fetch() method");
        }
        await post({ type: "ready" });
      } catch (err) {
        await post({ type: "init-error", error: toWireError(err) });
      }
    } else if (msg.type === "fetch") {
      const ac = new AbortController();
      controllers.set(msg.id, ac);
      (async () => {
        try {
          const data = await plugin!.fetch({ ...msg.request, signal: ac.signal });
          await post({ type: "result", id: msg.id, data });
        } catch (err) {
          await post({ type: "error", id: msg.id, error: toWireError(err) });
        } finally {
          controllers.delete(msg.id);
        }
      })();
    } else if (msg.type === "abort") {
      controllers.get(msg.id)?.abort(new DOMException("The fetch was aborted", "AbortError"));
    }
  }
  Deno.exit(0);
}
