/**
 * Opening a grid stored in the bucket (`s3://bucket/key.tif?versionId=...`, `.nc`, or a
 * `.zarr` group prefix) as a local file the grid readers take: the objects are downloaded,
 * checksum-verified, into a temporary folder removed when the handle is disposed.
 *
 * @module
 */
import type { ObjectStore } from "./object_store.ts";
import { parseS3Uri } from "./s3_uri.ts";
import { ObjectNotFoundError } from "./errors.ts";

/** A stored grid, downloaded; `await using` removes the download. */
export interface LocalGrid extends AsyncDisposable {
  /** Local path with the object's own name (the readers pick the format by extension). */
  path: string;
}

/**
 * Downloads the grid at `uri` from `store` (which must be that URI's bucket).
 *
 * @param uri `s3://bucket/key[?versionId=...]`; a key ending in `.zarr` is a group prefix.
 * @param store The bucket.
 * @returns The local copy; dispose it to remove it.
 * @throws {ObjectNotFoundError} When nothing is stored there.
 * @throws {ObjectChecksumError} When an object's bytes do not match its checksum.
 * @throws {TypeError} For a version id on a `.zarr` group (each file has its own version:
 *   take them from the run's manifest).
 *
 * It needs an S3 server: exercised by tests/storage/run_storage_test.ts (`gam qc`/`gam filter` on
 * `s3://` grids).
 */
export async function openStoredGrid(uri: string, store: ObjectStore): Promise<LocalGrid> {
  const { bucket, key, versionId } = parseS3Uri(uri);
  if (bucket !== store.bucket) {
    throw new TypeError(`openStoredGrid: ${uri} is not in bucket "${store.bucket}"`);
  }
  const clean = key.replace(/\/+$/, "");
  const name = clean.split("/").pop()!;
  const dir = await Deno.makeTempDir({ prefix: "gam-s3-grid-" });
  const dispose = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  try {
    if (/\.zarr$/i.test(clean)) {
      if (versionId !== undefined) {
        throw new TypeError(
          `${uri}: a .zarr group has one version per file; open it without versionId, or ` +
            "read each file's version from the run's manifest (storage.objects)",
        );
      }
      let count = 0;
      for await (const o of store.list(`${clean}/`)) {
        await store.getFile(o.key, `${dir}/${name}/${o.key.slice(clean.length + 1)}`);
        count++;
      }
      if (count === 0) throw new ObjectNotFoundError(uri);
    } else {
      await store.getFile(clean, `${dir}/${name}`, { versionId });
    }
  } catch (e) {
    await dispose();
    throw e;
  }
  return { path: `${dir}/${name}`, [Symbol.asyncDispose]: dispose };
}
