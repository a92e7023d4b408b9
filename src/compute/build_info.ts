/**
 * Which code and which numeric core produced a result, as the run manifest records them: the
 * checkout's `git describe` and the wasm bundle's source hash and file digest.
 *
 * @module
 */

/** Code version and numeric-core build, as the run manifest records them. */
export interface BuildInfo {
  /** `git describe --always --dirty --tags` of the checkout, `"unknown"` outside one. */
  code: string;
  /** The numeric core: its source hash and the sha256 of the `.wasm` actually loaded. */
  wasm: WasmBuild;
}

/** The numeric core's build (see {@linkcode wasmBuild}). */
export interface WasmBuild {
  /** The `source-hash:` line of the generated bundle, `null` when it has none. */
  sourceHash: string | null;
  /** sha256 of `gam_core_bg.wasm`, lowercase hex. */
  wasmSha256: string;
}

/**
 * The code version and the numeric core's build, read concurrently.
 *
 * @returns Both.
 *
 * @example Usage
 * ```ts
 * import { buildInfo } from "./build_info.ts";
 * const { code, wasm } = await buildInfo();
 * console.assert(code.length > 0 && wasm.wasmSha256.length === 64);
 * ```
 */
export async function buildInfo(): Promise<BuildInfo> {
  const [code, wasm] = await Promise.all([codeVersion(), wasmBuild()]);
  return { code, wasm };
}

/**
 * `git describe --always --dirty --tags` of the checkout holding this file.
 *
 * @returns The description, or `"unknown"` when git or the checkout is missing.
 *
 * @example Usage
 * ```ts
 * import { codeVersion } from "./build_info.ts";
 * console.assert((await codeVersion()).length > 0);
 * ```
 */
export async function codeVersion(): Promise<string> {
  try {
    const out = await new Deno.Command("git", {
      args: ["describe", "--always", "--dirty", "--tags"],
      cwd: new URL("../..", import.meta.url).pathname,
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * The numeric core's build: its source hash and the sha256 of the `.wasm` actually loaded.
 *
 * @returns The build.
 *
 * @example Usage
 * ```ts
 * import { wasmBuild } from "./build_info.ts";
 * console.assert(/^[0-9a-f]{64}$/.test((await wasmBuild()).wasmSha256));
 * ```
 */
export async function wasmBuild(): Promise<WasmBuild> {
  const dir = new URL("./wasm/", import.meta.url);
  const js = await Deno.readTextFile(new URL("gam_core.js", dir));
  const bytes = await Deno.readFile(new URL("gam_core_bg.wasm", dir));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return {
    sourceHash: /source-hash: ([0-9a-f]{64})/.exec(js)?.[1] ?? null,
    wasmSha256: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""),
  };
}
