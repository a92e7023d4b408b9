/**
 * Templates of new embedded data folders: a PGlite data-dir dump (gzipped tar) taken right after
 * a creation with PostGIS installed, kept beside the data folder with its SHA-256. Unpacking it
 * replaces initdb and PostGIS's install script (seconds) on every later new folder.
 *
 * The record `<template>.sha256` holds the digest, a space and {@link TEMPLATE_KEY}; a template
 * whose key differs (another engine or PostGIS version) or whose bytes do not match is not used.
 *
 * @module
 */

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
 * Writes a template and its record: temporary names then renames, the record last, so that a
 * reader never takes a half-written template for a valid one.
 *
 * @param path The template file (`.tar.gz`).
 * @param bytes A PGlite `dumpDataDir("gzip")` of a new database with PostGIS installed.
 *
 * @example Usage
 * ```ts ignore
 * import { saveTemplate } from "./pglite_template.ts";
 * await saveTemplate("out/db.template.tar.gz", dump);
 * ```
 */
export async function saveTemplate(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
    await Deno.writeTextFile(`${tmp}.sha256`, `${await sha256(bytes)} ${TEMPLATE_KEY}\n`);
    await Deno.rename(`${tmp}.sha256`, `${path}.sha256`);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    await Deno.remove(`${tmp}.sha256`).catch(() => {});
    throw e;
  }
}
