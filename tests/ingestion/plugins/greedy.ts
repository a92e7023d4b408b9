/** Asks for network and read permissions in its manifest. */
import { testManifest } from "./_common.ts";

export const manifest = testManifest("greedy", {
  permissions: { net: ["example.org"], read: ["tests/ingestion/plugins"] },
});
export function createPlugin() {
  return { fetch: () => Promise.reject(new Error("unreachable")) };
}
