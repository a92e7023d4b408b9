import assert from "node:assert/strict";
import { GridCache, IngestionCache, originOf } from "../cache/mod.ts";
import { syntheticGrid, syntheticPoints } from "../cache/testdata/fixtures.ts";
import { gridChecksum, rawDataChecksum } from "../contracts/checksum.ts";
import { createLogger } from "../observability/mod.ts";
import { MetricsRegistry } from "../observability/metrics/mod.ts";
import { moduleTempDir } from "../_testing/temp_dir.ts";
import { gam } from "../../tests/_gam_cli.ts";
import { withTestS3Server } from "./_testing.ts";
import { CacheMirror } from "./cache_mirror.ts";
import { rehydrateEntries } from "./rehydrate.ts";
import { openCacheStore } from "./cache_store_for.ts";
import { loadConfig } from "../config/mod.ts";
import { storageConfig } from "../../tests/storage/_storage_config.ts";

const KEY_A = "a1".repeat(32);
const KEY_B = "b2".repeat(32);
const BBOX = [16, -35, 33, -22] as const;
const quiet = () => createLogger({ level: "error", sink: () => {} });

/** A source that counts its fetches. */
function source<T>(value: T) {
  let calls = 0;
  return {
    fetch: () => {
      calls++;
      return Promise.resolve(value);
    },
    calls: () => calls,
  };
}

Deno.test("cache mirror: writes while the bucket is down stay pending, survive the process and are uploaded at the next start", async () => {
  await withTestS3Server(async (server) => {
    const dir = await moduleTempDir({ prefix: "gam-mirror-" });
    const cacheDir = `${dir}/cache`;
    // First process: the bucket goes down before anything is written.
    const store1 = await server.store("gam-mirror");
    await server.kill();
    const mirror1 = new CacheMirror(cacheDir, {
      bucket: store1,
      logger: quiet(),
      metrics: new MetricsRegistry(),
      retryDelayMs: 3_600_000,
    });
    const cache1 = new IngestionCache({ store: mirror1, metrics: new MetricsRegistry() });
    const a = await cache1.getOrFetch("gravity", KEY_A, source(syntheticPoints(500, 1)).fetch);
    const b = await cache1.getOrFetch("magnetic", KEY_B, source(syntheticPoints(300, 2)).fetch);
    assert.deepEqual([a.outcome, b.outcome], ["miss", "miss"], "the run succeeds locally");
    const flushed = await mirror1.flush();
    assert.deepEqual(flushed, { replicated: 0, pending: 2 });
    const pending = await mirror1.journal.pending();
    assert.deepEqual(pending.map((r) => r.path).sort(), [
      `ingestion/gravity/${KEY_A}`,
      `ingestion/magnetic/${KEY_B}`,
    ]);
    assert.ok(pending.every((r) => r.attempts >= 1 && r.lastError !== undefined), "failures kept");
    await mirror1.close();
    store1.close();

    // `gam cache ls` shows the state.
    const ls = await gam(["cache", "ls", "--cache-dir", cacheDir, "--json"]);
    assert.equal(ls.code, 0, ls.stderr);
    const listed = JSON.parse(ls.stdout).entries as {
      path: string;
      replication: { state: string; attempts: number };
    }[];
    assert.deepEqual(listed.map((e) => e.replication.state), ["pending", "pending"]);

    // Next start, bucket back: the pending uploads resume and complete.
    await server.start();
    const store2 = await server.store("gam-mirror");
    const mirror2 = new CacheMirror(cacheDir, {
      bucket: store2,
      logger: quiet(),
      metrics: new MetricsRegistry(),
    });
    assert.equal(await mirror2.resume(), 2);
    assert.deepEqual(await mirror2.flush(), { replicated: 2, pending: 0 });
    for (const path of [a.entry!.path, b.entry!.path]) {
      const record = await mirror2.journal.get(path);
      assert.equal(record?.state, "replicated");
      const head = await store2.head(mirror2.keyOf(path));
      assert.equal(head?.sha256, record?.sha256, `${path}: the bucket holds what was recorded`);
      assert.equal(head?.versionId, record?.versionId);
    }
    // Flushing again uploads nothing (the bucket already holds these bytes).
    await mirror2.journal.markPending(a.entry!.path);
    assert.deepEqual(await mirror2.flush(), { replicated: 1, pending: 0 });
    let versions = 0;
    for await (const _ of store2.listVersions(mirror2.keyOf(a.entry!.path))) versions++;
    assert.equal(versions, 1, "an unchanged entry is not uploaded twice");
    await mirror2.close();

    const ls2 = await gam(["cache", "ls", "--cache-dir", cacheDir]);
    assert.match(ls2.stdout, /REPLICATION/);
    assert.equal(ls2.stdout.match(/\breplicated\b/g)?.length, 2, ls2.stdout);

    // An entry removed by a tool working on the folder alone: its record goes at the next start.
    await mirror2.local.delete(b.entry!.path);
    const mirror3 = new CacheMirror(cacheDir, { bucket: store2, logger: quiet() });
    assert.equal(await mirror3.resume(), 0);
    assert.deepEqual([...(await mirror3.journal.all()).keys()], [a.entry!.path]);
    await mirror3.close();
  });
});

