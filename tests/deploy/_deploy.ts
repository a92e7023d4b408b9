/**
 * `gam deploy up --target local` as a child process for the deploy tests: its stderr collected,
 * and `until(re)` to await a line of it.
 *
 * @module
 */
import { spawnGam } from "../_gam_cli.ts";

/** Starts `gam deploy up --target local --config PATH` with `env`. */
export function deployUp(path: string, env: Record<string, string>) {
  const child = spawnGam(["deploy", "up", "--target", "local", "--config", path], {
    env,
    stdout: "null",
  });
  let text = "";
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  const drained = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      for (const w of [...waiters]) {
        const m = w.re.exec(text);
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
    /** Resolves with the first match of `re` in stderr (rejects if the process ends first). */
    until(re: RegExp): Promise<RegExpExecArray> {
      const m = re.exec(text);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        waiters.push({ re, resolve });
        drained.then(() => reject(new Error(`process ended without ${re}; stderr:\n${text}`)));
      });
    },
    done: async () => {
      const s = await child.status;
      await drained;
      return s;
    },
  };
}
