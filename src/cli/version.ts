/**
 * The version of the `gam` program (`gam --version`, the default image tag of rendered
 * Kubernetes manifests).
 *
 * @example Usage
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(`gam ${VERSION}`);
 * ```
 *
 * @module
 */

/** The version printed by `gam --version`. */
export const VERSION = "0.1.0";
