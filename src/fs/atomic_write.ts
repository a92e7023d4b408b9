/**
 * Writing files and folders so that a reader (or a crash) sees the old content or the new,
 * never a part: build under a temporary name in the same folder (same filesystem, so the
 * rename is atomic), flush to disk, rename over the target. The one implementation of
 * "temporary file, then rename" in the project.
 *
 * @module
 */

/** What {@linkcode writeFileAtomic} writes: bytes, text, or a function that writes the file. */
export type AtomicContent = Uint8Array | string | ((tmp: string) => Promise<void>);

/** The temporary name of `path`: hidden, in the same folder, unique to this write. */
function temporaryName(path: string, suffix: string): string {
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash + 1) : "";
  return `${dir}.${path.slice(slash + 1)}.${crypto.randomUUID().slice(0, 8)}.${suffix}`;
}

function parentOf(path: string): string | undefined {
  const slash = path.lastIndexOf("/");
  return slash > 0 ? path.slice(0, slash) : slash === 0 ? "/" : undefined;
}

/** fsync of a folder (its entry list: makes a rename in it durable); best effort. */
async function syncPath(path: string): Promise<void> {
  let f: Deno.FsFile | undefined;
  try {
    f = await Deno.open(path, { read: true });
    await f.sync();
  } catch {
    // Some filesystems refuse fsync on folders; the rename is still atomic.
  } finally {
    f?.close();
  }
}

/**
 * fsync of a file's content. Unlike a folder's, a failure throws: the bytes may not be on disk,
 * and renaming them into place would publish a file a crash can leave empty or torn.
 */
async function syncFile(path: string): Promise<void> {
  using f = await Deno.open(path, { read: true });
  await f.sync();
}

/** Files flushed at once by {@linkcode syncTree}: the disk gets one batch, not one at a time. */
const SYNC_CONCURRENCY = 8;

/**
 * Flushes every file under `dir` to disk, then every folder (their entry lists), `dir` itself
 * last. A folder renamed into place is durable only with its content: on ext4 a file written
 * but not flushed can come back empty after a power cut, its name already committed. Several
 * files at once: on this project's machines 64 files of 2 MiB took 56-65 ms this way, 83-111 ms
 * one after the other (about the 60 ms of one 128 MiB file).
 */
async function syncTree(dir: string): Promise<void> {
  const files: string[] = [], dirs: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for await (const e of Deno.readDir(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (e.isFile) files.push(p);
    }
    dirs.push(d);
  };
  await walk(dir);
  let next = 0;
  const worker = async () => {
    while (next < files.length) await syncFile(files[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(SYNC_CONCURRENCY, files.length) }, worker));
  for (const d of dirs) await syncPath(d);
}

