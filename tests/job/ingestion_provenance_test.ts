/**
 * The main job records each modality's ingestion provenance from the ingestion service's
 * pre-fetch and post-fetch hooks (request, plugin identity, duration, bytes, cache decision) in
 * the run manifest and the metadata table, and the cache honours a plugin's caching hints within
 * the configured TTL. Real `gam run` processes, a real plugin process, the embedded database.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { openDatabase } from "../../src/persistence/mod.ts";
import { collect, ROOT, spawnGam } from "../_gam_cli.ts";

const K = 20; // stations per side

const PLUGIN =
  `import { type FetchRequest, type PluginManifest, pointsData } from "@gam/pipeline/plugin";
export const manifest: PluginManifest = { id: "hinted", version: "1.0.0", apiVersion: "1.1.0",
  modalities: ["gravity"], description: "A smooth field with a caching hint from params.hint",
  licence: "CC0-1.0", citation: "test", permissions: { net: [], read: [] } };
export function createPlugin() {
  return { fetch(req: FetchRequest) {
    const [w, s, e, n] = req.bbox;
    const lon: number[] = [], lat: number[] = [], value: number[] = [];
    for (let i = 0; i < ${K}; i++) for (let j = 0; j < ${K}; j++) {
      const x = w + (e - w) * (j + 0.5) / ${K}, y = s + (n - s) * (i + 0.5) / ${K};
      lon.push(x); lat.push(y); value.push(Math.sin(4 * x) + Math.cos(3 * y));
    }
    return Promise.resolve(pointsData(req, { manifest, units: "mGal", lon, lat, value,
      metadata: { cache: req.params.hint as { ttlSeconds?: number; store?: boolean } } }));
  } };
}
`;

async function gamRun(dir: string) {
  const out = await collect(
    spawnGam([
      "run",
      "--config",
      `${dir}/gam.yaml`,
      "--modality",
      "gravity",
      "--output-dir",
      `${dir}/out`,
      "--json",
    ], { cwd: dir, env: { DATABASE_URL: "" } }),
  );
  assert.equal(out.code, 0, out.stdout + out.stderr.slice(-3000));
  const runs = [...Deno.readDirSync(`${dir}/out/runs`)].map((e) => e.name).sort();
  const runId = runs[runs.length - 1];
  const manifest = JSON.parse(await Deno.readTextFile(`${dir}/out/runs/${runId}/manifest.json`));
  return { runId, manifest, runs: runs.length };
}

async function configure(dir: string, hint: unknown) {
  const config = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`));
  config.defaults.cacheDir = `${dir}/cache`;
  config.modalities.gravity.source = {
    type: "plugin",
    plugin: "hinted",
    module: `${dir}/plugin/mod.ts`,
    params: { hint },
    permissions: { net: [], read: [] },
  };
  await Deno.writeTextFile(`${dir}/gam.yaml`, stringify(config));
  return config;
}

Deno.test("gam run records ingestion provenance from the fetch hooks and honours plugin caching hints", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-prov-" }));
  try {
    await Deno.mkdir(`${dir}/plugin`);
    await Deno.writeTextFile(`${dir}/plugin/deno.json`, "{}\n");
    await Deno.writeTextFile(`${dir}/plugin/mod.ts`, PLUGIN);

    // A TTL hint shorter than the configured one: fetched, cached with the plugin's TTL.
    const config = await configure(dir, { ttlSeconds: 120 });
    const first = await gamRun(dir);
    const p = first.manifest.ingestion.gravity;
    assert.equal(p.cache, "miss");
    assert.deepEqual(p.request.bbox, config.defaults.bbox);
    assert.deepEqual(p.request.params, { hint: { ttlSeconds: 120 } });
    assert.equal(p.plugin.id, "hinted");
    assert.equal(p.plugin.module, `file://${dir}/plugin/mod.ts`);
    assert.equal(p.plugin.graphHash, first.manifest.plugins.gravity.graphHash);
    assert.equal(p.fetches.length, 1);
    assert.equal(p.fetches[0].outcome, "ok");
    assert.equal(p.fetches[0].bytes, K * K * 3 * 8); // lon, lat, value as float64
    assert.ok(p.fetches[0].durationSeconds > 0);
    assert.match(p.fetches[0].traceId, /^fetch-/);
    assert.equal(p.fetches[0].checksum, `sha256:${first.manifest.plugins.gravity.checksum}`);
    const entries = [...Deno.readDirSync(`${dir}/cache/ingestion/gravity`)];
    assert.equal(entries.length, 1);
    const attrs = JSON.parse(
      await Deno.readTextFile(`${dir}/cache/ingestion/gravity/${entries[0].name}/zarr.json`),
    ).attributes.gam;
    assert.equal(attrs.ttlSeconds, 120);
    assert.equal(Date.parse(attrs.expiresAt) - Date.parse(attrs.cachedAt), 120_000);

    // The same request again: a cache hit, no plugin fetch.
    const second = await gamRun(dir);
    assert.equal(second.manifest.ingestion.gravity.cache, "hit");
    assert.deepEqual(second.manifest.ingestion.gravity.fetches, []);

    // A TTL hint above the configured TTL is capped by it.
    await configure(dir, { ttlSeconds: 10 ** 9 });
    await gamRun(dir);
    const capped = [...Deno.readDirSync(`${dir}/cache/ingestion/gravity`)].map((e) =>
      JSON.parse(Deno.readTextFileSync(`${dir}/cache/ingestion/gravity/${e.name}/zarr.json`))
        .attributes.gam.ttlSeconds
    ).sort((a, b) => a - b);
    const configured = 7 * 24 * 3600; // config/ingestion.yaml: gravity cache.ttl 7d
    assert.deepEqual(capped, [120, configured]);

    // "Do not cache": fetched each time, never stored.
    await configure(dir, { store: false });
    const third = await gamRun(dir);
    assert.equal(third.manifest.ingestion.gravity.cache, "no-store");
    const fourth = await gamRun(dir);
    assert.equal(fourth.manifest.ingestion.gravity.cache, "no-store");
    assert.equal(fourth.manifest.ingestion.gravity.fetches.length, 1);
    assert.equal([...Deno.readDirSync(`${dir}/cache/ingestion/gravity`)].length, 2);

    // The metadata table holds the same record.
    const db = await openDatabase({ url: "", dataDir: `${dir}/out/db` });
    try {
      const rows = await db.repo.listMetadata(fourth.runId, "ingestion/gravity");
      assert.equal(rows.length, 1);
      assert.deepEqual(rows[0].value, fourth.manifest.ingestion.gravity);
    } finally {
      await db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
