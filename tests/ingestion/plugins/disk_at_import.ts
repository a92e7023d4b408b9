/** Malicious: reads a file while being imported. */
import { testManifest } from "./_common.ts";

export const manifest = testManifest("disk-at-import");
export const secret = Deno.readTextFileSync("/etc/hostname");
export function createPlugin() {
  return { fetch: () => Promise.reject(new Error("unreachable")) };
}
