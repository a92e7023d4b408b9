/**
 * {@linkcode FsCacheStore}: the local-filesystem {@linkcode CacheStore}.
 *
 * Layout under the root folder:
 * - `<path>/`: a complete entry (a Zarr v3 group: `zarr.json` and its arrays).
 * - `.tmp/<id>/` and `.tmp/<id>.lock`: an entry being written, and the OS lock its writer holds
 *   while writing; published by `rename` into `<path>/` (same filesystem, so atomic).
 * - `.locks/<encoded path>.lock`: the per-entry lock files (never deleted, so a waiter can never
 *   hold a lock on a file a newcomer no longer sees).
 * - `.pins/<encoded path>`: present while the entry is pinned; survives rewrites of the entry.
 * - `.quarantine/<encoded path>@<time>/`: entries that failed their integrity check.
 * - `.trash/<id>/`: entries being deleted or replaced.
 *
 * Last access (for least-recently-used eviction) is the entry folder's modification time, set on
 * every `get` and `put` (file access times are unreliable under `relatime`/`noatime`).
 *
 * @module
 */
import type { CacheStore, StoredEntry, StoredEntryInfo } from "./cache_store.ts";
import { entrySegments } from "./cache_store.ts";
import { readZarrGroupAttributes } from "../formats/codecs.ts";
import { publishDir } from "../fs/mod.ts";

const TMP = ".tmp";
const LOCKS = ".locks";
const PINS = ".pins";
const QUARANTINE = ".quarantine";
const TRASH = ".trash";
/** Temporary folders younger than this are never treated as leftovers, seconds. */
const LEFTOVER_MIN_AGE_SECONDS = 60;

/** Options of {@linkcode FsCacheStore}. */
export interface FsCacheStoreOptions {
  /**
   * Record reads as accesses (folder mtime) for LRU eviction. Turn off for read-only tools
   * such as `gam cache ls`.
   * @default true
   */
  recordAccess?: boolean;
}

/**
 * A {@linkcode CacheStore} in a local folder. Publishing is `rename` of a complete folder;
 * locks are OS file locks (`flock`) plus an in-process queue, so they exclude other processes
 * and other callers in this process alike, and die with their process.
 *
 * @example Write, read and list an entry
 * ```ts
 * import { FsCacheStore } from "./fs_cache_store.ts";
 * const store = new FsCacheStore(await Deno.makeTempDir());
 * await store.put("ingestion/gravity/k1", async (dir) => {
 *   await Deno.writeTextFile(`${dir}/zarr.json`, '{"zarr_format":3,"node_type":"group","attributes":{}}');
 * });
 * (await store.get("ingestion/gravity/k1"))?.dir;
 * ```
 */
export class FsCacheStore implements CacheStore {
  /** The root folder. */
  readonly root: string;
  readonly #recordAccess: boolean;
  readonly #queues = new Map<string, Promise<void>>();

  /**
   * @param root Root folder; created on first write.
   * @param options See {@linkcode FsCacheStoreOptions}.
   */
  constructor(root: string, options: FsCacheStoreOptions = {}) {
    this.root = root.replace(/\/+$/, "") || "/";
    this.#recordAccess = options.recordAccess ?? true;
  }

  /** The root folder. */
  get location(): string {
    return this.root;
  }

  /** The local folder an entry path maps to (whether or not an entry exists). */
  dirOf(path: string): string {
    return `${this.root}/${entrySegments(path).join("/")}`;
  }

