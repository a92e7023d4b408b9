/**
 * Plugin permissions: what the configuration grants (`source.permissions`), the check that a
 * manifest asks for no more, and the Deno worker permissions that enforce the grant.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";

/**
 * Permissions granted to a plugin (the config's `source.permissions`). Every list defaults to
 * empty: nothing is granted unless listed.
 *
 * @example Usage
 * ```ts
 * import type { PermissionGrant } from "./permissions.ts";
 * const g: PermissionGrant = { net: ["icgem.gfz-potsdam.de"], read: ["surveys/"] };
 * ```
 */
export interface PermissionGrant {
  /** Hosts, `host` or `host:port`. */
  net?: readonly string[];
  /** Paths to read. */
  read?: readonly string[];
  /** Paths to write. */
  write?: readonly string[];
  /** Environment variable names. */
  env?: readonly string[];
  /** Programs. */
  run?: readonly string[];
  /** Native libraries. */
  ffi?: readonly string[];
  /** Deno sys API names. */
  sys?: readonly string[];
}

/**
 * The Deno worker permissions for a grant: exactly the listed hosts and paths (relative paths
 * resolved against `baseDir`), `false` for every empty list, and no `import` permission
 * (the plugin's module graph is loaded by the host before its code runs).
 *
 * @param grant The grant.
 * @param baseDir Base of relative paths. @default Deno.cwd()
 *
 * @example Usage
 * ```ts
 * import { workerPermissions } from "./permissions.ts";
 * workerPermissions({ read: ["/data"] }); // { read: ["/data"], net: false, ... }
 * ```
 */
export function workerPermissions(
  grant: PermissionGrant,
  baseDir: string = Deno.cwd(),
): Deno.PermissionOptionsObject {
  const list = (v: readonly string[] | undefined) => (v && v.length > 0 ? [...v] : false);
  const paths = (v: readonly string[] | undefined) =>
    v && v.length > 0 ? v.map((p) => absolutePath(p, baseDir)) : false;
  return {
    net: list(grant.net),
    read: paths(grant.read),
    write: paths(grant.write),
    env: list(grant.env),
    run: list(grant.run),
    ffi: paths(grant.ffi),
    sys: list(grant.sys) as Deno.PermissionOptionsObject["sys"],
    import: false,
  };
}

/**
 * Which requested permissions are not covered by the grant (empty when all are). A host is
 * covered by the same host, or by the host without a port; a path by itself or any folder
 * above it.
 *
 * @param requested The manifest's `permissions`.
 * @param grant The configuration's grant.
 * @param baseDir Base of relative paths. @default Deno.cwd()
 *
 * @example Usage
 * ```ts
 * import { missingPermissions } from "./permissions.ts";
 * missingPermissions({ net: ["a.org"], read: [] }, { net: [] }); // ['net "a.org"']
 * ```
 */
export function missingPermissions(
  requested: { net: readonly string[]; read: readonly string[] },
  grant: PermissionGrant,
  baseDir: string = Deno.cwd(),
): string[] {
  const missing: string[] = [];
  const hosts = grant.net ?? [];
  for (const h of requested.net) {
    const bare = h.replace(/:\d+$/, "");
    if (!hosts.includes(h) && !hosts.includes(bare)) missing.push(`net "${h}"`);
  }
  const reads = (grant.read ?? []).map((p) => absolutePath(p, baseDir));
  for (const p of requested.read) {
    const abs = absolutePath(p, baseDir);
    if (!reads.some((g) => abs === g || abs.startsWith(g.endsWith("/") ? g : `${g}/`))) {
      missing.push(`read "${p}"`);
    }
  }
  return missing;
}

function absolutePath(p: string, baseDir: string): string {
  return isAbsolute(p) ? resolve(p) : resolve(baseDir, p);
}

/**
 * The permission a Deno `NotCapable`/`PermissionDenied` message is about (`read`, `write`,
 * `net`, `env`, `run`, `ffi`, `sys`), or `unknown`.
 *
 * @example Usage
 * ```ts
 * import { permissionOf } from "./permissions.ts";
 * permissionOf('Requires env access to "DATABASE_URL"'); // "env"
 * ```
 */
export function permissionOf(message: string): string {
  const m = /Requires (read|write|net|env|run|ffi|sys|import) access/.exec(message);
  return m ? m[1] : "unknown";
}
