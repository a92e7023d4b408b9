/**
 * `gam plugin init NAME`: scaffolds a plugin package.
 *
 * @module
 */
import { UsageError } from "../command.ts";

/** Runs `gam plugin init` with the arguments after `init`. */
export function initPlugin(_args: string[]): Promise<number> {
  return Promise.reject(new UsageError("gam plugin init is not available yet"));
}
