/**
 * `fetchDataset()`: the local path of a registered data file, as Pooch does it: the shared data
 * folder beside the checkout (`../shared/data/`), then the user cache folder
 * (`$GAM_DATA_DIR`, or `$XDG_CACHE_HOME/gam/data`, or `~/.cache/gam/data`), then a download from
 * the registered URL, checked against the registered sha256 and published by rename.
 *
 * @module
 */
import { type DatasetEntry, DATASETS } from "./registry.ts";
import { userCacheDir, writeFileAtomic } from "../fs/mod.ts";

/** The shared real-data folder beside the checkout: `<repo>/../shared/data/`. */
export const SHARED_DATA_DIR: string = new URL("../../../shared/data/", import.meta.url).pathname;

/**
 * A registered file that is in neither folder and could not be downloaded. The message names
 * the file, the folders searched, the original source and how to get it.
 *
 * @example Usage
 * ```ts
 * import { DatasetUnavailableError } from "./fetch.ts";
 * const e = new DatasetUnavailableError("x.csv", "not in /a or /b; no download URL");
 * e.file; // "x.csv"
 * ```
 */
export class DatasetUnavailableError extends Error {
  /** The registered file name. */
  readonly file: string;
  /**
   * @param file The registered file name.
   * @param message What was tried and what to do.
   * @param options `cause`: the last download error, if any.
   */
  constructor(file: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DatasetUnavailableError";
    this.file = file;
  }
}

/** A name that is not in the registry. */
export class UnknownDatasetError extends RangeError {
  /** @param file The name asked for. */
  constructor(file: string) {
    super(
      `Unknown data file "${file}": expected one of ${
        Object.keys(DATASETS).map((f) => `"${f}"`).join(", ")
      } (src/datasets/registry.ts)`,
    );
    this.name = "UnknownDatasetError";
  }
}

/** Where to look and how to download. */
export interface FetchDatasetOptions {
  /**
   * The shared data folder searched first.
   * @default {SHARED_DATA_DIR}
   */
  sharedDir?: string;
  /**
   * The cache folder searched second and downloaded into.
   * @default {`$GAM_DATA_DIR`, else `$XDG_CACHE_HOME/gam/data`, else `~/.cache/gam/data`}
   */
  cacheDir?: string;
  /**
   * Download attempts per file (network errors and HTTP 5xx/429 are retried).
   * @default {3}
   */
  attempts?: number;
  /**
   * Milliseconds between attempts.
   * @default {1000}
   */
  retryDelayMs?: number;
  /**
   * The fetch function (tests pass one bound to a loopback server).
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch;
  /**
   * Registry to use (tests register their own entries).
   * @default {DATASETS}
   */
  registry?: Readonly<Record<string, DatasetEntry>>;
}

/** The default cache folder for data files. */
export function defaultDataCacheDir(): string {
  const explicit = Deno.env.get("GAM_DATA_DIR");
  if (explicit) return explicit;
  return userCacheDir("data");
}

/**
 * What to do about a file in the cache, as Pooch's `download_action`: `fetch` (absent, download
 * it), `update` (present with another hash: download again) or `use` (present and right).
 *
 * @param present Whether the cache holds a file of that name.
 * @param hashMatches Whether its sha256 is the registered one (ignored when absent).
 *
 * @example Usage
 * ```ts
 * import { cacheAction } from "./fetch.ts";
 * cacheAction(false, false); // "fetch"
 * cacheAction(true, false); // "update"
 * ```
 */
export function cacheAction(present: boolean, hashMatches: boolean): "fetch" | "update" | "use" {
  if (!present) return "fetch";
  return hashMatches ? "use" : "update";
}

/** Paths already verified in this process (hashing 2 MB is cheap, but tests ask many times). */
const verified = new Map<string, string>();

/**
 * The local path of registered file `file`, verified against its sha256.
 *
 * @param file A file name of the registry, e.g. `"rio-magnetic.csv.gz"`.
 * @param options Folders, download attempts, fetch function.
 * @returns The absolute path of a file whose bytes have the registered hash.
 * @throws {UnknownDatasetError} `file` is not registered.
 * @throws {DatasetUnavailableError} in neither folder and not downloadable (message says why).
 *
 * @example Find the Rio survey
 * ```ts
 * import { fetchDataset } from "./fetch.ts";
 * const path = await fetchDataset("rio-magnetic.csv.gz");
 * ```
 */
