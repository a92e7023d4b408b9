/**
 * The gam-core table parser (`parse_table_columns`) on the calling thread, through the typed
 * kernel boundary: what `readTable` of `src/formats/` hands its chunks of data rows to.
 *
 * @module
 */
import { callKernel, type CoreModule } from "./kernels.ts";

let core: Promise<CoreModule> | undefined;

/**
 * Parses data rows (bytes after the header) into the numeric columns `fields` (0-based, in
 * file order), row-major; a cell it cannot read makes it throw (the caller then parses the
 * chunk itself for the precise error).
 *
 * @example Usage
 * ```ts
 * import { tableColumnsParser } from "./table_parse.ts";
 * const parse = await tableColumnsParser();
 * parse(new TextEncoder().encode("1,2\n3,4\n"), 44, 35, new Uint32Array([1])); // [2, 4]
 * ```
 */
export type TableColumnsParser = (
  bytes: Uint8Array,
  delimiter: number,
  comment: number,
  fields: Uint32Array,
) => Float64Array;

/**
 * Loads the gam-core module on this thread (once) and returns its table parser.
 *
 * @returns The parser: `(bytes, delimiter, comment, fields)`, the delimiter and comment as
 *   character codes.
 *
 * @example Usage
 * ```ts
 * import { tableColumnsParser } from "./table_parse.ts";
 * const parse = await tableColumnsParser();
 * parse(new TextEncoder().encode("1,2\n3,4\n"), 44, 35, new Uint32Array([0, 1])); // [1, 2, 3, 4]
 * ```
 */
export async function tableColumnsParser(): Promise<TableColumnsParser> {
  const wasm = await (core ??= import("./wasm/gam_core.js"));
  return (bytes, delimiter, comment, fields) =>
    callKernel(wasm, "parse_table_columns", { bytes, delimiter, comment, fields });
}
