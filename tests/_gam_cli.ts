/**
 * Running the `gam` command line as a child process from tests (internal): the real entry
 * point (`src/cli/main.ts`) with the permissions `deno task gam` grants, from the repository
 * root, so that relative paths in configs resolve as they do for a user.
 *
 * @module
 */

/** The repository root (with a trailing slash). */
export const ROOT: string = new URL("../", import.meta.url).pathname;

/** The shared real-data folder beside the checkout (`../shared/data/`, trailing slash). */
export const SHARED_DATA: string = new URL("../../shared/data/", import.meta.url).pathname;

/** Exit code and output of one `gam` invocation. */
export interface GamRun {
  /** Exit status. */
  code: number;
  /** Standard output (the `--json` summary when asked for). */
  stdout: string;
  /** Standard error (progress, the summary table, errors). */
  stderr: string;
}

/**
 * Runs `gam <args>` from the repository root and waits for it.
 *
 * @param args Arguments after `gam`, e.g. `["run", "--config", path, "--json"]`.
 * @param env Extra environment variables (added to the inherited environment).
 *
 * @example Usage
 * ```ts ignore
 * import { gam } from "./_gam_cli.ts";
 * const r = await gam(["run", "--dry-run"]);
 * r.code; // 0
 * ```
 */
export async function gam(args: string[], env: Record<string, string> = {}): Promise<GamRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", `${ROOT}src/cli/main.ts`, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Whether `path` exists.
 *
 * @example Usage
 * ```ts ignore
 * import { exists } from "./_gam_cli.ts";
 * await exists("/nonexistent"); // false
 * ```
 */
export async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/**
 * Applies the migrations to the server at `DATABASE_URL`, when one is set (as in CI): `gam run`
 * and `gam serve` refuse a server database that is not migrated, since migrating is the
 * deployment's own step (`gam db migrate`). Call at the top of a test file that runs them.
 *
 * @example Usage
 * ```ts ignore
 * import { migrateServerDatabase } from "./_gam_cli.ts";
 * await migrateServerDatabase();
 * ```
 */
export async function migrateServerDatabase(): Promise<void> {
  if (!Deno.env.get("DATABASE_URL")) return;
  const r = await gam(["db", "migrate"]);
  if (r.code !== 0) throw new Error(`gam db migrate failed (exit ${r.code}): ${r.stderr}`);
}