Deno.test("cache mirror: a second machine (fresh cache folder) is served from the bucket without fetching; a damaged object is not used", async () => {
  await withTestS3Server(async (server) => {
    const dir = await moduleTempDir({ prefix: "gam-mirror-" });
    const bucket = await server.store("gam-mirror");
    const raw = syntheticPoints(2000, 3);
    const grids = [syntheticGrid(30, 40, 1), syntheticGrid(30, 40, 2)];
    const versions = ["1.0.0-x.fine", "1.0.0-x.coarse"];

    // Machine A fills its cache; the mirror replicates it.
    const mirrorA = new CacheMirror(`${dir}/a`, { bucket, logger: quiet() });
    const ingestA = new IngestionCache({ store: mirrorA, metrics: new MetricsRegistry() });
    const gridA = new GridCache({ store: mirrorA, metrics: new MetricsRegistry() });
    await ingestA.getOrFetch("gravity", KEY_A, source(raw).fetch);
    await gridA.getOrComputeAll(
      "gravity",
      BBOX,
      versions,
      () => Promise.resolve({ grids, cacheable: true }),
      originOf(raw),
    );
    assert.equal((await mirrorA.flush()).pending, 0);
    const journalA = await mirrorA.journal.all();
    assert.equal([...journalA.values()].filter((r) => r.state === "replicated").length, 3);
    await mirrorA.close();

    // Machine B: empty cache folder, same bucket. Nothing is fetched or computed.
    const registry = new MetricsRegistry();
    const mirrorB = new CacheMirror(`${dir}/b`, { bucket, logger: quiet(), metrics: registry });
    const ingestB = new IngestionCache({ store: mirrorB, metrics: new MetricsRegistry() });
    const gridB = new GridCache({ store: mirrorB, metrics: new MetricsRegistry() });
    const src = source(raw);
    const got = await ingestB.getOrFetch("gravity", KEY_A, src.fetch);
    assert.equal(got.outcome, "hit");
    assert.equal(src.calls(), 0, "no fetch from the source");
    assert.equal(rawDataChecksum(got.data), rawDataChecksum(raw));
    let computed = 0;
    const all = await gridB.getOrComputeAll("gravity", BBOX, versions, () => {
      computed++;
      return Promise.resolve({ grids, cacheable: true });
    }, originOf(raw));
    assert.equal(all.outcome, "hit");
    assert.equal(computed, 0, "no recomputation");
    assert.deepEqual(all.values.map((g) => gridChecksum(g!)), grids.map(gridChecksum));
    assert.equal((await mirrorB.journal.get(got.entry!.path))?.state, "from-bucket");
    assert.match(await registry.render(), /gam_cache_remote_requests_total\{outcome="hit"\} 3/);
    await mirrorB.close();

    // The bucket's object is overwritten with other bytes behind the store's back (on the
    // server's disk): machine C detects it by its checksum, does not use it, and fetches.
    const key = mirrorA.keyOf(got.entry!.path);
    const onDisk = `${server.dataDir}/gam-mirror/${key}`;
    const bytes = await Deno.readFile(onDisk);
    bytes[bytes.length >> 1] ^= 0xff;
    await Deno.writeFile(onDisk, bytes);
    const mirrorC = new CacheMirror(`${dir}/c`, {
      bucket,
      logger: quiet(),
      metrics: new MetricsRegistry(),
    });
    const ingestC = new IngestionCache({ store: mirrorC, metrics: new MetricsRegistry() });
    const srcC = source(raw);
    const c = await ingestC.getOrFetch("gravity", KEY_A, srcC.fetch);
    assert.equal(c.outcome, "miss");
    assert.equal(srcC.calls(), 1, "the damaged object was not used: the source was asked");
    // Its rewrite repairs the bucket's copy.
    assert.equal((await mirrorC.flush()).pending, 0);
    await mirrorC.close();
    const repaired = await bucket.getBytes(key);
    assert.equal(repaired.info.sha256, (await mirrorC.journal.get(c.entry!.path))?.sha256);
  });
});

