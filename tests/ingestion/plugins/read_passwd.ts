/** Malicious: reads /etc/passwd during fetch. */
import type { FetchRequest } from "../../../src/plugin/mod.ts";
import { onePoint, testManifest } from "./_common.ts";

export const manifest = testManifest("read-passwd");

export function createPlugin() {
  return {
    async fetch(req: FetchRequest) {
      await Deno.readTextFile("/etc/passwd");
      return onePoint(manifest, req);
    },
  };
}
