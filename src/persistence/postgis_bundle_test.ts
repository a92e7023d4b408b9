import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { parseTar } from "nanotar";
import { postgis } from "@electric-sql/pglite-postgis";
import { trimmedPostgisBundle, unpackedPostgis } from "./postgis_bundle.ts";

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

Deno.test("unpackedPostgis() puts the trimmed bundle's files in a folder, byte for byte, once", async () => {
  const opts = { PGLITE_ENV: {} } as never;
  const { bundlePath } = await postgis.setup({} as never, opts);
  const dir = await Deno.makeTempDir();
  const root = await unpackedPostgis(bundlePath!, dir);
  const entries = parseTar(
    gunzipSync(await Deno.readFile(await trimmedPostgisBundle(bundlePath!, dir))),
  );
  assert.equal(entries.length, 3);
  for (const e of entries) {
    assert.deepEqual(await Deno.readFile(`${root}/${e.name}`), e.data, e.name);
  }
  const before = (await Deno.stat(`${root}/lib/postgresql/postgis-3.so`)).mtime;
  assert.equal(await unpackedPostgis(bundlePath!, dir), root, "the second call reuses the folder");
  assert.deepEqual((await Deno.stat(`${root}/lib/postgresql/postgis-3.so`)).mtime, before);
  const leftovers = [];
  for await (const f of Deno.readDir(dir)) if (f.name.endsWith(".tmp")) leftovers.push(f.name);
  assert.deepEqual(leftovers, []);
});

Deno.test("the embedded engine falls back to the trimmed bundle when the unpacked folder is damaged", async () => {
  const { openPglite } = await import("./pglite_engine.ts");
  const cache = await Deno.makeTempDir();
  const before = Deno.env.get("XDG_CACHE_HOME");
  Deno.env.set("XDG_CACHE_HOME", cache);
  try {
    const dir = `${await Deno.makeTempDir()}/db`;
    const first = await openPglite(dir);
    await first.exec("CREATE EXTENSION postgis");
    await first.close();
    let removed = 0;
    for await (const e of Deno.readDir(`${cache}/gam`)) {
      if (!e.isDirectory) continue;
      await Deno.remove(`${cache}/gam/${e.name}/lib/postgresql/postgis-3.so`);
      removed++;
    }
    assert.equal(removed, 1, "one unpacked folder");
    const again = await openPglite(dir);
    try {
      const [row] = await again.query<{ ok: boolean }>(
        "SELECT ST_IsValid(ST_MakeEnvelope(10, 45, 11, 46, 4326)) AS ok",
      );
      assert.equal(row.ok, true);
    } finally {
      await again.close();
    }
  } finally {
    if (before === undefined) Deno.env.delete("XDG_CACHE_HOME");
    else Deno.env.set("XDG_CACHE_HOME", before);
  }
});
