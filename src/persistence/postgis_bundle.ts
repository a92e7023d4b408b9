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
import { userCacheDir, writeDirAtomic, writeFileAtomic } from "../fs/mod.ts";

/** Whether a bundle entry is kept: the core library, its control file, its install script. */
function keep(name: string, version: string): boolean {
  return name === "lib/postgresql/postgis-3.so" ||
    name === "share/postgresql/extension/postgis.control" ||
    name === `share/postgresql/extension/postgis--${version}.sql`;
}

/** Version of the trimming (what {@link keep} keeps, how the copy is stored). */
const TRIM_FORMAT = "trim-2 stored";

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
export async function trimmedPostgisBundle(source: URL, dir = userCacheDir()): Promise<string> {
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
  // Stored, not compressed: PGlite gunzips the bundle at every start, and inflating 24 MB costs
  // tens of milliseconds more than copying it. Atomic: concurrent first starts write the same
  // bytes.
  await writeFileAtomic(path, gzipSync(tar, { level: 0 }));
  return path;
}

/**
 * Unpacks (once) the trimmed bundle made from `source` into a folder beside it and returns the
 * folder: the files under their bundle names (`lib/postgresql/postgis-3.so`, ...).
 *
 * @param source The pglite-postgis bundle (`.tar.gz`).
 * @param dir Where to keep the trimmed copy. @default `$XDG_CACHE_HOME/gam` or `~/.cache/gam`
 *
 * @example Usage
 * ```ts
 * import { unpackedPostgis } from "./postgis_bundle.ts";
 * // const root = await unpackedPostgis(new URL("file:///.../postgis.tar.gz"));
 * // Deno.readFile(`${root}/lib/postgresql/postgis-3.so`)
 * ```
 */
export async function unpackedPostgis(source: URL, dir = userCacheDir()): Promise<string> {
  const tar = await trimmedPostgisBundle(source, dir);
  const root = tar.replace(/\.tar\.gz$/, "");
  if (await Deno.stat(root).then(() => true, () => false)) return root;
  // Whole, or not at all; a concurrent first start may put the same folder in place first.
  await writeDirAtomic(root, async (tmp) => {
    for (const e of parseTar(gunzipSync(await Deno.readFile(tar)))) {
      if (e.type === "directory" || !e.data) continue;
      const path = `${tmp}/${e.name}`;
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      await Deno.writeFile(path, e.data);
    }
  });
  return root;
}

/** The files {@link keep} keeps, as they are named in the bundle (the version read at setup). */
function keptNames(root: string): string[] {
  const control = Deno.readTextFileSync(`${root}/share/postgresql/extension/postgis.control`);
  const version = /default_version\s*=\s*'([^']+)'/.exec(control)?.[1];
  return [
    "lib/postgresql/postgis-3.so",
    "share/postgresql/extension/postgis.control",
    `share/postgresql/extension/postgis--${version}.sql`,
  ];
}

/** The parts of the emscripten module used to place files before PostgreSQL starts. */
interface EmscriptenModule {
  WASM_PREFIX?: string;
  FS: {
    mkdirTree(path: string): void;
    writeFile(path: string, data: Uint8Array): void;
    createPreloadedFile(
      parent: string,
      name: string,
      data: Uint8Array,
      canRead: boolean,
      canWrite: boolean,
      onload?: () => void,
      onerror?: () => void,
      dontCreateFile?: boolean,
      canOwn?: boolean,
    ): void;
  };
}

/**
 * The PostGIS extension object for `PGlite.create`, loading the trimmed files. They are read from
 * their unpacked folder and placed in PGlite's file system before PostgreSQL starts, the library
 * through emscripten's preloading (compiled and linked ahead, as PGlite does for a bundle), which
 * skips unpacking a 24 MB archive through a stream and a Blob at every start. Falls back to the
 * trimmed bundle, and to the full one, when that fails (the engine then starts more slowly).
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
    let files: { name: string; data: Uint8Array }[];
    try {
      const root = await unpackedPostgis(full.bundlePath);
      files = await Promise.all(
        keptNames(root).map(async (name) => ({
          name,
          data: await Deno.readFile(`${root}/${name}`),
        })),
      );
    } catch {
      return await trimmedPostgisBundle(full.bundlePath).then(
        (path) => ({ ...full, bundlePath: new URL(`file://${path}`) }),
        () => full,
      );
    }
    const opts = full.emscriptenOpts ?? emscriptenOpts;
    const place = (mod: EmscriptenModule) => {
      const prefix = mod.WASM_PREFIX ?? "/pglite";
      for (const { name, data } of files) {
        const path = `${prefix}/${name}`;
        const parent = path.slice(0, path.lastIndexOf("/"));
        mod.FS.mkdirTree(parent);
        if (name.endsWith(".so")) {
          mod.FS.createPreloadedFile(parent, path.slice(parent.length + 1), data, true, true);
        } else {
          mod.FS.writeFile(path, data);
        }
      }
    };
    return {
      ...full,
      bundlePath: undefined,
      emscriptenOpts: { ...opts, preRun: [...(opts.preRun ?? []), place] },
    };
  },
};
