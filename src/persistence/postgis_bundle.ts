/**
 * The PostGIS extension for the embedded engine, trimmed to what GAM's schema uses.
 *
 * `@electric-sql/pglite-postgis` ships one 20 MB bundle with PostGIS, its raster and topology
 * libraries, the PROJ database and every upgrade script; PGlite unpacks and compiles all of it
 * at every start, which took about 4.5 s of a 2-core machine. Our schema needs only the core
 * library in EPSG:4326 (no `ST_Transform`, rasters or topology), so the first start writes a
 * trimmed copy of the bundle (the core library, `postgis.control` and the install script of
 * the shipped version, gzip-stored so that unpacking it is a copy) next to the user's caches
 * and later starts load that: about 2.3 s.
 * A PostgreSQL server keeps its full PostGIS.
 *
 * @module
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { createTar, parseTar } from "nanotar";
import { postgis } from "@electric-sql/pglite-postgis";
import type { Extension } from "@electric-sql/pglite";

/** Whether a bundle entry is kept: the core library, its control file, its install script. */
function keep(name: string, version: string): boolean {
  return name === "lib/postgresql/postgis-3.so" ||
    name === "share/postgresql/extension/postgis.control" ||
    name === `share/postgresql/extension/postgis--${version}.sql`;
}

/** Version of the trimming (what {@link keep} keeps, how the copy is stored). */
const TRIM_FORMAT = "trim-2 stored";

function cacheDir(): string {
  const base = Deno.env.get("XDG_CACHE_HOME") ??
    (Deno.env.get("HOME") ? `${Deno.env.get("HOME")}/.cache` : undefined);
  return base ? `${base}/gam` : `${Deno.makeTempDirSync({ prefix: "gam-" })}`;
}

/**
 * Writes (once) and returns the path of the trimmed bundle made from `source`.
 *
 * @param source The pglite-postgis bundle (`.tar.gz`).
 * @param dir Where to keep the trimmed copy. @default `$XDG_CACHE_HOME/gam` or `~/.cache/gam`
 *
 * @example Usage
 * ```ts
 * import { trimmedPostgisBundle } from "./postgis_bundle.ts";
 * // const path = await trimmedPostgisBundle(new URL("file:///.../postgis.tar.gz"));
 * ```
 */
export async function trimmedPostgisBundle(source: URL, dir = cacheDir()): Promise<string> {
  // Keyed by where the bundle is (the npm cache path names the package version), its size and
  // its modification time: a stat, not a read and hash of 20 MB at every start. `TRIM_FORMAT`
  // changes when what is kept, or how it is stored, changes.
  const info = await Deno.stat(source);
  const id = createHash("sha256")
    .update(`${TRIM_FORMAT}\n${source.href}\n${info.size}\n${info.mtime?.getTime() ?? 0}`)
    .digest("hex")
    .slice(0, 16);
  const path = `${dir}/postgis-embedded-${id}.tar.gz`;
  if (await Deno.stat(path).then(() => true, () => false)) return path;
  const bytes = await Deno.readFile(source);
  const entries = parseTar(gunzipSync(bytes));
  const control = entries.find((e) => e.name === "share/postgresql/extension/postgis.control");
  const version = /default_version\s*=\s*'([^']+)'/.exec(control?.text ?? "")?.[1];
  if (!version) {
    throw new Error(`The PostGIS bundle ${source.pathname} has no readable postgis.control`);
  }
  const kept = entries.filter((e) => e.type !== "directory" && keep(e.name, version));
  if (kept.length !== 3) {
    throw new Error(
      `The PostGIS bundle ${source.pathname} lacks the core library or the ${version} install script`,
    );
  }
  const tar = createTar(
    kept.map((e) => ({ name: e.name, data: e.data, attrs: { mode: e.attrs?.mode } })),
  );
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  // Stored, not compressed: PGlite gunzips the bundle at every start, and inflating 24 MB costs
  // tens of milliseconds more than copying it.
  await Deno.writeFile(tmp, gzipSync(tar, { level: 0 }));
  await Deno.rename(tmp, path); // atomic: concurrent first starts write the same bytes
  return path;
}

/**
 * The PostGIS extension object for `PGlite.create`, loading the trimmed bundle. Falls back to
 * the full bundle when trimming fails (the embedded engine then starts more slowly).
 *
 * @example Usage
 * ```ts
 * import { embeddedPostgis } from "./postgis_bundle.ts";
 * // const db = await PGlite.create({ dataDir, extensions: { postgis: embeddedPostgis } });
 * ```
 */
export const embeddedPostgis: Extension = {
  name: "postgis",
  async setup(pg, emscriptenOpts) {
    const full = await postgis.setup(pg, emscriptenOpts);
    if (!full.bundlePath || full.bundlePath.protocol !== "file:") return full;
    try {
      const path = await trimmedPostgisBundle(full.bundlePath);
      return { ...full, bundlePath: new URL(`file://${path}`) };
    } catch {
      return full;
    }
  },
};
