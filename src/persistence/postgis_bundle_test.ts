import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { parseTar } from "nanotar";
import { postgis } from "@electric-sql/pglite-postgis";
import { trimmedPostgisBundle } from "./postgis_bundle.ts";

Deno.test("trimmedPostgisBundle() keeps the core library, control file and install script, once", async () => {
  const opts = { PGLITE_ENV: {} } as never;
  const { bundlePath } = await postgis.setup({} as never, opts);
  const dir = await Deno.makeTempDir();
  const path = await trimmedPostgisBundle(bundlePath!, dir);
  const names = parseTar(gunzipSync(await Deno.readFile(path))).map((e) => e.name).sort();
  assert.equal(names.length, 3);
  assert.equal(names[0], "lib/postgresql/postgis-3.so");
  assert.match(names[1], /^share\/postgresql\/extension\/postgis--\d+\.\d+\.\d+\.sql$/);
  assert.equal(names[2], "share/postgresql/extension/postgis.control");
  const before = (await Deno.stat(path)).mtime;
  assert.equal(
    await trimmedPostgisBundle(bundlePath!, dir),
    path,
    "the second call reuses the file",
  );
  assert.deepEqual((await Deno.stat(path)).mtime, before);
  const kept = parseTar(gunzipSync(await Deno.readFile(path)))
    .reduce((n, e) => n + (e.data?.length ?? 0), 0);
  const all = parseTar(gunzipSync(await Deno.readFile(bundlePath!)))
    .reduce((n, e) => n + (e.data?.length ?? 0), 0);
  assert.ok(kept < all / 2, `kept ${kept} of ${all} bytes`);
});

Deno.test("trimmedPostgisBundle() refuses a bundle without PostGIS, naming it", async () => {
  const dir = await Deno.makeTempDir();
  const bogus = `${dir}/bogus.tar.gz`;
  const { gzipSync } = await import("node:zlib");
  const { createTar } = await import("nanotar");
  await Deno.writeFile(bogus, gzipSync(createTar([{ name: "README", data: "nothing here" }])));
  await assert.rejects(
    () => trimmedPostgisBundle(new URL(`file://${bogus}`), dir),
    /bogus\.tar\.gz has no readable postgis\.control/,
  );
});
