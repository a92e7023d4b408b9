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

/**
 * Whether `strace` can trace a process here (installed, and ptrace allowed): the durability
 * test watches the system calls through it.
 */
const hasStrace = await new Deno.Command("strace", {
  args: ["-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync", "true"],
  stdout: "null",
  stderr: "null",
}).output().then((o) => o.success, () => false);

Deno.test({
  name: "writeDirAtomic() flushes every file and folder to disk before the rename (strace)",
  ignore: !hasStrace,
  async fn() {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-atomic-" }));
    try {
      // A child process builds a nested folder the way writeZarrGrid does, under strace.
      const child = `${dir}/child.ts`;
      await Deno.writeTextFile(
        child,
        `import { writeDirAtomic } from ${JSON.stringify(import.meta.resolve("./atomic_write.ts"))};
await writeDirAtomic(${JSON.stringify(`${dir}/out.zarr`)}, async (tmp) => {
  await Deno.writeTextFile(tmp + "/zarr.json", "{}");
  for (const i of [0, 1]) {
    await Deno.mkdir(tmp + "/values/c/" + i, { recursive: true });
    for (const j of [0, 1, 2]) await Deno.writeFile(tmp + "/values/c/" + i + "/" + j, new Uint8Array(4096).fill(i + j));
  }
});
`,
      );
      const log = `${dir}/strace.log`;
      const run = await new Deno.Command("strace", {
        args: [
          ...[
            "-f",
            "-y",
            "-qq",
            "-o",
            log,
            "-e",
            "trace=fsync,fdatasync,rename,renameat,renameat2",
          ],
          ...[Deno.execPath(), "run", "--no-lock", `--allow-read=${dir}`, `--allow-write=${dir}`],
          child,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(run.success, new TextDecoder().decode(run.stderr));
      const lines = (await Deno.readTextFile(log)).split("\n");
      // The build folder's rename into place, and what was flushed before it.
      const renamed = lines.findIndex((l) => /rename/.test(l) && l.includes(`${dir}/out.zarr"`));
      assert.ok(renamed > 0, `no rename to ${dir}/out.zarr in:\n${lines.join("\n")}`);
      const tmp = /"([^"]*\/\.out\.zarr\.[^"/]+\.tmp)"/.exec(lines[renamed])?.[1];
      assert.ok(tmp, lines[renamed]);
      // A call's start (strace splits a call that another thread's interrupts into
      // "<unfinished ...>" and "resumed" lines); a failed flush fails the child instead.
      const flushed = new Set(
        lines.slice(0, renamed).flatMap((l) => {
          const m = /f(?:data)?sync\(\d+<([^>]*)>/.exec(l);
          return m ? [m[1]] : [];
        }),
      );
      const want = [
        "",
        "/zarr.json",
        "/values",
        "/values/c",
        ...[0, 1].flatMap((
          i,
        ) => [`/values/c/${i}`, ...[0, 1, 2].map((j) => `/values/c/${i}/${j}`)]),
      ].map((p) => tmp + p);
      assert.deepEqual(want.filter((p) => !flushed.has(p)), [], "not flushed before the rename");
      assert.equal(await Deno.readTextFile(`${dir}/out.zarr/zarr.json`), "{}");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
