/**
 * The `--input GRID` of `gam filter` and `gam qc`: a local file, or an `s3://` URI opened from
 * the bucket of the configuration's `storage:` section (credentials by its auth profiles).
 *
 * @module
 */
import { UsageError } from "./command.ts";
import type { LocalGrid } from "../storage/mod.ts";
// The one light module of the storage surface: the configuration and the S3 SDK (0.15 s of a
// command's start) load only for an `s3://` input.
import { isS3Uri } from "../storage/s3_uri.ts";

/**
 * The grid to read: `input` itself when local; otherwise a checksum-verified download, removed
 * when the result is disposed.
 *
 * @param input A path or `s3://bucket/key[?versionId=...]`.
 * @param flags The command's flags (`--config`, `--profile`) for the storage settings.
 * @returns A handle with the local `path`.
 * @throws {UsageError} For an `s3://` input without a `storage:` section.
 *
 * Reading an `s3://` grid needs an S3 server: exercised by tests/storage/run_storage_test.ts
 * (`gam qc`/`gam filter`).
 *
 * @example A local path is used as it is
 * ```ts
 * import { gridInput } from "./grid_input.ts";
 * await using g = await gridInput("out/grid.tif", {});
 * console.assert(g.path === "out/grid.tif");
 * ```
 */
export async function gridInput(
  input: string,
  flags: Record<string, unknown>,
): Promise<LocalGrid> {
  if (!isS3Uri(input)) return { path: input, [Symbol.asyncDispose]: () => Promise.resolve() };
  const { loadConfigFromFlags } = await import("./config_flags.ts");
  const { openObjectStore, openStoredGrid, parseS3Uri } = await import("../storage/mod.ts");
  const { config } = await loadConfigFromFlags(flags);
  if (config.storage === undefined) {
    throw new UsageError(
      `${input} is in object storage, and the configuration has no storage: section ` +
        "(endpoint, credentials) to read it with",
    );
  }
  const { bucket } = parseS3Uri(input);
  const store = openObjectStore({ ...config, storage: { ...config.storage, bucket } })!;
  try {
    return await openStoredGrid(input, store);
  } finally {
    store.close();
  }
}
