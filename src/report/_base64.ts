/**
 * Base64 for inline `data:` images (JSR's `@std/encoding` is out of reach here).
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** Standard base64 of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
