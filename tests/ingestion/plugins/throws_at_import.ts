/** Malicious: throws while being imported. */
import { testManifest } from "./_common.ts";

export const manifest = testManifest("throws-at-import");
throw new Error("boom at import");
