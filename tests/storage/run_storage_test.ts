/**
 * `gam run` with a `storage:` section against a real loopback S3 server (versitygw): the run
 * folder in the seed's layout with README and manifest (version ids), grid rows pointing at
 * the bucket, GDAL reading a grid through `/vsis3/`, a recognisable secret nowhere in logs,
 * manifests or run folders, and a run whose bucket is down still succeeding, its upload
 * resumed by `gam storage push`.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { openDatabase } from "../../src/persistence/mod.ts";
import { gam, migrateServerDatabase, ROOT } from "../_gam_cli.ts";
import { moduleTempDir } from "../../src/_testing/temp_dir.ts";
import { startTestS3Server, type TestS3Server } from "../../src/storage/_testing.ts";
import { parseS3Uri, readStorageJournal } from "../../src/storage/mod.ts";

await migrateServerDatabase();
// deno-lint-ignore no-explicit-any
type Yaml = Record<string, any>;

/** The secret the test looks for everywhere afterwards. */
const SECRET = "GAMCANARY-s3-secret-7f3a9c1e5b2d";
const KEY_ID = "gamcanarykey0123";
const BUCKET = "gam-run-test";

async function tempConfig(server: TestS3Server, edit: (c: Yaml) => void = () => {}) {
  const dir = await moduleTempDir({ prefix: "gam-storage-run-" });
  const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as Yaml;
  c.defaults.bbox = [10.0, 45.0, 10.3, 45.3];
  c.defaults.outputDir = `${dir}/out`;
  c.defaults.cacheDir = `${dir}/cache`;
  c.defaults.logLevel = "debug";
  c.auth = { s3_key: { fromEnv: "TEST_S3_KEY_ID" }, s3_secret: { fromFile: `${dir}/s3_secret` } };
  c.storage = {
    endpoint: server.endpoint,
    bucket: BUCKET,
    phase: "phase1",
    credentials: { accessKeyId: "s3_key", secretAccessKey: "s3_secret" },
    retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
  };
  edit(c);
  await Deno.writeTextFile(`${dir}/s3_secret`, `${SECRET}\n`);
  const path = `${dir}/ingestion.yaml`;
  await Deno.writeTextFile(path, stringify(c));
  return { dir, path };
}

function dbOptions(dir: string) {
  const url = Deno.env.get("DATABASE_URL");
  return url ? { url } : { dataDir: `${dir}/out/db` };
}

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await allFiles(p));
    else if (e.isFile) out.push(p);
  }
  return out;
}

async function assertNoSecretIn(paths: string[], texts: Record<string, string>) {
  const needle = new TextEncoder().encode(SECRET);
  for (const p of paths) {
    const bytes = await Deno.readFile(p);
    const hay = new TextDecoder("latin1").decode(bytes);
    assert.ok(!hay.includes(new TextDecoder().decode(needle)), `the secret is in ${p}`);
  }
  for (const [name, text] of Object.entries(texts)) {
    assert.ok(!text.includes(SECRET), `the secret is in ${name}`);
  }
}

const ENV = { TEST_S3_KEY_ID: KEY_ID };