/**
 * Writes `path` atomically: the content goes to a temporary file beside it, is flushed to disk
 * (fsync), then renamed over `path`; the parent folder is created if missing. On failure the
 * temporary file is removed and `path` is untouched.
 *
 * @param path The file to write.
 * @param content Bytes, text (UTF-8), or a function writing the temporary file it is given
 *   (an external tool such as `pg_dump`).
 * @returns The size of the file written, bytes.
 *
 * @example Usage
 * ```ts
 * import { writeFileAtomic } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a/run.json`, JSON.stringify({ ok: true }));
 * console.assert((await Deno.readTextFile(`${dir}/a/run.json`)) === '{"ok":true}');
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(path: string, content: AtomicContent): Promise<number> {
  const parent = parentOf(path);
  if (parent !== undefined) await Deno.mkdir(parent, { recursive: true });
  const tmp = temporaryName(path, "tmp");
  try {
    if (typeof content === "function") await content(tmp);
    else if (typeof content === "string") await Deno.writeTextFile(tmp, content);
    else await Deno.writeFile(tmp, content);
    await syncFile(tmp);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  if (parent !== undefined) await syncPath(parent);
  return (await Deno.stat(path)).size;
}

/**
 * Builds a folder atomically: `build` fills a temporary folder beside `path`, which is then put
 * in place with {@linkcode publishDir}. With `replace` an existing folder at `path` is replaced
 * (a reader finds the old folder or the new one, at worst briefly nothing, never a mix);
 * without it, a folder already at `path` (put there by a concurrent builder of the same
 * content) is kept and the new one discarded.
 *
 * @param path The folder to create.
 * @param build Writes the folder's content into the temporary folder it is given.
 * @param options `replace`: replace an existing folder. @default false
 * @returns Whether this call put the folder in place.
 *
 * @example Usage
 * ```ts
 * import { writeDirAtomic } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeDirAtomic(`${dir}/grid.zarr`, (tmp) => Deno.writeTextFile(`${tmp}/zarr.json`, "{}"));
 * console.assert((await Deno.readTextFile(`${dir}/grid.zarr/zarr.json`)) === "{}");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeDirAtomic(
  path: string,
  build: (tmp: string) => Promise<void>,
  options: { replace?: boolean } = {},
): Promise<boolean> {
  const clean = path.replace(/\/+$/, "");
  const parent = parentOf(clean);
  if (parent !== undefined) await Deno.mkdir(parent, { recursive: true });
  const tmp = temporaryName(clean, "tmp");
  try {
    await Deno.mkdir(tmp);
    await build(tmp);
    const placed = await publishDir(tmp, clean, options);
    if (!placed) await Deno.remove(tmp, { recursive: true }).catch(() => {});
    return placed;
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
}

/** Options of {@linkcode publishDir}. */
export interface PublishDirOptions {
  /** Replace a folder already at the target. @default false */
  replace?: boolean;
  /**
   * Where a replaced folder is moved before it is removed (same filesystem; its parent is
   * created if missing; a store that sweeps its own trash folder names a path in it).
   * @default a hidden name beside the target
   */
  aside?: string;
}

/**
 * Puts a finished folder in place: flushes its files and folders to disk, renames `tmp` (built
 * on the same filesystem, e.g. in a store's staging folder) to `path` and makes the rename
 * durable (fsync of the parent), so a crash leaves the old folder or the whole new one. A folder
 * already at `path` is kept (returns `false`, `tmp` is left to the caller) unless `replace`:
 * then it is moved aside, `tmp` renamed in and the old folder removed, so a reader finds the
 * old folder or the new one (at worst briefly nothing), never a mix. The second half of
 * {@linkcode writeDirAtomic}, for callers that build the folder themselves.
 *
 * @param tmp The finished folder.
 * @param path Where it goes (its parent must exist).
 * @param options See {@linkcode PublishDirOptions}.
 * @returns Whether `tmp` was put in place.
 *
 * @example Usage
 * ```ts
 * import { publishDir } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/staging`);
 * await Deno.writeTextFile(`${dir}/staging/a.txt`, "new");
 * console.assert(await publishDir(`${dir}/staging`, `${dir}/entry`));
 * console.assert((await Deno.readTextFile(`${dir}/entry/a.txt`)) === "new");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function publishDir(
  tmp: string,
  path: string,
  options: PublishDirOptions = {},
): Promise<boolean> {
  const parent = parentOf(path);
  await syncTree(tmp);
  try {
    await Deno.rename(tmp, path);
  } catch (e) {
    // A folder is already there (rename does not replace a non-empty folder).
    if (!await Deno.stat(path).then((s) => s.isDirectory, () => false)) throw e;
    if (!options.replace) return false;
    const aside = options.aside ?? temporaryName(path, "old");
    const asideParent = parentOf(aside);
    if (asideParent !== undefined) await Deno.mkdir(asideParent, { recursive: true });
    await Deno.rename(path, aside);
    await Deno.rename(tmp, path);
    await Deno.remove(aside, { recursive: true }).catch(() => {});
  }
  if (parent !== undefined) await syncPath(parent);
  return true;
}
