/**
 * Filesystem helpers shared by every layer (no imports of the project's other folders).
 *
 * - {@linkcode writeFileAtomic}: a file written whole or not at all (temporary file in the same
 *   folder, fsync, rename).
 * - {@linkcode writeDirAtomic}: the same for a folder (a Zarr group, an unpacked bundle).
 * - {@linkcode publishDir}: a folder built elsewhere (a store's staging folder) put in place.
 * - {@linkcode fileSafeName}: a name (modality, branch) made safe for a file name.
 * - {@linkcode userCacheDir}: the per-user cache folder (`~/.cache/gam`).
 * - {@linkcode readWholeFile}: a whole data file into a buffer of its own (the fastest read).
 *
 * @example Write a file atomically
 * ```ts
 * import { writeFileAtomic } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/x.txt`, "hello");
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export {
  type AtomicContent,
  publishDir,
  type PublishDirOptions,
  writeDirAtomic,
  writeFileAtomic,
} from "./atomic_write.ts";
export { fileSafeName } from "./safe_name.ts";
export { userCacheDir } from "./user_cache_dir.ts";
export { readWholeFile } from "./read_whole_file.ts";