Deno.test({
  name: "gam run uploads its run folder in the seed's layout; GDAL reads a grid via /vsis3/",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startTestS3Server("versitygw", {
      accessKeyId: KEY_ID,
      secretAccessKey: SECRET,
    });
    try {
      const { dir, path } = await tempConfig(server);
      const run = await gam(["run", "--config", path, "--json"], ENV);
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(run.stdout);
      assert.equal(summary.status, "succeeded");
      assert.equal(summary.storage?.status, "uploaded", run.stderr);
      const date = summary.startedAt.slice(0, 10);
      const prefix = `phase1/preprocessing/${date}/${summary.runId}/`;
      const store = await server.store(BUCKET);

      // The layout: names with time, bbox tag and modality; README and manifest side by side.
      const keys: string[] = [];
      for await (const o of store.list(prefix)) keys.push(o.key.slice(prefix.length));
      assert.ok(keys.includes("manifest.json") && keys.includes("README.md"), keys.join("\n"));
      const stamp = summary.startedAt.slice(0, 19).replace(/[-:]/g, "") + "Z";
      const tag = "E010.000N45.000_E010.300N45.300";
      for (const m of ["gravity", "magnetic"]) {
        assert.ok(
          keys.some((k) => k.startsWith(`${stamp}_${tag}_${m}_`) && k.endsWith(".tif")),
          `a ${m} GeoTIFF named <time>_<bbox>_${m}_...: ${keys.join(", ")}`,
        );
        assert.ok(keys.some((k) => /\.zarr\/zarr\.json$/.test(k) && k.includes(`_${m}_`)));
      }
      const ingestionKeys: string[] = [];
      for await (const o of store.list(`phase1/ingestion/${date}/${summary.runId}/`)) {
        ingestionKeys.push(o.key);
      }
      assert.ok(ingestionKeys.some((k) => k.endsWith("_gravity_source.json")));
      assert.ok(ingestionKeys.some((k) => k.endsWith("/README.md")));

      // The manifest in the bucket records each object's version id; they are the real ones.
      const { bytes } = await store.getBytes(`${prefix}manifest.json`);
      const manifest = JSON.parse(new TextDecoder().decode(bytes));
      const objects = Object.values(manifest.storage.objects) as {
        key: string;
        versionId: string;
        sha256: string;
      }[];
      assert.ok(objects.length > 4);
      for (const o of objects.slice(0, 5)) {
        const head = await store.head(o.key, { versionId: o.versionId });
        assert.equal(head?.sha256, o.sha256, o.key);
      }
      const readme = new TextDecoder().decode((await store.getBytes(`${prefix}README.md`)).bytes);
      assert.match(readme, /\[10, 45, 10\.3, 45\.3\]/);
      assert.match(readme, /gdalinfo \/vsis3\//);
      assert.match(readme, /manifest\.json/);

      // The database's grid rows point at the GeoTIFFs in the bucket, with version ids.
      const db = await openDatabase({ ...dbOptions(dir), migrate: !Deno.env.get("DATABASE_URL") });
      let tifUri: string;
      try {
        const grids = await db.repo.gridsInBbox([10.0, 45.0, 10.3, 45.3]);
        const mine = grids.filter((g) => g.storageUri.includes(summary.runId));
        assert.ok(mine.length >= 2, JSON.stringify(grids.map((g) => g.storageUri)));
        for (const g of mine) {
          assert.match(g.storageUri, /^s3:\/\/gam-run-test\/.+\.tif\?versionId=/);
        }
        tifUri = mine[0].storageUri;
      } finally {
        await db.close();
      }

      // GDAL opens that grid straight from the bucket.
      const { key } = parseS3Uri(tifUri);
      const info = await new Deno.Command("gdalinfo", {
        args: [`/vsis3/${BUCKET}/${key}`],
        env: {
          AWS_ACCESS_KEY_ID: KEY_ID,
          AWS_SECRET_ACCESS_KEY: SECRET,
          AWS_S3_ENDPOINT: new URL(server.endpoint).host,
          AWS_VIRTUAL_HOSTING: "FALSE",
          AWS_HTTPS: "NO",
          AWS_REGION: "us-east-1",
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const gdalOut = new TextDecoder().decode(info.stdout);
      assert.equal(info.code, 0, new TextDecoder().decode(info.stderr));
      assert.match(gdalOut, /Driver: GTiff/);
      assert.match(gdalOut, /Size is \d+, \d+/);

      // gam qc and gam filter open the grids straight from the bucket (a version, a Zarr group).
      const qc = await gam(["qc", tifUri, "--config", path, "--json"], ENV);
      assert.equal(qc.code, 0, qc.stderr);
      assert.ok(JSON.parse(qc.stdout).completeness.cells > 0);
      const zarrKey = keys.find((k) => k.endsWith(".zarr/zarr.json"))!.replace(/\/zarr\.json$/, "");
      const filtered = `${dir}/smoothed.tif`;
      const filter = await gam([
        "filter",
        `s3://${BUCKET}/${prefix}${zarrKey}`,
        "--op",
        "gaussian",
        "--sigma",
        "1",
        "--out",
        filtered,
        "--config",
        path,
      ], ENV);
      assert.equal(filter.code, 0, filter.stderr);
      assert.ok((await Deno.stat(filtered)).size > 0);
      const missing = await gam(
        ["qc", `s3://${BUCKET}/${prefix}nothing.tif`, "--config", path],
        ENV,
      );
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /No object at s3:\/\/gam-run-test\//);

      // The secret is nowhere: stderr (debug logs), stdout, the run folders, the bucket's texts.
      await assertNoSecretIn(await allFiles(`${dir}/out/runs`), {
        stderr: run.stderr,
        stdout: run.stdout,
        "qc stderr": qc.stderr,
        "filter stderr": filter.stderr,
        "manifest in the bucket": new TextDecoder().decode(bytes),
        "README in the bucket": readme,
      });
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "a run whose bucket is down succeeds locally; gam storage push resumes the upload",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startTestS3Server("versitygw", {
      accessKeyId: KEY_ID,
      secretAccessKey: SECRET,
    });
    try {
      const { path } = await tempConfig(server, (c) => {
        c.modalities.magnetic.enabled = false;
        c.defaults.logLevel = "info";
      });
      await server.kill();
      const run = await gam(["run", "--config", path, "--json"], ENV);
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(run.stdout);
      assert.equal(summary.status, "succeeded");
      assert.equal(summary.storage.status, "pending");
      assert.match(run.stderr, /gam storage push/);
      const journal = await readStorageJournal(summary.runDir);
      assert.equal(journal?.status, "pending");

      await server.start();
      const push = await gam(["storage", "push", summary.runId, "--config", path, "--json"], ENV);
      assert.equal(push.code, 0, push.stderr);
      const pushed = JSON.parse(push.stdout);
      assert.ok(pushed.uploaded > 0);
      assert.equal((await readStorageJournal(summary.runDir))?.status, "uploaded");
      // Again: nothing to send, everything already there with the same bytes.
      const again = JSON.parse(
        (await gam(["storage", "push", summary.runId, "--config", path, "--json"], ENV)).stdout,
      );
      assert.equal(again.uploaded, 0);
      assert.equal(again.unchanged, pushed.uploaded + pushed.unchanged);
      assert.ok(!push.stderr.includes(SECRET) && !run.stderr.includes(SECRET));
    } finally {
      await server.stop();
    }
  },
});