Deno.test("rehydrateEntries() brings back listed entries from the bucket and reports missing ones", async () => {
  await withTestS3Server(async (server) => {
    const dir = await moduleTempDir({ prefix: "gam-mirror-" });
    const bucket = await server.store("gam-mirror");
    const mirrorA = new CacheMirror(`${dir}/a`, { bucket, logger: quiet() });
    const ingestA = new IngestionCache({ store: mirrorA, metrics: new MetricsRegistry() });
    const hit = await ingestA.getOrFetch("gravity", KEY_A, source(syntheticPoints(100)).fetch);
    await mirrorA.flush();
    await mirrorA.close();
    const mirrorB = new CacheMirror(`${dir}/b`, { bucket, logger: quiet() });
    const missing = `ingestion/gravity/${KEY_B}`;
    const first = await rehydrateEntries(mirrorB, [hit.entry!.path, missing]);
    assert.deepEqual(first, { fetched: [hit.entry!.path], present: [], missing: [missing] });
    const again = await rehydrateEntries(mirrorB, [hit.entry!.path]);
    assert.deepEqual(again, { fetched: [], present: [hit.entry!.path], missing: [] });
    await mirrorB.close();
  });
});

Deno.test("cache mirror: an archive with a link in the bucket is refused, nothing is unpacked", async () => {
  await withTestS3Server(async (server) => {
    const dir = await moduleTempDir({ prefix: "gam-mirror-" });
    const bucket = await server.store("gam-mirror");
    // An archive made by hand: a zarr.json and a symbolic link pointing out of the entry.
    await Deno.mkdir(`${dir}/src`);
    await Deno.writeTextFile(`${dir}/src/zarr.json`, '{"zarr_format":3,"node_type":"group"}');
    await Deno.symlink("/etc", `${dir}/src/escape`);
    const out = await new Deno.Command("tar", {
      args: ["--create", "--file=-", `--directory=${dir}/src`, "."],
      stdout: "piped",
    }).output();
    const registry = new MetricsRegistry();
    const mirror = new CacheMirror(`${dir}/cache`, { bucket, logger: quiet(), metrics: registry });
    const path = `ingestion/gravity/${KEY_A}`;
    await bucket.putBytes(mirror.keyOf(path), out.stdout);
    assert.equal(await mirror.get(path), undefined);
    assert.match(await registry.render(), /gam_cache_remote_requests_total\{outcome="corrupt"\} 1/);
    assert.deepEqual(await mirror.local.list(), [], "nothing was published");
    await mirror.close();
  });
});

