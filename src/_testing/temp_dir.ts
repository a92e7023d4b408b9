/**
 * Test support (internal): temp folders that tests cannot leave behind. `moduleTempDir()` is a
 * drop-in for `Deno.makeTempDir()` whose folder is removed when the test module ends (its
 * `unload` event: each test module runs in its own isolate), even when a test fails half way.
 *
 * @module
 */

const owned: string[] = [];
let listening = false;

function removeOwned(): void {
  for (const path of owned.splice(0)) {
    try {
      Deno.removeSync(path, { recursive: true });
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
}

function own(path: string): string {
  owned.push(path);
  if (!listening) {
    globalThis.addEventListener("unload", removeOwned);
    listening = true;
  }
  return path;
}

/**
 * `Deno.makeTempDir()`, removed with everything in it when the test module ends.
 *
 * @param options `prefix`, `suffix`, `dir` as for `Deno.makeTempDir`.
 * @returns The folder's absolute path.
 *
 * @example Usage
 * ```ts
 * import { moduleTempDir } from "./temp_dir.ts";
 * const dir = await moduleTempDir({ prefix: "gam-example-" });
 * await Deno.writeTextFile(`${dir}/a.txt`, "a"); // gone when the module ends
 * ```
 */
export async function moduleTempDir(options?: Deno.MakeTempOptions): Promise<string> {
  return own(await Deno.makeTempDir(options));
}

/**
 * `Deno.makeTempDirSync()`, removed with everything in it when the test module ends.
 *
 * @param options `prefix`, `suffix`, `dir` as for `Deno.makeTempDirSync`.
 * @returns The folder's absolute path.
 *
 * @example Usage
 * ```ts
 * import { moduleTempDirSync } from "./temp_dir.ts";
 * const dir = moduleTempDirSync({ prefix: "gam-example-" });
 * ```
 */
export function moduleTempDirSync(options?: Deno.MakeTempOptions): string {
  return own(Deno.makeTempDirSync(options));
}
