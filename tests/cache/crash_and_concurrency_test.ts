/**
 * Real child processes: a writer killed with SIGKILL mid-write leaves nothing a reader takes
 * for an entry; eight processes asking for one key make one fetch and get identical data.
 */
import assert from "node:assert/strict";
import { FsCacheStore, IngestionCache, sweepCache } from "../../src/cache/mod.ts";
import { rawDataChecksum } from "../../src/contracts/checksum.ts";
import { MetricsRegistry } from "../../src/observability/metrics/mod.ts";
import { syntheticPoints } from "../../src/cache/testdata/fixtures.ts";
import { moduleTempDir } from "../../src/_testing/temp_dir.ts";
import { fetchTogether } from "./_fetch_children.ts";

const CHILD = new URL("./child_cache.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const KEY = "c0ffee".repeat(10) + "abcd";

function spawn(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, CHILD, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/**
 * Files inside the writers' temporary folders `.tmp/<id>/`, not counting the `.tmp/<id>.lock`
 * files: a writer creates its lock file before its folder, and one killed between the two
 * leaves no folder for the sweeper to remove.
 */
async function writerFiles(root: string): Promise<number> {
  let n = 0;
  try {
    for await (const e of Deno.readDir(`${root}/.tmp`)) {
      if (e.isDirectory) n += await filesUnder(`${root}/.tmp/${e.name}`);
    }
  } catch { /* not created yet */ }
  return n;
}

async function filesUnder(dir: string): Promise<number> {
  let n = 0;
  try {
    for await (const e of Deno.readDir(dir)) {
      n += e.isDirectory ? await filesUnder(`${dir}/${e.name}`) : 1;
    }
  } catch { /* vanished */ }
  return n;
}

for (const killAfterFiles of [1, 40, 400]) {
  Deno.test(`a writer SIGKILLed after ${killAfterFiles} chunk files leaves no entry behind`, async () => {
    const root = await moduleTempDir({ prefix: "gam-crash-" });
    const child = spawn(["write", root, "2000000"]);
    // Wait until the writer's private folder holds enough files, then kill it. The deadline
    // only ends a wait for a writer that never starts (a loaded machine can take seconds).
    // A poll, kept: the writer (the zarr store writing chunk files) reports nothing per file,
    // and Deno.watchFs on a growing tree would add inotify limits and missed-subfolder races.
    let seen = 0;
    const deadline = Date.now() + 120_000;
    while (seen < killAfterFiles && Date.now() < deadline) {
      seen = await writerFiles(root);
      if (seen < killAfterFiles) await new Promise((r) => setTimeout(r, 5));
    }
    child.kill("SIGKILL");
    const status = await child.status;
    await child.stdout.cancel();
    await child.stderr.cancel();
    assert.equal(status.signal, "SIGKILL", "the writer must die mid-write, not finish");
    assert.ok(seen >= killAfterFiles, `saw ${seen} files before the kill`);

    const store = new FsCacheStore(root);
    assert.deepEqual(await store.list(), []);
    await assert.rejects(Deno.stat(`${root}/ingestion/gravity/${KEY}`), Deno.errors.NotFound);
    const cache = new IngestionCache({ store: root, metrics: new MetricsRegistry() });
    assert.equal(await cache.get("gravity", KEY), undefined);
    // The next fetch-through works, and the sweeper removes the dead writer's leftovers.
    const raw = syntheticPoints(100);
    const r = await cache.getOrFetch("gravity", KEY, () => Promise.resolve(raw));
    assert.equal(r.outcome, "miss");
    assert.ok((await writerFiles(root)) > 0, "the dead writer's folder is still there");
    // An hour on: the dead writer's folder is a leftover however long this test took so far.
    const report = await sweepCache(store, {
      now: new Date(Date.now() + 3600_000),
      metrics: new MetricsRegistry(),
    });
    assert.equal(report.leftoversRemoved, 1);
    assert.equal(await filesUnder(`${root}/.tmp`), 0);
    assert.equal(rawDataChecksum((await cache.get("gravity", KEY))!.data), rawDataChecksum(raw));
  });
}

Deno.test("8 processes asking for the same key: one fetch, 8 identical results", async () => {
  const root = await moduleTempDir({ prefix: "gam-conc-" });
  const log = `${root}/fetches.log`;
  const results = await fetchTogether(8, ["fetch", `${root}/cache`, log]);
  const fetchers = (await Deno.readTextFile(log)).trim().split("\n");
  assert.equal(fetchers.length, 1, `fetched by ${fetchers.join(", ")}`);
  const expected = rawDataChecksum(syntheticPoints(50_000, 11));
  assert.deepEqual(results.map((r) => r.checksum), Array(8).fill(expected));
  assert.deepEqual(
    results.map((r) => r.outcome).sort(),
    ["hit", "hit", "hit", "hit", "hit", "hit", "hit", "miss"],
  );
  const cache = new IngestionCache({ store: `${root}/cache`, metrics: new MetricsRegistry() });
  assert.equal(await cache.verify("gravity", KEY), "ok");
});
