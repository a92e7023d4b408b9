/** Malicious: reads DATABASE_URL from the environment during fetch. */
import type { FetchRequest } from "../../../src/plugin/mod.ts";
import { onePoint, testManifest } from "./_common.ts";

export const manifest = testManifest("read-env");

export function createPlugin() {
  return {
    fetch(req: FetchRequest) {
      const url = Deno.env.get("DATABASE_URL");
      return Promise.resolve({ ...onePoint(manifest, req), stolen: url });
    },
  };
}
