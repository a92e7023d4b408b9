import { assert, assertEquals, assertRejects } from "./testdata/assert.ts";
import { FsCacheStore } from "./fs_cache_store.ts";
import { CacheKeyError } from "./errors.ts";
import { moduleTempDir } from "../_testing/temp_dir.ts";

const GROUP = JSON.stringify({ zarr_format: 3, node_type: "group", attributes: { n: 1 } });

async function fillGroup(dir: string, extra = "x"): Promise<void> {
  await Deno.writeTextFile(`${dir}/zarr.json`, GROUP);
  await Deno.mkdir(`${dir}/a`);
  await Deno.writeTextFile(`${dir}/a/data`, extra);
}

Deno.test("put() publishes a complete entry; a failing fill publishes nothing", async () => {
  const root = await moduleTempDir();
  const store = new FsCacheStore(root);
  await assertRejects(
    () =>
      store.put("ingestion/gravity/k", async (dir) => {
        await fillGroup(dir);
        throw new Error("disk full");
      }),
    Error,
    "disk full",
  );
  assertEquals(await store.get("ingestion/gravity/k"), undefined);
  assertEquals([...Deno.readDirSync(`${root}/.tmp`)], []);
  const e = await store.put("ingestion/gravity/k", (dir) => fillGroup(dir, "hello"));
  assertEquals(e.attributes, { n: 1 });
  assertEquals(e.sizeBytes, GROUP.length + 5);
  assertEquals((await store.get("ingestion/gravity/k"))?.dir, `${root}/ingestion/gravity/k`);
});

Deno.test("put() over an existing entry replaces it and keeps its pin", async () => {
  const store = new FsCacheStore(await moduleTempDir());
  await store.put("p/m/k", (dir) => fillGroup(dir, "old"));
  await store.setPinned("p/m/k", true);
  await store.put("p/m/k", (dir) => fillGroup(dir, "new!"));
  const e = await store.get("p/m/k");
  assertEquals(await Deno.readTextFile(`${e!.dir}/a/data`), "new!");
  assertEquals(e!.pinned, true);
  await store.setPinned("p/m/k", false);
  assertEquals((await store.get("p/m/k"))!.pinned, false);
});

Deno.test("list() finds entries at any depth, not their arrays; delete() removes one", async () => {
  const store = new FsCacheStore(await moduleTempDir());
  await store.put("ingestion/gravity/k1", (d) => fillGroup(d));
  await store.put("preprocessing/gravity/abc/v1.0.0", (d) => fillGroup(d));
  await store.put("preprocessing/gravity/abc/v1.1.0", (d) => fillGroup(d));
  assertEquals((await store.list()).map((e) => e.path), [
    "ingestion/gravity/k1",
    "preprocessing/gravity/abc/v1.0.0",
    "preprocessing/gravity/abc/v1.1.0",
  ]);
  assertEquals((await store.list("preprocessing")).length, 2);
  assertEquals(await store.delete("preprocessing/gravity/abc/v1.0.0"), true);
  assertEquals(await store.delete("preprocessing/gravity/abc/v1.0.0"), false);
  assertEquals((await store.list("preprocessing")).map((e) => e.path), [
    "preprocessing/gravity/abc/v1.1.0",
  ]);
});

Deno.test("get() records the access time used for LRU", async () => {
  const store = new FsCacheStore(await moduleTempDir());
  await store.put("a/m/k", (d) => fillGroup(d));
  const old = new Date("2020-01-01T00:00:00Z");
  await Deno.utime(`${store.root}/a/m/k`, old, old);
  assertEquals((await store.list())[0].lastAccess.getTime(), old.getTime());
  await store.get("a/m/k");
  assert((await store.list())[0].lastAccess.getTime() > old.getTime());
  const readOnly = new FsCacheStore(store.root, { recordAccess: false });
  await Deno.utime(`${store.root}/a/m/k`, old, old);
  await readOnly.get("a/m/k");
  assertEquals((await store.list())[0].lastAccess.getTime(), old.getTime());
});

Deno.test("lock() serialises holders in one process; tryLock() does not wait", async () => {
  const store = new FsCacheStore(await moduleTempDir());
  const order: string[] = [];
  const first = await store.lock("a/m/k");
  const waiting = store.lock("a/m/k").then((l) => {
    order.push("second got it");
    return l;
  });
  assertEquals(await store.tryLock("a/m/k"), undefined);
  // A wait, not an event: what is checked is that the second holder does NOT get the lock while
  // the first holds it, and a thing that must not happen sends no event to await.
  await new Promise((r) => setTimeout(r, 50));
  order.push("first releases");
  await first[Symbol.asyncDispose]();
  const second = await waiting;
  assertEquals(order, ["first releases", "second got it"]);
  await second[Symbol.asyncDispose]();
  const third = await store.tryLock("a/m/k");
  assert(third !== undefined);
  await third[Symbol.asyncDispose]();
});

Deno.test("cleanLeftovers() removes a dead writer's temp folder but not a live one", async () => {
  const store = new FsCacheStore(await moduleTempDir());
  const id = `${Date.now() - 120_000}-999999-deadbeef`;
  await Deno.mkdir(`${store.root}/.tmp/${id}`, { recursive: true });
  await Deno.writeTextFile(`${store.root}/.tmp/${id}/zarr.json`, GROUP);
  // The writer says when its temp folder is filled and it holds on (no polling).
  let release!: () => void;
  let holding!: (dir: string) => void;
  const held = new Promise<string>((r) => (holding = r));
  const writing = store.put("a/m/k", async (dir) => {
    await fillGroup(dir);
    await new Promise<void>((r) => {
      release = r;
      holding(dir);
    });
  });
  const live = await held;
  const later = new Date(Date.now() + 3600_000);
  const res = await store.cleanLeftovers({ now: later });
  assertEquals(res.removed, 1);
  assertEquals(
    [...Deno.readDirSync(`${store.root}/.tmp`)].map((e) => e.name).sort(),
    [
      live.slice(live.lastIndexOf("/") + 1),
      live.slice(live.lastIndexOf("/") + 1) + ".lock",
    ].sort(),
  );
  release();
  await writing;
  assert((await store.get("a/m/k")) !== undefined);
});

Deno.test("entry paths that could escape the root are refused", async () => {
  const store = new FsCacheStore(await moduleTempDir());
  for (const p of ["../x", "a/../../b", "/abs", "a//b", "a b"]) {
    await assertRejects(() => store.get(p), CacheKeyError);
  }
});
