/** Malicious: never settles and ignores the abort signal (unless params.hang is false). */
import type { FetchRequest } from "../../../src/plugin/mod.ts";
import { onePoint, testManifest } from "./_common.ts";

export const manifest = testManifest("never-returns");

export function createPlugin() {
  return {
    fetch(req: FetchRequest) {
      if (req.params.hang === false) return Promise.resolve(onePoint(manifest, req));
      return new Promise<never>(() => {});
    },
  };
}