  get(path: string): Promise<StoredEntry | undefined> {
    const dir = this.dirOf(path);
    // Three metadata operations of a few microseconds each, done synchronously: on the hot read
    // path an async call's hop to the I/O thread pool costs more than the work
    // (`deno task bench:cache`).
    const attributes = readGroupAttributes(dir);
    if (attributes === undefined) return Promise.resolve(undefined);
    if (this.#recordAccess) touch(dir);
    return Promise.resolve({ path, dir, pinned: this.#isPinned(path), attributes });
  }

  async put(path: string, fill: (dir: string) => Promise<void>): Promise<StoredEntryInfo> {
    const target = this.dirOf(path);
    const id = newId();
    await Deno.mkdir(`${this.root}/${TMP}`, { recursive: true });
    const lockPath = `${this.root}/${TMP}/${id}.lock`;
    const writerLock = await Deno.open(lockPath, { create: true, write: true });
    try {
      await writerLock.lock(true);
      const tmp = `${this.root}/${TMP}/${id}`;
      await Deno.mkdir(tmp);
      try {
        await fill(tmp);
        await Deno.mkdir(parentOf(target), { recursive: true });
        await this.#publish(tmp, target);
      } catch (e) {
        await removeQuietly(tmp);
        throw e;
      }
    } finally {
      await removeQuietly(lockPath);
      writerLock.close();
    }
    const lastAccess = touch(target);
    return {
      path,
      dir: target,
      pinned: this.#isPinned(path),
      attributes: readGroupAttributes(target) ?? {},
      sizeBytes: await folderBytes(target),
      lastAccess,
    };
  }

  async delete(path: string): Promise<boolean> {
    const dir = this.dirOf(path);
    const trash = `${this.root}/${TRASH}/${newId()}`;
    await Deno.mkdir(`${this.root}/${TRASH}`, { recursive: true });
    try {
      await Deno.rename(dir, trash);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return false;
      throw e;
    }
    await removeQuietly(trash);
    return true;
  }

  async quarantine(path: string): Promise<string | undefined> {
    const dir = this.dirOf(path);
    await Deno.mkdir(`${this.root}/${QUARANTINE}`, { recursive: true });
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    const aside = `${this.root}/${QUARANTINE}/${encode(path)}@${stamp}-${newId()}`;
    try {
      await Deno.rename(dir, aside);
      return aside;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
  }

  async list(prefix = ""): Promise<StoredEntryInfo[]> {
    const start = prefix === "" ? this.root : this.dirOf(prefix);
    const out: StoredEntryInfo[] = [];
    const pins = await this.#pinSet();
    const walk = async (dir: string, rel: string): Promise<void> => {
      const attributes = rel === "" ? undefined : readGroupAttributes(dir);
      if (attributes !== undefined) {
        const st = await statQuietly(dir);
        if (st === undefined) return;
        out.push({
          path: rel,
          dir,
          pinned: pins.has(rel),
          attributes,
          sizeBytes: await folderBytes(dir),
          lastAccess: st.mtime ?? new Date(0),
        });
        return;
      }
      for (const child of await readDirQuietly(dir)) {
        if (!child.isDirectory || child.name.startsWith(".")) continue;
        await walk(`${dir}/${child.name}`, rel === "" ? child.name : `${rel}/${child.name}`);
      }
    };
    await walk(start, prefix);
    return out.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  }

  async setPinned(path: string, pinned: boolean): Promise<void> {
    const file = `${this.root}/${PINS}/${encode(path)}`;
    if (pinned) {
      await Deno.mkdir(`${this.root}/${PINS}`, { recursive: true });
      await Deno.writeTextFile(file, path + "\n");
    } else {
      await removeQuietly(file);
    }
  }

  async lock(path: string): Promise<AsyncDisposable> {
    const file = await this.#lockFile(path);
    const release = await this.#enqueue(file);
    try {
      const f = await Deno.open(file, { create: true, write: true });
      try {
        await f.lock(true);
      } catch (e) {
        f.close();
        throw e;
      }
      return releaser(f, release);
    } catch (e) {
      release();
      throw e;
    }
  }

  async tryLock(path: string): Promise<AsyncDisposable | undefined> {
    const file = await this.#lockFile(path);
    if (this.#queues.has(file)) return undefined;
    const release = await this.#enqueue(file);
    const f = await Deno.open(file, { create: true, write: true });
    if (!(await f.tryLock(true))) {
      f.close();
      release();
      return undefined;
    }
    return releaser(f, release);
  }

  async cleanLeftovers(
    options: { quarantineMaxAgeSeconds?: number; now?: Date } = {},
  ): Promise<{ removed: number; bytes: number }> {
    const now = (options.now ?? new Date()).getTime();
    const quarantineMax = (options.quarantineMaxAgeSeconds ?? 7 * 86400) * 1000;
    let removed = 0;
    let bytes = 0;
    const old = (name: string, minMs: number) => {
      const t = timeOfId(name);
      return t !== undefined && now - t >= minMs;
    };
    // Temporary folders whose writer no longer holds its lock (the writer died).
    const tmpRoot = `${this.root}/${TMP}`;
    for (const e of await readDirQuietly(tmpRoot)) {
      const id = e.name.replace(/\.lock$/, "");
      if (!old(id, LEFTOVER_MIN_AGE_SECONDS * 1000)) continue;
      const lockPath = `${tmpRoot}/${id}.lock`;
      let f: Deno.FsFile;
      try {
        f = await Deno.open(lockPath, { create: true, write: true });
      } catch {
        continue;
      }
      try {
        if (!(await f.tryLock(true))) continue;
        if (e.isDirectory) {
          bytes += await folderBytes(`${tmpRoot}/${id}`);
          await removeQuietly(`${tmpRoot}/${id}`);
          removed++;
        }
        await removeQuietly(lockPath);
      } finally {
        f.close();
      }
    }
    for (const e of await readDirQuietly(`${this.root}/${TRASH}`)) {
      if (!old(e.name, LEFTOVER_MIN_AGE_SECONDS * 1000)) continue;
      bytes += await folderBytes(`${this.root}/${TRASH}/${e.name}`);
      await removeQuietly(`${this.root}/${TRASH}/${e.name}`);
      removed++;
    }
    for (const e of await readDirQuietly(`${this.root}/${QUARANTINE}`)) {
      const id = /@[^-]+-(\d+-\d+-[0-9a-f]+)$/.exec(e.name)?.[1];
      if (id === undefined || !old(id, quarantineMax)) continue;
      bytes += await folderBytes(`${this.root}/${QUARANTINE}/${e.name}`);
      await removeQuietly(`${this.root}/${QUARANTINE}/${e.name}`);
      removed++;
    }
    return { removed, bytes };
  }

  async clear(): Promise<void> {
    for (const e of await readDirQuietly(this.root)) {
      if (e.name === LOCKS) continue;
      await removeQuietly(`${this.root}/${e.name}`);
    }
  }

  /** Puts a written entry in place; an entry already there (a refresh) goes through the trash. */
  async #publish(tmp: string, target: string): Promise<void> {
    await publishDir(tmp, target, { replace: true, aside: `${this.root}/${TRASH}/${newId()}` });
  }

  #isPinned(path: string): boolean {
    try {
      Deno.statSync(`${this.root}/${PINS}/${encode(path)}`);
      return true;
    } catch {
      return false;
    }
  }

  async #pinSet(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const e of await readDirQuietly(`${this.root}/${PINS}`)) {
      if (e.isFile) out.add(decodeURIComponent(e.name));
    }
    return out;
  }

  async #lockFile(path: string): Promise<string> {
    entrySegments(path);
    await Deno.mkdir(`${this.root}/${LOCKS}`, { recursive: true });
    return `${this.root}/${LOCKS}/${encode(path)}.lock`;
  }

