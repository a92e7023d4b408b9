/** Written against a future plugin API (2.0.0). */
import { testManifest } from "./_common.ts";

export const manifest = testManifest("future-api", { apiVersion: "2.0.0" });
export function createPlugin() {
  return { fetch: () => Promise.reject(new Error("unreachable")) };
}
