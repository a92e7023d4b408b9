/**
 * Chunk codecs of the Zarr v3 arrays GAM writes: the `bytes` codec, optionally followed by
 * gzip (encoded with the runtime's `node:zlib`, which zarrita 0.7 cannot encode by itself) or
 * zstd (zarrita's own codec).
 *
 * @module
 */
import * as zarr from "zarrita";
import { gunzipSync, gzipSync } from "node:zlib";

/**
 * Chunk compression of cached arrays.
 *
 * @example Usage
 * ```ts
 * import type { Compression } from "./zarr_codecs.ts";
 * const c: Compression = "zstd";
 * ```
 */
export type Compression = "none" | "gzip" | "zstd";

/** The compressions {@linkcode Compression} allows, for messages and flags. */
export const COMPRESSIONS: readonly Compression[] = ["none", "gzip", "zstd"];

/** Options of the writers. */
export interface ZarrWriteOptions {
  /** Chunk codec. @default "none" */
  compression?: Compression;
  /**
   * Chunk edge of 2-D arrays in cells; 1-D arrays use chunks of its square.
   * @default 256
   */
  chunkSize?: number;
}

let registered = false;

/**
 * Makes zarrita able to *encode* gzip chunks (it decodes gzip and zstd, and encodes zstd, out
 * of the box) by registering a `node:zlib` gzip codec (v3 config `{ level }`). Idempotent.
 *
 * @example Usage
 * ```ts
 * import { registerZarrCodecs } from "./zarr_codecs.ts";
 * registerZarrCodecs();
 * ```
 */
export function registerZarrCodecs(): void {
  if (registered) return;
  registered = true;
  // The runtime's zlib (native): about 4x faster than fflate to encode, 2x to decode, and
  // cheaper per chunk than DecompressionStream.
  zarr.registry.set("gzip", () =>
    Promise.resolve({
      kind: "bytes_to_bytes",
      fromConfig(config: { level?: number } | undefined) {
        const level = config?.level ?? 1;
        return {
          kind: "bytes_to_bytes",
          encode: (data: Uint8Array) => new Uint8Array(gzipSync(data, { level })),
          decode: (data: Uint8Array) => new Uint8Array(gunzipSync(data)),
        };
      },
    } as never));
}

/**
 * The v3 `codecs` list for a compression: the `bytes` codec (little endian), then `gzip`
 * (level 1) or `zstd` (level 3) if asked.
 *
 * @example Usage
 * ```ts
 * import { chunkCodecs } from "./zarr_codecs.ts";
 * chunkCodecs("gzip").map((c) => c.name); // ["bytes", "gzip"]
 * ```
 */
export function chunkCodecs(compression: Compression): zarr.CodecMetadata[] {
  const bytes = { name: "bytes", configuration: { endian: "little" } };
  switch (compression) {
    case "none":
      return [bytes];
    case "gzip":
      return [bytes, { name: "gzip", configuration: { level: 1 } }];
    case "zstd":
      return [bytes, { name: "zstd", configuration: { level: 3, checksum: false } }];
    default:
      throw new RangeError(
        `Compression "${compression}" is not supported: expected one of ${COMPRESSIONS.join(", ")}`,
      );
  }
}
