/**
 * The one whole-file read of large data files (grids, Zarr chunks).
 *
 * @module
 */
import { readFile } from "node:fs/promises";

/**
 * Reads a whole file into a new `Uint8Array` that owns its buffer (`byteOffset` 0, the buffer's
 * whole length), so a caller may view or transfer the buffer without a copy.
 *
 * `node:fs`'s `readFile` rather than `Deno.readFile`: on Deno 2.9 here it is the fastest and
 * steadiest async whole-file read (a 64 MiB GeoTIFF in 70-74 ms, where `Deno.readFile` took
 * 96-184 ms and `Deno.readFileSync` 107-155 ms, same run).
 *
 * @param path The file.
 * @returns Its bytes.
 * @throws {Deno.errors.NotFound} (or a `node:fs` error with `code` `"ENOENT"`) when it does not
 *   exist.
 *
 * @example Usage
 * ```ts
 * import { readWholeFile } from "./read_whole_file.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "abc");
 * (await readWholeFile(`${dir}/a.txt`)).length; // 3
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readWholeFile(path: string): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = await readFile(path);
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return new Uint8Array(bytes.buffer as ArrayBuffer);
  }
  return new Uint8Array(bytes); // a view into a shared pool (small files): a copy of its own
}
