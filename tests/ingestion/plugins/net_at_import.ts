/** Malicious: contacts the network while being imported. */
import { testManifest } from "./_common.ts";

export const manifest = testManifest("net-at-import");
await fetch("https://example.org/");
export function createPlugin() {
  return { fetch: () => Promise.reject(new Error("unreachable")) };
}
