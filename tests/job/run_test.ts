/**
 * `gam run` end to end, as a user runs it: a real child process, real plugins in their
 * sandboxes, the real cache and database (PostgreSQL when DATABASE_URL is set, as in CI;
 * otherwise the embedded PGlite), and the files it writes.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { openDatabase } from "../../src/persistence/mod.ts";
import { exists, gam, migrateServerDatabase, ROOT, spawnGam } from "../_gam_cli.ts";
import { fetchDataset } from "../../src/datasets/mod.ts";
import { moduleTempDir } from "../../src/_testing/temp_dir.ts";

const BASE_CONFIG = `${ROOT}config/ingestion.yaml`;

await migrateServerDatabase();
// deno-lint-ignore no-explicit-any
type Yaml = Record<string, any>;

async function tempConfig(
  edit: (c: Yaml, dir: string) => void = () => {},
): Promise<{ dir: string; path: string }> {
  const dir = await moduleTempDir({ prefix: "gam-run-" });
  const c = parse(await Deno.readTextFile(BASE_CONFIG)) as Yaml;
  c.defaults.bbox = [10.0, 45.0, 10.4, 45.4];
  c.defaults.outputDir = `${dir}/out`;
  c.defaults.cacheDir = `${dir}/cache`;
  c.defaults.logLevel = "warn";
  edit(c, dir);
  const path = `${dir}/ingestion.yaml`;
  await Deno.writeTextFile(path, stringify(c));
  return { dir, path };
}

function dbOptions(dir: string) {
  const url = Deno.env.get("DATABASE_URL");
  return url ? { url } : { dataDir: `${dir}/out/db` };
}

Deno.test({
  name:
    "gam run: one modality fails, the other is persisted and reported; exit 1; warm rerun hits the cache",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { dir, path } = await tempConfig((c, dir) => {
      // The magnetic source points at a file that does not exist: that modality must fail
      // with a clear error while gravity completes.
      c.modalities.magnetic.source = {
        type: "plugin",
        plugin: "file",
        params: {
          path: `${dir}/missing-survey.csv`,
          columns: { lon: "longitude", lat: "latitude", value: "total_field_anomaly_nt" },
          units: "nT",
          licence: "test",
          citation: "test",
        },
        permissions: { net: [], read: [dir] },
      };
      c.modalities.magnetic.retry = { maxAttempts: 1 };
    });
    const cold = await gam(["run", "--config", path, "--json"]);
    assert.equal(cold.code, 1, cold.stderr);
    const summary = JSON.parse(cold.stdout);
    assert.equal(summary.status, "partial");
    const byName = Object.fromEntries(
      summary.modalities.map((m: { modality: string }) => [m.modality, m]),
    );
    assert.equal(byName.gravity.outcome, "ok");
    assert.equal(byName.gravity.cache, "miss");
    assert.equal(byName.gravity.pointsIn > 0, true);
    assert.equal(byName.magnetic.outcome, "failed");
    assert.match(byName.magnetic.error, /missing-survey\.csv/);

    // The run folder has everything the issue lists.
    const runDir = summary.runDir as string;
    for (const f of ["manifest.json", "anomalies.geojson", "report.html", "log.jsonl"]) {
      assert.ok(await exists(`${runDir}/${f}`), `${f} is written`);
    }
    for (const g of byName.gravity.grids) {
      assert.ok(await exists(`${g.zarr}/zarr.json`), `${g.zarr} is a Zarr group`);
      assert.ok((await Deno.stat(g.tif)).size > 1000, `${g.tif} is a GeoTIFF`);
    }
    const manifest = JSON.parse(await Deno.readTextFile(`${runDir}/manifest.json`));
    assert.equal(manifest.config.hash.length, 64);
    assert.ok(manifest.plugins.gravity.checksum.length === 64);
    assert.match(manifest.wasm.sourceHash, /^[0-9a-f]{64}$/);
    assert.match(manifest.wasm.wasmSha256, /^[0-9a-f]{64}$/);
    assert.ok(typeof manifest.code === "string" && manifest.code.length > 0);
    assert.ok(manifest.stages.gravity.some((s: { stage: string }) => s.stage === "grid"));
    const geojson = JSON.parse(await Deno.readTextFile(`${runDir}/anomalies.geojson`));
    assert.equal(geojson.type, "FeatureCollection");
    assert.equal(geojson.features.length, byName.gravity.anomalies);
    const html = await Deno.readTextFile(`${runDir}/report.html`);
    assert.match(html, /gravity \/ fine/);
    assert.match(html, /missing-survey\.csv/, "the failure is in the report");
    // The files were drafted while the database stored the results: they hold the final
    // summary, finish time included, and no placeholder.
    assert.equal(manifest.finishedAt, summary.finishedAt);
    assert.equal(manifest.status, summary.status);
    assert.equal(manifest.database, summary.database);
    assert.deepEqual(manifest.modalities, summary.modalities);
    assert.ok(html.includes(`finished ${summary.finishedAt}`));
    assert.doesNotMatch(html + JSON.stringify(manifest), /@@gam-finished-at/);

    // The database holds the gravity survey, its grids and anomalies, and the run's status.
    const db = await openDatabase(dbOptions(dir));
    try {
      const run = await db.repo.getRun(summary.runId);
      assert.equal(run?.status, "partial");
      const grids = await db.repo.gridsInBbox([10.0, 45.0, 10.4, 45.4], { modality: "gravity" });
      const ours = grids.filter((g) => g.storageUri.startsWith(runDir));
      assert.equal(ours.length, byName.gravity.grids.length);
      const anomalies = await db.repo.anomaliesInBbox([10.0, 45.0, 10.4, 45.4], {
        minConfidence: 0,
      });
      assert.ok(anomalies.items.length >= byName.gravity.anomalies);
    } finally {
      await db.close();
    }

    // A second run of the gravity modality is served from the cache, with the same grids.
    const warm = await gam(["run", "--config", path, "--json", "--modality", "gravity"]);
    assert.equal(warm.code, 0, warm.stderr);
    const w = JSON.parse(warm.stdout);
    assert.equal(w.modalities[0].cache, "hit");
    assert.deepEqual(
      w.modalities[0].grids.map((g: { checksum: string }) => g.checksum),
      byName.gravity.grids.map((g: { checksum: string }) => g.checksum),
    );
    assert.equal(w.modalities[0].outliersRemoved, byName.gravity.outliersRemoved);
  },
});

Deno.test({
  name:
    "gam run: when the database cannot be opened, the modalities fail on persistence and the run folder says so",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { dir, path } = await tempConfig();
    // Another process holds the embedded database (its lock file): this run cannot open it.
    await Deno.mkdir(`${dir}/out`, { recursive: true });
    using lock = await Deno.open(`${dir}/out/db.lock`, { create: true, write: true });
    await lock.lock(true);
    const r = await gam(["run", "--config", path, "--json"], { DATABASE_URL: "" });
    assert.equal(r.code, 1, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.status, "failed");
    assert.equal(s.database, undefined);
    for (const m of s.modalities) {
      assert.equal(m.outcome, "failed");
      assert.match(m.error, /persistence: .*in use by another gam process/);
    }
    const manifest = JSON.parse(await Deno.readTextFile(`${s.runDir}/manifest.json`));
    assert.equal(manifest.status, "failed");
    assert.equal(manifest.finishedAt, s.finishedAt);
    assert.equal("database" in manifest, false);
    assert.deepEqual(manifest.modalities, s.modalities);
    const html = await Deno.readTextFile(`${s.runDir}/report.html`);
    assert.match(html, /persistence: .*in use by another gam process/);
    assert.ok(html.includes(`finished ${s.finishedAt}`));
  },
});

Deno.test({
  name: "gam run: a plugin refused at load fails its modality only; the others complete",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { path } = await tempConfig((c) => {
      c.modalities.gravity.source.plugin = "nosuchplugin";
    });
    const r = await gam(["run", "--config", path, "--json"]);
    assert.equal(r.code, 1, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.status, "partial");
    const [gravity, magnetic] = s.modalities;
    assert.equal(gravity.outcome, "failed");
    assert.match(gravity.error, /nosuchplugin/);
    assert.equal(magnetic.outcome, "ok");
    assert.ok(await exists(`${s.runDir}/report.html`));
  },
});

Deno.test({
  name:
    "gam run --dry-run validates without fetching; usage and config errors exit 2 with one line",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { dir, path } = await tempConfig();
    const dry = await gam(["run", "--config", path, "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stderr, /valid; nothing was fetched/);
    assert.equal(await exists(`${dir}/out/runs`), false, "a dry run writes no run folder");

    const badFlag = await gam(["run", "--config", path, "--bogus"]);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /gam run: Unknown option '--bogus'/);

    const badBbox = await gam(["run", "--config", path, "--bbox", "170,0,-170,10"]);
    assert.equal(badBbox.code, 2);
    assert.match(badBbox.stderr, /antimeridian/);

    const badModality = await gam(["run", "--config", path, "--modality", "seismic"]);
    assert.equal(badModality.code, 2);
    assert.match(
      badModality.stderr,
      /--modality "seismic" is not configured \(configured: gravity, magnetic\)/,
    );

    const { path: badPipeline } = await tempConfig((c) => {
      c.modalities.gravity.pipeline.definition = "outlier(method=mad) -> gird(spacing=0.01)";
    });
    const pipe = await gam(["run", "--config", badPipeline]);
    assert.equal(pipe.code, 2, pipe.stderr);
    assert.match(pipe.stderr, /Unknown stage "gird" at column 24; known stages: .*grid/);
  },
});

Deno.test({
  name:
    "gam run stops cleanly on SIGINT: exit 130, run marked interrupted, no temporary files left",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { dir, path } = await tempConfig((c) => {
      // A large survey and a fine grid so that the run is still in its stages when the signal
      // arrives: 1601 x 1601 nodes of minimum curvature take seconds (the interrupt ends them);
      // at 0.001 degrees the grid took a quarter of a second, less than a loaded machine may
      // take to see the log line and send the signal.
      c.defaults.logLevel = "info"; // the test watches the log for the first stage
      c.modalities.gravity.source.params.stations = 400_000;
      c.modalities.gravity.pipeline.definition = "grid(method=mincurv, spacing=0.00025) -> qc";
      c.modalities.magnetic.enabled = false;
    });
    const child = spawnGam(["run", "--config", path, "--json"]);
    // Wait until the run has reached preprocessing (its log says so), then interrupt.
    const deadline = Date.now() + 120_000;
    let logFile: string | undefined;
    while (Date.now() < deadline) {
      const runs = await Array.fromAsync(Deno.readDir(`${dir}/out/runs`)).catch(() => []);
      if (runs.length > 0) {
        logFile = `${dir}/out/runs/${runs[0].name}/log.jsonl`;
        const text = await Deno.readTextFile(logFile).catch(() => "");
        if (text.includes('"stage start"') || text.includes('"msg":"gridded"')) break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill("SIGINT");
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 130, stderr);
    assert.match(stderr, /interrupted; stopping workers and cleaning up/);
    const summary = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(summary.status, "interrupted");
    assert.equal(summary.modalities[0].outcome, "interrupted");
    const tmp = await Array.fromAsync(Deno.readDir(`${dir}/cache/.tmp`)).catch(() => []);
    assert.equal(tmp.length, 0, "no partial cache entries are left");
    const db = await openDatabase(dbOptions(dir));
    try {
      assert.equal((await db.repo.getRun(summary.runId))?.status, "interrupted");
    } finally {
      await db.close();
    }
  },
});

Deno.test({
  name: "gam run on the real South African gravity survey (file plugin) grids and reports it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const file = await fetchDataset("south-africa-gravity.ast.gz");
    const { path } = await tempConfig((c) => {
      c.defaults.bbox = [26, -30, 29, -27];
      c.modalities.magnetic.enabled = false;
      c.modalities.gravity.source = {
        type: "plugin",
        plugin: "file",
        params: {
          path: file,
          columns: { lat: 1, lon: 2, height: 3, value: 4 },
          units: "mGal",
          licence: "Public domain",
          citation: "NOAA NCEI regional gravity data for Africa",
        },
        permissions: { net: [], read: [file] },
      };
      c.modalities.gravity.pipeline.definition =
        "normal-gravity -> bouguer(density=2670) -> outlier(method=mad, threshold=5) -> grid(method=idw, spacing=0.05, radius=0.3) -> qc";
    });
    const r = await gam(["run", "--config", path, "--json", "--no-cache"]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout).modalities[0];
    assert.equal(s.outcome, "ok");
    assert.ok(s.pointsIn > 500, `${s.pointsIn} stations in the bbox`);
    assert.equal(s.gridSize, "61 x 61");
    assert.ok(s.nanRatio < 0.5);
  },
});
