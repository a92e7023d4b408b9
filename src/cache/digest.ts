/**
 * The fast storage digest of a cache entry: XXH64 (xxHash, Collet 2014; the `xxhash-wasm`
 * package) over the arrays exactly as stored, checked on every read.
 *
 * The manifest's canonical SHA-256 (`src/contracts/checksum.ts`) identifies the data for
 * provenance and is verified after every write and on a configured fraction of reads; SHA-256
 * of 4 MB costs about 2 ms here, five times the read itself. XXH64 runs at about 10 GB/s in
 * WebAssembly (0.4 ms for 4 MB), so every read is checked for corruption (a flipped bit changes
 * it with probability 1 - 2^-64) at little cost, as ZFS and Btrfs pair fast block checksums with
 * cryptographic ones. It is not a defence against deliberate tampering: the SHA-256 is.
 *
 * Encoding: for every array sorted by name, the line `<name>\t<dtype>\t<length>\n` then the
 * elements' little-endian bytes as they are (NaN payloads included: storage keeps them).
 *
 * @module
 */
import xxhash from "xxhash-wasm";
import type { CanonicalArray } from "../contracts/mod.ts";

let api: ReturnType<typeof xxhash> | undefined;

/**
 * The digest `xxh64:<16 hex digits>` of named arrays (undefined entries are skipped).
 *
 * @param arrays Named arrays; key order does not matter.
 *
 * @example Usage
 * ```ts
 * import { storageDigest } from "./digest.ts";
 * const d = await storageDigest({ values: new Float32Array([1, NaN]) });
 * d.startsWith("xxh64:"); // true
 * ```
 */
export async function storageDigest(
  arrays: Record<string, CanonicalArray | undefined>,
): Promise<string> {
  const { create64 } = await (api ??= xxhash());
  const hash = create64();
  const text = new TextEncoder();
  for (const name of Object.keys(arrays).sort()) {
    const arr = arrays[name];
    if (arr === undefined) continue;
    const dtype = arr.constructor.name.replace("Array", "").toLowerCase();
    hash.update(text.encode(`${name}\t${dtype}\t${arr.length}\n`));
    hash.update(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
  }
  return `xxh64:${hash.digest().toString(16).padStart(16, "0")}`;
}
