/**
 * Templates of new embedded data folders: a PGlite data-dir dump (gzipped tar) taken right after
 * a creation with PostGIS installed, kept beside the data folder with its SHA-256. Unpacking it
 * replaces initdb and PostGIS's install script (seconds) on every later new folder.
 *
 * The template is kept in the per-user cache folder ({@link defaultTemplatePath}), named by
 * {@link TEMPLATE_KEY}: made once per machine and engine version, it serves every output folder
 * and every checkout after the first, and a new checkout's first run needs no initdb when the
 * machine has run GAM before (or `scripts/setup_test_env.sh` made it).
 *
 * The record `<template>.sha256` holds the digest, a space and {@link TEMPLATE_KEY}; a template
 * whose key differs (another engine or PostGIS version) or whose bytes do not match is not used.
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { parseTar } from "nanotar";
import { userCacheDir, writeFileAtomic } from "../fs/mod.ts";

/**
 * What a template was made by: the engine and PostGIS packages as resolved (their npm
 * versions), and the template's format.
 *
 * @example Usage
 * ```ts
 * import { TEMPLATE_KEY } from "./pglite_template.ts";
 * TEMPLATE_KEY.includes("pglite"); // true
 * ```
 */
export const TEMPLATE_KEY: string = [
  import.meta.resolve("@electric-sql/pglite"),
  import.meta.resolve("@electric-sql/pglite-postgis"),
  "template-1 (initdb + CREATE EXTENSION postgis, gzip tar)",
].join(" ");

/**
 * Where the template of the installed engine is kept:
 * `~/.cache/gam/pglite-template-<16 hex digits of TEMPLATE_KEY's SHA-256>.tar.gz` (see
 * `userCacheDir`), so templates of other engine versions sit beside it and are never taken.
 *
 * @returns The template's path (it may not exist yet).
 *
 * @example Usage
 * ```ts
 * import { defaultTemplatePath } from "./pglite_template.ts";
 * /pglite-template-[0-9a-f]{16}\.tar\.gz$/.test(defaultTemplatePath()); // true
 * ```
 */
export function defaultTemplatePath(): string {
  const id = createHash("sha256").update(TEMPLATE_KEY).digest("hex").slice(0, 16);
  return `${userCacheDir()}/pglite-template-${id}.tar.gz`;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The template's bytes when it exists, was made under {@link TEMPLATE_KEY} and matches the
 * SHA-256 recorded beside it; otherwise undefined.
 *
 * @param path The template file (`.tar.gz`).
 * @returns Its bytes, or undefined when it is missing or not valid.
 *
 * @example Usage
 * ```ts
 * import { readTemplate } from "./pglite_template.ts";
 * const bytes = await readTemplate("/nonexistent/db.template.tar.gz"); // undefined
 * ```
 */
export async function readTemplate(path: string): Promise<Uint8Array | undefined> {
  try {
    const [record, bytes] = await Promise.all([
      Deno.readTextFile(`${path}.sha256`),
      Deno.readFile(path),
    ]);
    const space = record.indexOf(" ");
    if (space < 0 || record.slice(space + 1).trim() !== TEMPLATE_KEY) return undefined;
    return (await sha256(bytes)) === record.slice(0, space) ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes a template and its record, each atomically (`writeFileAtomic`), the record last, so
 * that a reader never takes a half-written template for a valid one.
 *
 * @param path The template file (`.tar.gz`).
 * @param bytes A PGlite `dumpDataDir("gzip")` of a new database with PostGIS installed.
 *
 * @example Usage
 * ```ts
 * import { readTemplate, saveTemplate } from "./pglite_template.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-template-" });
 * try {
 *   const dump = new Uint8Array([31, 139, 8]); // stands for a PGlite dumpDataDir("gzip")
 *   await saveTemplate(`${dir}/db.template.tar.gz`, dump);
 *   console.assert((await readTemplate(`${dir}/db.template.tar.gz`))?.length === 3);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function saveTemplate(path: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomic(path, bytes);
  await writeFileAtomic(`${path}.sha256`, `${await sha256(bytes)} ${TEMPLATE_KEY}\n`);
}

/**
 * Unpacks a template (or any PGlite `dumpDataDir("gzip")`) into the empty folder `dataDir` with
 * native file writes. PGlite's own `loadDataDir` writes the same files through its emulated file
 * system, about 2 s for the 65 MB of a new database on a busy 2-core machine; this takes a few
 * hundred milliseconds, and PGlite then opens the folder as an existing one. The folder's
 * `PG_VERSION` is written last: an unpack cut short leaves no `PG_VERSION`, and the next open
 * takes the folder as new and unpacks it again.
 *
 * @param bytes The gzipped tar (entry names relative to the data folder, with or without a
 *   leading `/`).
 * @param dataDir The data folder (created when missing; expected empty).
 * @throws {RangeError} for an entry that would land outside `dataDir`.
 *
 * @example Usage
 * ```ts
 * import { readTemplate, unpackDataDir } from "./pglite_template.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-template-" });
 * try {
 *   const bytes = await readTemplate(`${dir}/db.template.tar.gz`); // none kept yet: undefined
 *   if (bytes) await unpackDataDir(bytes, `${dir}/db`);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function unpackDataDir(bytes: Uint8Array, dataDir: string): Promise<void> {
  const root = dataDir.replace(/\/+$/, "");
  await Deno.mkdir(root, { recursive: true });
  // The folder's own PG_VERSION marks it as a database to open (not a new one to create): it is
  // written after every other file, so an unpack cut short (a crash, Ctrl-C on a first run)
  // leaves a folder the next open takes as new and unpacks again, not a broken database.
  let version: Uint8Array | undefined;
  for (const e of parseTar(gunzipSync(bytes))) {
    const name = e.name.replace(/^\/+/, "");
    if (name === "" || name.split("/").includes("..")) {
      if (name === "") continue;
      throw new RangeError(`Data folder archive entry "${e.name}" leaves the folder`);
    }
    const path = `${root}/${name}`;
    if (e.type === "directory") {
      await Deno.mkdir(path, { recursive: true });
      continue;
    }
    if (name === "PG_VERSION") {
      version = e.data ?? new Uint8Array(0);
      continue;
    }
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(path, e.data ?? new Uint8Array(0));
  }
  if (version !== undefined) await Deno.writeFile(`${root}/PG_VERSION`, version);
}
