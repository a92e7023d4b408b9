import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import { createTar, parseTar } from "nanotar";
import {
  defaultTemplatePath,
  readTemplate,
  saveTemplate,
  TEMPLATE_KEY,
  unpackDataDir,
} from "./pglite_template.ts";
import { openDatabase } from "./database.ts";

const gzTar = (files: { name: string; data?: string }[]) =>
  new Uint8Array(gzipSync(createTar(files)));

Deno.test("readTemplate() returns the bytes saveTemplate() wrote, and nothing for another key or changed bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/db.template.tar.gz`;
    const bytes = gzTar([{ name: "PG_VERSION", data: "18\n" }]);
    await saveTemplate(path, bytes);
    assert.deepEqual(await readTemplate(path), bytes);
    const [digest] = (await Deno.readTextFile(`${path}.sha256`)).split(" ");
    await Deno.writeTextFile(`${path}.sha256`, `${digest} ${TEMPLATE_KEY} (older)\n`);
    assert.equal(await readTemplate(path), undefined, "another key");
    await saveTemplate(path, bytes);
    await Deno.writeFile(path, gzTar([{ name: "PG_VERSION", data: "17\n" }]));
    assert.equal(await readTemplate(path), undefined, "changed bytes");
    assert.equal(await readTemplate(`${dir}/missing.tar.gz`), undefined, "no template");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "db.template.tar.gz",
      "db.template.tar.gz.sha256",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unpackDataDir() writes the archive's files under the folder and keeps every entry inside it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await unpackDataDir(
      gzTar([{ name: "/PG_VERSION", data: "18\n" }, { name: "/base/1/112", data: "page" }]),
      `${dir}/db`,
    );
    assert.equal(await Deno.readTextFile(`${dir}/db/PG_VERSION`), "18\n");
    assert.equal(await Deno.readTextFile(`${dir}/db/base/1/112`), "page");
    // An entry naming a parent folder stays inside the data folder (the tar reader drops the
    // "../"; unpackDataDir refuses any ".." left).
    await unpackDataDir(gzTar([{ name: "../escaped", data: "x" }]), `${dir}/other`);
    assert.equal(await Deno.stat(`${dir}/escaped`).then(() => true, () => false), false);
    assert.equal(await Deno.readTextFile(`${dir}/other/escaped`), "x");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unpackDataDir() writes PG_VERSION last: an unpack cut short leaves a folder taken as new", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // "a" is a file, so "a/b" cannot be written: the unpack stops there, after base/1/112.
    const broken = gzTar([
      { name: "/PG_VERSION", data: "18\n" },
      { name: "/base/1/112", data: "page" },
      { name: "/a", data: "file" },
      { name: "/a/b", data: "x" },
    ]);
    await assert.rejects(unpackDataDir(broken, `${dir}/db`));
    assert.equal(await Deno.readTextFile(`${dir}/db/base/1/112`), "page");
    assert.equal(await Deno.stat(`${dir}/db/PG_VERSION`).then(() => true, () => false), false);
    // Unpacked again over what the first left, the folder is whole.
    await unpackDataDir(
      gzTar([{ name: "/PG_VERSION", data: "18\n" }, { name: "/base/1/112", data: "page 2" }]),
      `${dir}/db`,
    );
    assert.equal(await Deno.readTextFile(`${dir}/db/PG_VERSION`), "18\n");
    assert.equal(await Deno.readTextFile(`${dir}/db/base/1/112`), "page 2");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openDatabase() keeps one template per machine in the user cache and starts new folders from it", async () => {
  const dir = await Deno.makeTempDir();
  const before = Deno.env.get("XDG_CACHE_HOME");
  Deno.env.set("XDG_CACHE_HOME", `${dir}/cache`);
  try {
    const path = defaultTemplatePath();
    assert.ok(path.startsWith(`${dir}/cache/gam/pglite-template-`), path);
    // The first new folder is created (initdb, PostGIS) and writes the template.
    await (await openDatabase({ url: null, dataDir: `${dir}/out-a/db` })).close();
    const first = await readTemplate(path);
    assert.ok(first, "the template was written to the user cache");
    const written = (await Deno.stat(path)).mtime?.getTime();
    // A second output folder starts from it: the template is read, not rewritten, and the new
    // database is complete (PostGIS and the migrated schema).
    const b = await openDatabase({ url: null, dataDir: `${dir}/out-b/db` });
    try {
      const [row] = await b.sql.query<{ v: string; n: number }>(
        "SELECT postgis_lib_version() AS v, count(*)::int AS n FROM schema_migrations",
      );
      assert.match(row.v, /^3\./);
      assert.ok(row.n >= 1);
    } finally {
      await b.close();
    }
    assert.equal((await Deno.stat(path)).mtime?.getTime(), written, "template not rewritten");
    // A first run stopped half-way through the unpack left half of the template's files and no
    // PG_VERSION: the next open unpacks it again and the database is complete.
    const files = parseTar(gunzipSync(first)).filter((e) => e.type === "file");
    for (const e of files.slice(0, files.length >> 1)) {
      const name = e.name.replace(/^\/+/, "");
      if (name === "PG_VERSION") continue;
      const path = `${dir}/out-c/db/${name}`;
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      await Deno.writeFile(path, e.data ?? new Uint8Array(0));
    }
    assert.equal(
      await Deno.stat(`${dir}/out-c/db/PG_VERSION`).then(() => true, () => false),
      false,
    );
    const c = await openDatabase({ url: null, dataDir: `${dir}/out-c/db` });
    try {
      const [row] = await c.sql.query<{ v: string }>("SELECT postgis_lib_version() AS v");
      assert.match(row.v, /^3\./);
    } finally {
      await c.close();
    }
    assert.equal(
      await Deno.stat(`${dir}/out-a/db.template.tar.gz`).then(() => true, () => false),
      false,
      "nothing is written beside the data folder any more",
    );
  } finally {
    if (before === undefined) Deno.env.delete("XDG_CACHE_HOME");
    else Deno.env.set("XDG_CACHE_HOME", before);
    await Deno.remove(dir, { recursive: true });
  }
});