Deno.test("openCacheStore() mirrors to the configured bucket, creating it before the first upload", async () => {
  await withTestS3Server(async (server) => {
    const dir = await moduleTempDir({ prefix: "gam-mirror-" });
    const { path, env } = await storageConfig(dir, server, "gam-new-bucket");
    for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
    const { config } = await loadConfig({ configPath: path });
    // The defaults: the mirror on under <phase>/cache, weekly backups with a schema snapshot.
    assert.deepEqual(config.storage?.cacheMirror, { enabled: true, prefix: "cache" });
    assert.deepEqual(config.storage?.backup, {
      schedule: "@weekly",
      prefix: "backups",
      schemaSnapshot: true,
    });
    assert.equal(
      openCacheStore({
        ...config,
        storage: { ...config.storage!, cacheMirror: { enabled: false, prefix: "cache" } },
      }).mirror,
      undefined,
    );
    const local = openCacheStore({ ...config, storage: undefined });
    assert.equal(local.mirror, undefined, "no storage: the local folder alone");
    const { store, mirror, bucket } = openCacheStore(config, { logger: quiet() });
    assert.ok(mirror && bucket && store === mirror);
    const cache = new IngestionCache({ store, metrics: new MetricsRegistry() });
    const r = await cache.getOrFetch("gravity", KEY_A, source(syntheticPoints(50)).fetch);
    assert.deepEqual(await mirror.flush(), { replicated: 1, pending: 0 });
    const head = await bucket.head(`phase1/cache/${r.entry!.path}.tar`);
    assert.ok(head?.versionId, "the bucket was created, versioned, and holds the entry");
    await mirror.close();
    bucket.close?.();
  });
});

Deno.test("cache mirror: an expired local entry gives way to a fresher copy another machine put in the bucket", async () => {
  await withTestS3Server(async (server) => {
    const dir = await moduleTempDir({ prefix: "gam-mirror-" });
    const bucket = await server.store("gam-mirror");
    const t0 = Date.parse("2026-12-04T12:00:00Z");
    const at = (ms: number) => () => new Date(ms);
    const machine = (folder: string, now: number) => {
      const mirror = new CacheMirror(`${dir}/${folder}`, {
        bucket,
        logger: quiet(),
        metrics: new MetricsRegistry(),
        now: at(now),
      });
      const cache = new IngestionCache({
        store: mirror,
        policy: { gravity: { ttl: 3600 } },
        metrics: new MetricsRegistry(),
        now: at(now),
      });
      return { mirror, cache };
    };
    const v1 = syntheticPoints(100, 1);
    const v2 = syntheticPoints(100, 2);
    // Machine A caches v1 at t0 (fresh for an hour).
    const a = machine("a", t0);
    await a.cache.getOrFetch("gravity", KEY_A, source(v1).fetch);
    await a.mirror.flush();
    await a.mirror.close();
    // Two hours later machine C finds only the expired v1, fetches v2 and replicates it.
    const c = machine("c", t0 + 7_200_000);
    const fromSource = source(v2);
    assert.equal((await c.cache.getOrFetch("gravity", KEY_A, fromSource.fetch)).outcome, "miss");
    assert.equal(fromSource.calls(), 1);
    assert.equal((await c.mirror.flush()).pending, 0);
    await c.mirror.close();
    // Machine A, then: its local v1 has expired; the bucket's v2 is fresh and is used.
    const a2 = machine("a", t0 + 7_200_000);
    const notCalled = source(v1);
    const r = await a2.cache.getOrFetch("gravity", KEY_A, notCalled.fetch);
    assert.equal(r.outcome, "hit");
    assert.equal(notCalled.calls(), 0, "no fetch: the fresher copy came from the bucket");
    assert.equal(rawDataChecksum(r.data), rawDataChecksum(v2));
    assert.equal((await a2.mirror.journal.get(r.entry!.path))?.state, "from-bucket");
    await a2.mirror.close();
  });
});
