/**
 * The code that runs inside a plugin's worker. The sandbox host builds a tiny entry module
 *
 * ```ts ignore
 * import * as plugin from "<plugin specifier>";
 * import { serve } from "<this file>";
 * serve(plugin, "probe" | "run");
 * ```
 *
 * so the plugin's module graph is loaded by the host (no read permission is needed for it)
 * and the plugin's top-level code runs under the worker's permissions: none at all in the
 * probe worker, exactly the configuration's grant in the runtime worker.
 *
 * @module
 */
import { type HostMessage, toWireError, transferables, type WorkerMessage } from "./_protocol.ts";

interface PluginLike {
  fetch(request: Record<string, unknown>): Promise<unknown>;
}

const post = (msg: WorkerMessage, transfer: Transferable[] = []) =>
  (self as unknown as Worker).postMessage(msg, transfer);

/**
 * Serves a plugin module inside the worker.
 *
 * - `probe`: reports the exports (manifest, whether `createPlugin` is a function) and stops.
 * - `run`: waits for `init`, creates the plugin, then answers `fetch` and `abort` messages.
 *
 * @param mod The plugin module namespace.
 * @param mode Probe or run.
 *
 * @example Usage
 * ```ts ignore
 * import * as plugin from "./my_plugin.ts";
 * import { serve } from "./plugin_worker.ts";
 * serve(plugin, "run");
 * ```
 */
export function serve(mod: Record<string, unknown>, mode: "probe" | "run"): void {
  if (mode === "probe") {
    let manifest: unknown;
    try {
      manifest = structuredClone(mod.manifest);
    } catch {
      manifest = "[manifest is not plain data]";
    }
    post({ type: "probe", manifest, hasFactory: typeof mod.createPlugin === "function" });
    return;
  }
  let plugin: PluginLike | undefined;
  const controllers = new Map<number, AbortController>();
  (self as unknown as Worker).onmessage = async (e: MessageEvent<HostMessage>) => {
    const msg = e.data;
    if (msg.type === "init") {
      try {
        const factory = mod.createPlugin as (o: unknown) => PluginLike | Promise<PluginLike>;
        plugin = await factory(msg.options);
        if (!plugin || typeof plugin.fetch !== "function") {
          throw new TypeError("createPlugin() did not return an object with a fetch() method");
        }
        post({ type: "ready" });
      } catch (err) {
        post({ type: "init-error", error: toWireError(err) });
      }
    } else if (msg.type === "fetch") {
      const ac = new AbortController();
      controllers.set(msg.id, ac);
      try {
        const data = await plugin!.fetch({ ...msg.request, signal: ac.signal });
        post({ type: "result", id: msg.id, data }, transferables(data));
      } catch (err) {
        post({ type: "error", id: msg.id, error: toWireError(err) });
      } finally {
        controllers.delete(msg.id);
      }
    } else if (msg.type === "abort") {
      controllers.get(msg.id)?.abort(new DOMException("The fetch was aborted", "AbortError"));
    }
  };
}
