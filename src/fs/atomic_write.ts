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

/** fsync of a file or folder (a folder's entry list: makes a rename durable); best effort. */
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
    await syncPath(tmp);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  if (parent !== undefined) await syncPath(parent);
  return (await Deno.stat(path)).size;
}

/**
 * Builds a folder atomically: `build` fills a temporary folder beside `path`, which is then
 * renamed to `path`. With `replace` an existing folder at `path` is removed first (a reader
 * may then briefly find nothing, never a mix); without it, a folder already at `path` (put
 * there by a concurrent builder of the same content) is kept and the new one discarded.
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
    if (options.replace) {
      await Deno.remove(clean, { recursive: true }).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    }
    await Deno.rename(tmp, clean);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    // Without `replace`, a concurrent builder that got there first is success.
    if (!options.replace && await Deno.stat(clean).then((s) => s.isDirectory, () => false)) {
      return false;
    }
    throw e;
  }
  if (parent !== undefined) await syncPath(parent);
  return true;
}
