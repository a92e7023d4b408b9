/**
 * Running the `gam` command line as a child process from tests (internal): the real entry
 * point (`src/cli/main.ts`) with the permissions `deno task gam` grants, from the repository
 * root, so that relative paths in configs resolve as they do for a user.
 *
 * @module
 */

/** The repository root (with a trailing slash). */
export const ROOT: string = new URL("../", import.meta.url).pathname;

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
 * The command line of `gam <args>` as the tests run it: the Deno executable, the permissions
 * `deno task gam` grants and the real entry point. For a wrapper that takes a command line
 * (`script` for a terminal); {@linkcode spawnGam} and {@linkcode gam} run it directly.
 *
 * @param args Arguments after `gam`.
 * @returns The executable followed by its arguments.
 *
 * For example `gamCommandLine(["--version"])` is `[deno, "run", …, "--version"]`; used by
 * tests/job/unwritable_test.ts. (Examples in tests/ are not run by the test task.)
 */
export function gamCommandLine(args: string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    "-A",
    "--unstable-worker-options",
    `${ROOT}src/cli/main.ts`,
    ...args,
  ];
}

/** Options of {@linkcode spawnGam}. */
export interface SpawnGamOptions {
  /** Extra environment variables (added to the inherited environment, with `NO_COLOR=1`). */
  env?: Record<string, string>;
  /** Working folder. @default the repository root */
  cwd?: string;
  /** @default "null" */
  stdin?: "piped" | "null";
  /** @default "piped" */
  stdout?: "piped" | "null";
  /** @default "piped" */
  stderr?: "piped" | "null";
}

/**
 * Starts `gam <args>` as a child process, for tests that read it as it runs, signal it or run it
 * from another folder; {@linkcode gam} when only its exit and output matter.
 *
 * @param args Arguments after `gam`.
 * @param options Environment, working folder and streams.
 * @returns The child process (the caller awaits it, or `collect()`s it).
 *
 * For example `spawnGam(["serve", "--config", path], { stdout: "piped" })`, then `collect(child)`;
 * used by tests/deploy/blue_green_test.ts.
 */
export function spawnGam(args: string[], options: SpawnGamOptions = {}): Deno.ChildProcess {
  const [exe, ...rest] = gamCommandLine(args);
  return new Deno.Command(exe, {
    args: rest,
    cwd: options.cwd ?? ROOT,
    env: { NO_COLOR: "1", ...options.env },
    stdin: options.stdin ?? "null",
    stdout: options.stdout ?? "piped",
    stderr: options.stderr ?? "piped",
  }).spawn();
}

/**
 * Waits for a child process started with both output streams piped and decodes them.
 *
 * @param child A child from {@linkcode spawnGam} (stdout and stderr `"piped"`).
 * @returns Its exit code, standard output and standard error.
 *
 * For example `await collect(spawnGam(["plugin", "check", "x.ts"], { cwd }))`; used by
 * tests/job/survey_inputs_run_test.ts.
 */
export async function collect(child: Deno.ChildProcess): Promise<GamRun> {
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Runs `gam <args>` from the repository root and waits for it.
 *
 * @param args Arguments after `gam`, e.g. `["run", "--config", path, "--json"]`.
 * @param env Extra environment variables (added to the inherited environment).
 *
 * For example `(await gam(["run", "--dry-run"])).code` is 0 for a valid configuration; used by
 * most CLI tests, e.g. tests/job/run_test.ts.
 */
export function gam(args: string[], env: Record<string, string> = {}): Promise<GamRun> {
  return collect(spawnGam(args, { env }));
}

/**
 * Runs `deno task -q <name> <args>` from the repository root (a benchmark or script the README
 * documents as a task) and waits for it.
 *
 * @param name The task, e.g. `"bench:regress"`.
 * @param args Its arguments.
 *
 * For example `(await denoTask("bench:grid-holdout", ["--split", "readings"])).stdout`; used by
 * tests/bench/.
 */
export function denoTask(name: string, args: string[]): Promise<GamRun> {
  return collect(
    new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", name, ...args],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
}

/**
 * Whether `path` exists.
 *
 * For example `await exists("/nonexistent")` is `false`; used by tests/config/examples_test.ts.
 */
export async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/**
 * Applies the migrations to the server at `DATABASE_URL`, when one is set (as in CI): `gam run`
 * and `gam serve` refuse a server database that is not migrated, since migrating is the
 * deployment's own step (`gam db migrate`). Call at the top of a test file that runs them.
 *
 * For example `await migrateServerDatabase()` at the top of tests/config/examples_test.ts.
 */
export async function migrateServerDatabase(): Promise<void> {
  if (!Deno.env.get("DATABASE_URL")) return;
  const r = await gam(["db", "migrate"]);
  if (r.code !== 0) throw new Error(`gam db migrate failed (exit ${r.code}): ${r.stderr}`);
}

/** The standard error of a running child, read to its end in the background. */
export interface StderrWatch {
  /** Everything the child wrote on stderr so far. */
  text(): string;
  /**
   * Resolves once `found(text)` holds for the text so far; fails (`what` and the text in the
   * message) when the child's stderr ends first or `ms` milliseconds pass. The deadline is a
   * failure bound, not a wait: it resolves as soon as the line is there.
   */
  until(what: string, found: (text: string) => boolean, ms: number): Promise<void>;
  /** Resolves when the child's stderr has ended. */
  ended: Promise<void>;
}

/**
 * Reads `child.stderr` to its end in the background (so the child never blocks on a full pipe),
 * for tests that await lines of a long-running `gam` (`gam serve`'s `service.ready` event).
 *
 * @param child A child from {@linkcode spawnGam} with stderr `"piped"`.
 *
 * For example `await watchStderr(child).until("its address", (t) => /listening/.test(t), 60_000)`;
 * used by tests/job/db_restart_test.ts.
 */
export function watchStderr(child: Deno.ChildProcess): StderrWatch {
  let text = "";
  let done = false;
  let changed = Promise.withResolvers<void>();
  const ended = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      changed.resolve();
      changed = Promise.withResolvers<void>();
    }
  })().finally(() => {
    done = true;
    changed.resolve();
  });
  return {
    text: () => text,
    ended,
    async until(what, found, ms) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<"expired">((r) => (timer = setTimeout(() => r("expired"), ms)));
      try {
        while (!found(text)) {
          if (done || await Promise.race([changed.promise, expired]) === "expired") {
            throw new Error(
              `${done ? "gam ended" : `${ms} ms passed`} before it printed ${what}; ` +
                `stderr so far:\n${text.slice(-6000)}`,
            );
          }
        }
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
