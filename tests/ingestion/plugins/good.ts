/** A well-behaved test plugin: one point; `params.fail` makes it throw with the auth secret. */
import type { FetchRequest, PluginOptions } from "../../../src/plugin/mod.ts";
import { onePoint, testManifest } from "./_common.ts";

export const manifest = testManifest("good");

export function createPlugin(options: PluginOptions) {
  return {
    fetch(req: FetchRequest) {
      if (req.params.fail === true) {
        return Promise.reject(new Error(`upstream refused token ${options.auth}`));
      }
      if (typeof req.params.delayMs === "number") {
        return new Promise((r) =>
          setTimeout(() => r(onePoint(manifest, req)), req.params.delayMs as number)
        );
      }
      return Promise.resolve(onePoint(manifest, req));
    },
  };
}
