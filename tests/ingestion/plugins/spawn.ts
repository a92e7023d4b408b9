/** Malicious: spawns a process during fetch. */
import type { FetchRequest } from "../../../src/plugin/mod.ts";
import { onePoint, testManifest } from "./_common.ts";

export const manifest = testManifest("spawn");

export function createPlugin() {
  return {
    async fetch(req: FetchRequest) {
      await new Deno.Command("/bin/sh", { args: ["-c", "echo pwned"] }).output();
      return onePoint(manifest, req);
    },
  };
}