  /** In-process FIFO per lock file: resolves to the release function when it is our turn. */
  async #enqueue(file: string): Promise<() => void> {
    const previous = this.#queues.get(file) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#queues.set(file, tail);
    await previous;
    return () => {
      release();
      if (this.#queues.get(file) === tail) this.#queues.delete(file);
    };
  }
}

function releaser(f: Deno.FsFile, release: () => void): AsyncDisposable {
  let done = false;
  return {
    async [Symbol.asyncDispose]() {
      if (done) return;
      done = true;
      try {
        await f.unlock();
      } catch { /* closing releases it too */ }
      f.close();
      release();
    },
  };
}

/** Reads the `attributes` of `<dir>/zarr.json` when it is a group; `undefined` otherwise. */
function readGroupAttributes(dir: string): Record<string, unknown> | undefined {
  try {
    return readZarrGroupAttributes(dir);
  } catch (e) {
    // A damaged zarr.json is still an entry: the typed cache quarantines it.
    return e instanceof SyntaxError ? { "gam.unreadable": true } : undefined;
  }
}

function encode(path: string): string {
  return encodeURIComponent(path);
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/** `<ms since epoch>-<pid>-<random>`: sortable, and tells the sweeper its age. */
function newId(): string {
  return `${Date.now()}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
}

function timeOfId(id: string): number | undefined {
  const m = /^(\d{10,})-/.exec(id);
  return m ? Number(m[1]) : undefined;
}

function touch(dir: string): Date {
  const now = new Date();
  try {
    Deno.utimeSync(dir, now, now);
  } catch { /* removed meanwhile: nothing to record */ }
  return now;
}

async function statQuietly(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch {
    return undefined;
  }
}

async function readDirQuietly(dir: string): Promise<Deno.DirEntry[]> {
  const out: Deno.DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(dir)) out.push(e);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}

async function removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** Bytes of every file under `dir` (0 when it vanished meanwhile). */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readDirQuietly(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) total += await folderBytes(p);
    else if (e.isFile) total += (await statQuietly(p))?.size ?? 0;
  }
  return total;
}
