/**
 * The `http` source plugin: downloads a survey file by URL with a pinned sha256 (as Pooch
 * does), then reads it with the `file` plugin's readers.
 *
 * Download (resume-safe): the file goes to `<downloadDir>/<name>.part`, resumed with a
 * `Range` request when a partial file is there (a server answering 200 restarts it), is
 * checked against `sha256`, and only then renamed to `<downloadDir>/<sha256[0:16]>-<name>`.
 * A final file whose hash matches is used without any request; one that does not match is
 * downloaded again. A mismatching download is deleted and reported (retryable).
 *
 * Params: `url` (https; http only for `allowInsecureHttp` hosts), `sha256` (64 hex digits),
 * `downloadDir` (default: the scratch folder the sandbox gives the plugin, the only folder it
 * may write), `fileName` (default: last URL segment), and
 * the file plugin's `format`, `columns`, `units`, `variable`, `licence`, `citation`, ...
 *
 * @module
 */
import { createHash } from "node:crypto";
import {
  checkSourceUrl,
  displayUrl,
  fetchBytes,
  type FetchRequest,
  type PluginManifest,
  type PluginOptions,
  type RawData,
  SourceNetworkError,
  type SourcePlugin,
} from "@gam/pipeline/plugin";
import { checkSurveyParams, readSurveyFile, SurveyFileError } from "../file/read.ts";

/**
 * Manifest of the `http` plugin (hosts and folders come from its params and must be granted).
 *
 * @example Usage
 * ```ts
 * import { manifest } from "./mod.ts";
 * manifest.id; // "http"
 * ```
 */
export const manifest: PluginManifest = {
  id: "http",
  version: "1.0.0",
  apiVersion: "1.0.0",
  modalities: ["gravity", "gravity_gradient", "magnetic"],
  description: "Survey file downloaded by URL with a pinned sha256, read like the file plugin",
  licence: "as declared in params.licence",
  citation: "as declared in params.citation",
  permissions: { net: [], read: [] },
};

/**
 * The downloaded file does not have the pinned sha256 (retryable: the partial file is gone).
 *
 * @example Usage
 * ```ts
 * import { ChecksumMismatchError } from "./mod.ts";
 * new ChecksumMismatchError("https://x/a.csv", "ab", "cd");
 * ```
 */
export class ChecksumMismatchError extends Error {
  /** Always `true`: a fresh download may succeed. */
  readonly retryable = true;
  /**
   * @param url The URL.
   * @param expected The pinned hash.
   * @param actual The hash of what was downloaded.
   */
  constructor(url: string, expected: string, actual: string) {
    super(
      `sha256 of ${url} is ${actual}, expected ${expected} (params.sha256); download discarded`,
    );
    this.name = "ChecksumMismatchError";
  }
}

/** What to do with the cache file (Pooch's `download_action`). */
export type DownloadAction = "use" | "download" | "update";

/**
 * Pure decision: use the existing file, download it, or download it again (hash mismatch).
 *
 * @example Usage
 * ```ts
 * import { downloadAction } from "./mod.ts";
 * downloadAction(undefined, "ab"); // "download"
 * ```
 */
export function downloadAction(existingHash: string | undefined, pinned: string): DownloadAction {
  if (existingHash === undefined) return "download";
  return existingHash === pinned ? "use" : "update";
}

async function sha256File(path: string): Promise<string | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  const h = createHash("sha256");
  for await (const chunk of file.readable) h.update(chunk);
  return h.digest("hex");
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
}

/**
 * Downloads `url` to `target` with the pinned hash, resume-safe. Returns the action taken.
 *
 * @example Usage (against a loopback server started in the example)
 * ```ts
 * import { download } from "./mod.ts";
 * import { createHash } from "node:crypto";
 * const text = "station,g\nA,9.81\n";
 * const sha256 = createHash("sha256").update(text).digest("hex");
 * const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => new Response(text));
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-download-" });
 * try {
 *   const url = `http://127.0.0.1:${server.addr.port}/a.csv`;
 *   const options = { allowInsecureHttp: ["127.0.0.1"] };
 *   console.assert((await download(url, `${dir}/a.csv`, sha256, options)) === "download");
 *   console.assert((await download(url, `${dir}/a.csv`, sha256, options)) === "use"); // cached
 * } finally {
 *   await server.shutdown();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function download(
  url: string,
  target: string,
  sha256: string,
  options: { signal?: AbortSignal; allowInsecureHttp: readonly string[]; traceparent?: string },
): Promise<DownloadAction> {
  const action = downloadAction(await sha256File(target), sha256);
  if (action === "use") return action;
  const part = `${target}.part`;
  const have = await sizeOf(part);
  const { traceparent, ...rest } = options;
  const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-` } : {};
  if (traceparent) headers.traceparent = traceparent;
  const { body, response } = await fetchBytes(url, { ...rest, headers });
  const append = have > 0 && response.status === 206;
  await Deno.writeFile(part, body, { append, create: true });
  const actual = await sha256File(part);
  if (actual !== sha256) {
    await Deno.remove(part).catch(() => {});
    throw new ChecksumMismatchError(displayUrl(url), sha256, actual ?? "none");
  }
  await Deno.rename(part, target);
  return action;
}

/**
 * Creates the plugin.
 *
 * @example Usage
 * ```ts
 * import { createPlugin } from "./mod.ts";
 * const p = createPlugin({ params: {}, allowInsecureHttp: [] });
 * ```
 */
export function createPlugin(options: PluginOptions): SourcePlugin {
  return {
    async fetch(req: FetchRequest): Promise<RawData> {
      const { url, sha256, downloadDir, fileName, ...rest } = req.params;
      if (typeof url !== "string") throw new SurveyFileError("http: params.url is required");
      checkSourceUrl(url, options.allowInsecureHttp);
      if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) {
        throw new SurveyFileError(
          `http: params.sha256 must be 64 lower-case hex digits (the pinned hash), got ${
            JSON.stringify(sha256)
          }`,
        );
      }
      const dir = typeof downloadDir === "string" && downloadDir !== ""
        ? downloadDir
        : options.scratchDir;
      if (dir === undefined) {
        throw new SurveyFileError(
          "http: params.downloadDir is required outside the sandbox (inside it, the plugin's " +
            "scratch folder is used)",
        );
      }
      const name = typeof fileName === "string" && fileName !== ""
        ? fileName
        : new URL(url).pathname.split("/").pop() || "download";
      if (name.includes("/") || name.startsWith(".")) {
        throw new SurveyFileError(`http: file name "${name}" must be a plain file name`);
      }
      const params = checkSurveyParams(rest, "http");
      const target = `${dir}/${sha256.slice(0, 16)}-${name}`;
      try {
        await download(url, target, sha256, {
          signal: req.signal,
          allowInsecureHttp: options.allowInsecureHttp,
          traceparent: req.traceparent,
        });
      } catch (e) {
        if (e instanceof Deno.errors.Interrupted) throw new SourceNetworkError(url, e.message);
        throw e;
      }
      return readSurveyFile(target, { format: undefined, ...params }, {
        source: { plugin: manifest.id, version: manifest.version },
        modality: req.modality,
        bbox: req.bbox,
        sourceUrl: displayUrl(url),
      });
    },
  };
}
