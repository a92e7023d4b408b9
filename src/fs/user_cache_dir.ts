/**
 * The per-user cache folder of GAM, as Pooch's `os_cache("gam")` does it on Linux: files made
 * once per machine and kept across checkouts and output folders (downloaded data, the trimmed
 * PostGIS bundle, the embedded database's template).
 *
 * @module
 */

/**
 * `$XDG_CACHE_HOME/gam`, else `~/.cache/gam`; for a process without `HOME` (a service user),
 * `gam-cache` in the temporary folder, so a start never fails for want of a cache.
 *
 * @param sub An optional sub-folder (`"data"`).
 * @returns The folder's path. It is not created: writers create it (atomic writes do).
 *
 * @example Usage
 * ```ts
 * import { userCacheDir } from "./user_cache_dir.ts";
 * userCacheDir("data").endsWith("/gam/data"); // true
 * ```
 */
export function userCacheDir(sub?: string): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME");
  const base = xdg
    ? `${xdg}/gam`
    : home
    ? `${home}/.cache/gam`
    : `${Deno.env.get("TMPDIR") || "/tmp"}/gam-cache`;
  return sub ? `${base}/${sub}` : base;
}
