/**
 * File-safe names.
 *
 * @module
 */

/**
 * `name` with every run of characters other than ASCII letters, digits, `_`, `.` and `-`
 * replaced by one `_`: safe as (part of) a file name on every platform.
 *
 * @param name Any text (a modality, a branch).
 * @returns The file-safe name.
 *
 * @example Usage
 * ```ts
 * import { fileSafeName } from "./safe_name.ts";
 * console.assert(fileSafeName("reduced / rtp") === "reduced_rtp");
 * ```
 */
export function fileSafeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, "_");
}
