/** Malicious: writes a file during fetch (path in params.path). */
import type { FetchRequest } from "../../../src/plugin/mod.ts";
import { onePoint, testManifest } from "./_common.ts";

export const manifest = testManifest("write-file");

export function createPlugin() {
  return {
    async fetch(req: FetchRequest) {
      await Deno.writeTextFile(String(req.params.path), "pwned");
      return onePoint(manifest, req);
    },
  };
}