export async function fetchDataset(
  file: string,
  options: FetchDatasetOptions = {},
): Promise<string> {
  const registry = options.registry ?? DATASETS;
  const entry = Object.hasOwn(registry, file) ? registry[file] : undefined;
  if (!entry) throw new UnknownDatasetError(file);
  const sharedDir = options.sharedDir ?? SHARED_DATA_DIR;
  const cacheDir = options.cacheDir ?? defaultDataCacheDir();
  const memo = `${sharedDir}\0${cacheDir}\0${file}`;
  const known = verified.get(memo);
  if (known && await isFile(known)) return known;

  const notes: string[] = [];
  const shared = join(sharedDir, file);
  if (await isFile(shared)) {
    if (await sha256Of(shared) === entry.sha256) return remember(memo, shared);
    notes.push(`${shared} has another sha256 than the registered ${entry.sha256}`);
  } else notes.push(`not in ${sharedDir}`);

  const cached = join(cacheDir, file);
  const present = await isFile(cached);
  const action = cacheAction(present, present && await sha256Of(cached) === entry.sha256);
  if (action === "use") return remember(memo, cached);
  notes.push(
    action === "update"
      ? `${cached} has another sha256 (replaced if downloadable)`
      : `not in ${cacheDir}`,
  );

  if (!entry.url) {
    throw new DatasetUnavailableError(
      file,
      `Data file "${file}" is not available: ${notes.join("; ")}; and it has no direct ` +
        `download (its public source is another format). ${entry.description}. Source: ` +
        `${entry.source.url}. ${entry.source.note} Put the file in ${sharedDir} or ${cacheDir}.`,
    );
  }
  try {
    await download(entry, cached, options);
  } catch (e) {
    throw new DatasetUnavailableError(
      file,
      `Data file "${file}" is not available: ${notes.join("; ")}; and downloading ${entry.url} ` +
        `failed: ${e instanceof Error ? e.message : String(e)}. ${entry.description}. Source: ` +
        `${entry.source.url}. Put the file in ${sharedDir} or ${cacheDir}.`,
      { cause: e },
    );
  }
  return remember(memo, cached);
}

function remember(memo: string, path: string): string {
  verified.set(memo, path);
  return path;
}

/** Downloads into a temp file in `dest`'s folder, checks the hash, renames; bounded retries. */
async function download(entry: DatasetEntry, dest: string, options: FetchDatasetOptions) {
  const url = entry.url!;
  const attempts = Math.max(1, options.attempts ?? 3);
  const delay = options.retryDelayMs ?? 1000;
  const doFetch = options.fetch ?? fetch;
  await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")), { recursive: true });
  let last: unknown;
  for (let i = 1; i <= attempts; i++) {
    let res: Response;
    try {
      res = await doFetch(url);
    } catch (e) {
      last = e; // network error: retried
      if (i < attempts) await new Promise((r) => setTimeout(r, delay));
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      last = new Error(`HTTP ${res.status} ${res.statusText}`.trim());
      if (res.status < 500 && res.status !== 429) throw last; // not worth retrying
      if (i < attempts) await new Promise((r) => setTimeout(r, delay));
      continue;
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    const got = await sha256Hex(bytes);
    if (got !== entry.sha256) {
      // Wrong bytes are not retried: the server serves another file.
      throw new Error(
        `the download has ${got} (${bytes.length} bytes), expected ${entry.sha256} ` +
          `(${entry.size} bytes)`,
      );
    }
    await writeFileAtomic(dest, bytes); // never a half-written file
    return;
  }
  throw last instanceof Error
    ? new Error(`${attempts} attempts failed; last: ${last.message}`)
    : last;
}

async function sha256Of(path: string): Promise<string> {
  return await sha256Hex(await Deno.readFile(path));
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return `sha256:${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

function join(dir: string, file: string): string {
  return dir.endsWith("/") ? `${dir}${file}` : `${dir}/${file}`;
}
