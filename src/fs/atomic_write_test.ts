import assert from "node:assert/strict";
import { publishDir, writeDirAtomic, writeFileAtomic } from "./atomic_write.ts";

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

Deno.test("writeFileAtomic() writes bytes, text or a writer's file, creating the folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gam-atomic-" });
  try {
    assert.equal(await writeFileAtomic(`${dir}/a/b.bin`, new Uint8Array([1, 2, 3])), 3);
    assert.deepEqual(await Deno.readFile(`${dir}/a/b.bin`), new Uint8Array([1, 2, 3]));
    await writeFileAtomic(`${dir}/a/b.bin`, "replaced");
    assert.equal(await Deno.readTextFile(`${dir}/a/b.bin`), "replaced");
    await writeFileAtomic(`${dir}/a/c.txt`, (tmp) => Deno.writeTextFile(tmp, "by a writer"));
    assert.equal(await Deno.readTextFile(`${dir}/a/c.txt`), "by a writer");
    assert.deepEqual(await names(`${dir}/a`), ["b.bin", "c.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic() leaves the old file and no temporary file when the writer fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gam-atomic-" });
  try {
    await writeFileAtomic(`${dir}/f.txt`, "old");
    await assert.rejects(
      writeFileAtomic(`${dir}/f.txt`, async (tmp) => {
        await Deno.writeTextFile(tmp, "half");
        throw new Error("disk full");
      }),
      /disk full/,
    );
    assert.equal(await Deno.readTextFile(`${dir}/f.txt`), "old");
    assert.deepEqual(await names(dir), ["f.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeDirAtomic() replaces a folder whole, or keeps a concurrent builder's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gam-atomic-" });
  try {
    const put = (text: string, replace: boolean) =>
      writeDirAtomic(`${dir}/g.zarr`, (tmp) => Deno.writeTextFile(`${tmp}/zarr.json`, text), {
        replace,
      });
    assert.equal(await put("one", false), true);
    assert.equal(await put("two", false), false, "an existing folder is kept without replace");
    assert.equal(await Deno.readTextFile(`${dir}/g.zarr/zarr.json`), "one");
    assert.equal(await put("three", true), true);
    assert.equal(await Deno.readTextFile(`${dir}/g.zarr/zarr.json`), "three");
    await assert.rejects(
      writeDirAtomic(`${dir}/g.zarr`, () => Promise.reject(new Error("boom")), { replace: true }),
      /boom/,
    );
    assert.equal(await Deno.readTextFile(`${dir}/g.zarr/zarr.json`), "three");
    assert.deepEqual(await names(dir), ["g.zarr"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("publishDir() keeps an existing folder, or replaces it through the aside path given", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gam-atomic-" });
  try {
    const staged = async (text: string) => {
      const tmp = `${dir}/staging-${text}`;
      await Deno.mkdir(tmp);
      await Deno.writeTextFile(`${tmp}/a.txt`, text);
      return tmp;
    };
    assert.equal(await publishDir(await staged("one"), `${dir}/entry`), true);
    assert.equal(await publishDir(await staged("two"), `${dir}/entry`), false);
    assert.equal(await Deno.readTextFile(`${dir}/entry/a.txt`), "one");
    assert.deepEqual(await names(dir), ["entry", "staging-two"], "tmp left to the caller");
    const replaced = await publishDir(await staged("three"), `${dir}/entry`, {
      replace: true,
      aside: `${dir}/trash/old`,
    });
    assert.equal(replaced, true);
    assert.equal(await Deno.readTextFile(`${dir}/entry/a.txt`), "three");
    assert.deepEqual(await names(`${dir}/trash`), [], "the replaced folder is removed");
    await assert.rejects(publishDir(`${dir}/missing`, `${dir}/other`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
