/**
 * The fast storage digest of a cache entry: CRC-32 (the IEEE 802.3 polynomial of gzip, zip and
 * PNG, through `node:zlib`'s `crc32`) over the arrays exactly as stored, checked on every read.
 *
 * The manifest's canonical SHA-256 (`src/contracts/checksum.ts`) identifies the data for
 * provenance and is verified after every write and on a configured fraction of reads; SHA-256
 * of 4 MB costs about 2 ms here, five times the read itself. The runtime's CRC-32 (carry-less
 * multiply in native code) takes under 0.1 ms for the same 4 MB, so every read is checked for
 * corruption at no noticeable cost, as ZFS and Btrfs pair fast block checksums with
 * cryptographic ones. CRC-32 catches every single-bit error and every burst of up to 32 bits,
 * and other random damage with probability 1 - 2^-32. It is no defence against deliberate
 * tampering: the SHA-256 is.
 *
 * Encoding: for every array sorted by name, the line `<name>\t<dtype>\t<length>\n` then the
 * elements' little-endian bytes as they are (NaN payloads included: storage keeps them), one
 * running CRC over all of it.
 *
 * @module
 */
import { crc32 } from "node:zlib";
import { type CanonicalArray, dtypeOf } from "../contracts/checksum.ts";

const text = new TextEncoder();

/**
 * The digest `crc32:<8 hex digits>` of named arrays (undefined entries are skipped).
 *
 * @param arrays Named arrays; key order does not matter.
 *
 * @example Usage
 * ```ts
 * import { storageDigest } from "./digest.ts";
 * const d = storageDigest({ values: new Float32Array([1, NaN]) });
 * d.startsWith("crc32:"); // true
 * ```
 */
export function storageDigest(arrays: Record<string, CanonicalArray | undefined>): string {
  let crc = 0;
  for (const name of Object.keys(arrays).sort()) {
    const arr = arrays[name];
    if (arr === undefined) continue;
    crc = crc32(text.encode(`${name}\t${dtypeOf(arr)}\t${arr.length}\n`), crc);
    crc = crc32(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), crc);
  }
  return `crc32:${(crc >>> 0).toString(16).padStart(8, "0")}`;
}
