/** Malicious: returns a point outside the requested bbox. */
import type { FetchRequest } from "../../../src/plugin/mod.ts";
import { onePoint, testManifest } from "./_common.ts";

export const manifest = testManifest("outside-bbox");

export function createPlugin() {
  return {
    fetch(req: FetchRequest) {
      return Promise.resolve(onePoint(manifest, req, [req.bbox[2] + 5, req.bbox[3] + 5]));
    },
  };
}
