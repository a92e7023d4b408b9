/**
 * Retention: `gam storage prune --dry-run` over real run folders, a real cache and a real
 * bucket (versitygw) lists what the ages let go and never a pinned entry or anything a kept
 * run's manifest references; and the pure planner's rules one by one.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { gam, migrateServerDatabase, ROOT } from "../_gam_cli.ts";
import { moduleTempDir } from "../../src/_testing/temp_dir.ts";
import { FsCacheStore } from "../../src/cache/mod.ts";
import { startTestS3Server } from "../../src/storage/_testing.ts";
import { planPrune, pushRun, type RunInfo } from "../../src/storage/mod.ts";

await migrateServerDatabase();
// deno-lint-ignore no-explicit-any
type Yaml = Record<string, any>;
const DAY_MS = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY_MS);

async function runFolder(outputDir: string, runId: string, started: Date, checksum: string) {
  const runDir = `${outputDir}/runs/${runId}`;
  await Deno.mkdir(runDir, { recursive: true });
  await Deno.writeTextFile(`${runDir}/report.html`, `<html>${runId}</html>`);
  await Deno.writeTextFile(
    `${runDir}/manifest.json`,
    JSON.stringify({
      runId,
      status: "succeeded",
      startedAt: started.toISOString(),
      finishedAt: started.toISOString(),
      bbox: [10, 45, 10.5, 45.5],
      modalities: [],
      plugins: { gravity: { id: "synthetic", version: "1.0.0", checksum, citation: "test" } },
    }),
  );
  return runDir;
}

async function cacheEntry(
  cache: FsCacheStore,
  path: string,
  cachedAt: Date,
  checksum: string,
  pinned = false,
) {
  await cache.put(path, async (dir) => {
    await Deno.writeTextFile(
      `${dir}/zarr.json`,
      JSON.stringify({
        zarr_format: 3,
        node_type: "group",
        attributes: { gam: { cachedAt: cachedAt.toISOString(), checksum } },
      }),
    );
  });
  if (pinned) await cache.setPinned(path, true);
}

Deno.test({
  name: "gam storage prune: --dry-run lists old data and removes nothing; then exactly that goes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startTestS3Server();
    try {
      const dir = await moduleTempDir({ prefix: "gam-prune-" });
      const outputDir = `${dir}/out`;
      const cacheDir = `${dir}/cache`;
      // Three runs: the oldest expires; the middle one is old but one of the last two kept.
      const oldA = await runFolder(outputDir, "run-old-a", daysAgo(400), "sha256:aaa");
      // Real run manifests record the raw data's checksum as bare hex; cache entries as sha256:<hex>.
      const oldB = await runFolder(outputDir, "run-old-b", daysAgo(200), "bbb");
      await runFolder(outputDir, "run-new", daysAgo(1), "sha256:ccc");
      const store = await server.store("gam-prune");
      await pushRun(oldA, { store, root: { phase: "phase1" } });
      await pushRun(oldB, { store, root: { phase: "phase1" } });

      const cache = new FsCacheStore(cacheDir);
      await cacheEntry(cache, "ingestion/gravity/only-old-run", daysAgo(300), "sha256:aaa");
      await cacheEntry(cache, "ingestion/gravity/kept-run-uses", daysAgo(300), "sha256:bbb");
      await cacheEntry(cache, "ingestion/gravity/pinned", daysAgo(300), "sha256:zzz", true);
      await cacheEntry(cache, "preprocessing/gravity/young", daysAgo(10), "sha256:yyy");

      const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as Yaml;
      c.defaults.outputDir = outputDir;
      c.defaults.cacheDir = cacheDir;
      c.auth = { k: { fromEnv: "TEST_S3_KEY_ID" }, s: { fromEnv: "TEST_S3_SECRET" } };
      c.storage = {
        endpoint: server.endpoint,
        bucket: "gam-prune",
        credentials: { accessKeyId: "k", secretAccessKey: "s" },
      };
      c.retention = { raw: "180d", processed: "180d", runFolders: "90d", keepLastRuns: 2 };
      const path = `${dir}/ingestion.yaml`;
      await Deno.writeTextFile(path, stringify(c));
      const env = { TEST_S3_KEY_ID: server.accessKeyId, TEST_S3_SECRET: server.secretAccessKey };

      const r = await gam(["storage", "prune", "--dry-run", "--json", "--config", path], env);
      assert.equal(r.code, 0, r.stderr);
      const plan = JSON.parse(r.stdout);
      assert.deepEqual(plan.runFolders.map((x: { id: string }) => x.id), ["run-old-a"]);
      assert.deepEqual(plan.cacheEntries.map((x: { id: string }) => x.id), [
        "ingestion/gravity/only-old-run",
      ]);
      const protectedIds = plan.protected.map((x: { id: string }) => x.id);
      assert.ok(protectedIds.includes("ingestion/gravity/pinned"));
      assert.ok(protectedIds.includes("ingestion/gravity/kept-run-uses"));
      assert.ok(protectedIds.includes("run-old-b"));
      const objectKeys = plan.objects.map((x: { id: string }) => x.id) as string[];
      assert.ok(objectKeys.length > 0);
      assert.ok(objectKeys.every((k) => k.includes("/run-old-a/")), objectKeys.join("\n"));
      assert.ok(plan.objects.every((o: { versionId?: string }) => o.versionId));

      // A dry run removes nothing.
      assert.ok((await Deno.stat(oldA)).isDirectory);
      assert.equal((await cache.list()).length, 4);
      assert.ok(await store.head(objectKeys[0]));
      const human = await gam(["storage", "prune", "--dry-run", "--config", path], env);
      assert.match(human.stdout, /dry run: nothing is removed/);
      assert.match(human.stdout, /kept run run-old-b references its data/);

      // Without --dry-run: exactly the listed things go, the protected ones stay.
      const real = await gam(["storage", "prune", "--json", "--config", path], env);
      assert.equal(real.code, 0, real.stderr);
      const removed = JSON.parse(real.stdout).removed;
      assert.equal(removed.runFolders, 1);
      assert.equal(removed.cacheEntries, 1);
      assert.equal(removed.objects, objectKeys.length);
      await assert.rejects(() => Deno.stat(oldA), Deno.errors.NotFound);
      assert.ok((await Deno.stat(oldB)).isDirectory);
      assert.deepEqual((await cache.list()).map((e) => e.path).sort(), [
        "ingestion/gravity/kept-run-uses",
        "ingestion/gravity/pinned",
        "preprocessing/gravity/young",
      ]);
      const left: string[] = [];
      for await (const v of store.listVersions("phase1/")) left.push(v.key);
      assert.ok(left.length > 0 && left.every((k) => k.includes("/run-old-b/")), left.join("\n"));
    } finally {
      await server.stop();
    }
  },
});

function run(id: string, ageDays: number, refs: Partial<RunInfo["references"]> = {}): RunInfo {
  return {
    runId: id,
    startedAt: daysAgo(ageDays),
    runDir: `out/runs/${id}`,
    inDatabase: true,
    status: "succeeded",
    references: { checksums: refs.checksums ?? [], objectKeys: refs.objectKeys ?? [] },
  };
}

Deno.test("planPrune() keeps objects a kept run references, even under an expired run's prefix", () => {
  const root = "phase1/";
  const shared = `${root}preprocessing/2025-01-01/run-a/grid.tif`;
  const plan = planPrune({
    now: new Date(),
    retention: { keepLastRuns: 0, runFolders: 90 * 86_400, databaseRows: 365 * 86_400 },
    runs: [run("run-a", 500), run("run-b", 5, { objectKeys: [shared] }), run("run-c", 100)],
    cacheEntries: [],
    bucket: {
      root,
      objects: [
        { key: shared, versionId: "v1", size: 1, lastModified: daysAgo(500) },
        { key: `${root}preprocessing/2025-01-01/run-a/report.html`, size: 1 },
        { key: `${root}cache/ingestion/x`, size: 1, lastModified: daysAgo(500) },
      ],
    },
  });
  assert.deepEqual(plan.runFolders.map((r) => r.id).sort(), ["run-a", "run-c"]);
  assert.deepEqual(plan.databaseRuns.map((r) => r.id), ["run-a"]);
  assert.deepEqual(plan.objects.map((o) => o.id), [
    `${root}preprocessing/2025-01-01/run-a/report.html`,
  ]);
  assert.match(plan.protected.find((p) => p.id === shared)!.reason, /kept run run-b references/);
  assert.deepEqual(plan.keptRuns, ["run-b"]);
});

Deno.test("planPrune() without ages keeps everything; running runs are never pruned", () => {
  const all = planPrune({
    now: new Date(),
    retention: { keepLastRuns: 0 },
    runs: [run("a", 1000), run("b", 2000)],
    cacheEntries: [{ path: "ingestion/g/x", cachedAt: daysAgo(1000), pinned: false, sizeBytes: 1 }],
  });
  assert.deepEqual([all.runFolders, all.databaseRuns, all.cacheEntries, all.objects], [
    [],
    [],
    [],
    [],
  ]);
  const running = planPrune({
    now: new Date(),
    retention: { keepLastRuns: 0, runFolders: 86_400, databaseRows: 86_400 },
    runs: [{ ...run("r", 10), status: "running" }],
    cacheEntries: [],
  });
  assert.deepEqual([running.runFolders, running.databaseRuns], [[], []]);
});
