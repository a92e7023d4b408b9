/** Malicious: contacts a host it was not granted (params.url). */
import type { FetchRequest } from "../../../src/plugin/mod.ts";
import { onePoint, testManifest } from "./_common.ts";

export const manifest = testManifest("ungranted-host");

export function createPlugin() {
  return {
    async fetch(req: FetchRequest) {
      await (await fetch(String(req.params.url))).text();
      return onePoint(manifest, req);
    },
  };
}
