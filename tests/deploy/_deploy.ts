/**
 * `gam` children of the deploy tests (`gam deploy up --target local`, `gam serve`): their stderr
 * collected as it comes, `until(re)` to await a line of it, `stop()` to end them.
 *
 * @module
 */
import { spawnGam } from "../_gam_cli.ts";

/** Starts `gam deploy up --target local --config PATH` with `env`. */
export function deployUp(path: string, env: Record<string, string>) {
  return watchGam(["deploy", "up", "--target", "local", "--config", path], env);
}

/**
 * Starts `gam <args>` with `env` (stdout discarded) and reads its stderr as it comes.
 *
 * @param args Arguments after `gam`.
 * @param env Extra environment variables.
 * @returns The child, its stderr so far (`text()`), `until(re, from)`, `done()` and `stop()`.
 *
 * For example `watchGam(["serve", "--config", path, "--color", "green"], env)`: used by
 * tests/deploy/blue_green_test.ts.
 */
export function watchGam(args: string[], env: Record<string, string>) {
  const child = spawnGam(args, { env, stdout: "null" });
  let text = "";
  const waiters: { re: RegExp; from: number; resolve: (m: RegExpExecArray) => void }[] = [];
  const drained = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      for (const w of [...waiters]) {
        const m = w.re.exec(text.slice(w.from));
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  })();
  return {
    child,
    text: () => text,
    /**
     * Resolves with the first match of `re` in stderr from offset `from` (a `text().length` read
     * earlier: only what was printed since); rejects if the process ends first.
     */
    until(re: RegExp, from = 0): Promise<RegExpExecArray> {
      const m = re.exec(text.slice(from));
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        waiters.push({ re, from, resolve });
        drained.then(() => reject(new Error(`process ended without ${re}; stderr:\n${text}`)));
      });
    },
    done: async () => {
      const s = await child.status;
      await drained;
      return s;
    },
    /** Sends SIGTERM (unless it has ended) and waits for the end. */
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* ended */ }
      const s = await child.status;
      await drained;
      return s;
    },
  };
}
