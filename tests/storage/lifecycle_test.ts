/**
 * `gam storage lifecycle show|apply` against loopback servers: moto (which implements the bucket
 * lifecycle API) proves the rules are applied, read back and equal; versitygw 1.8.0 (which
 * answers NotImplemented) gets a clear error, not a silent success.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { gam, ROOT } from "../_gam_cli.ts";
import { moduleTempDir } from "../../src/_testing/temp_dir.ts";
import { startTestS3Server, type TestS3Server } from "../../src/storage/_testing.ts";
import { diffLifecycle, renderLifecycle } from "../../src/storage/mod.ts";
import { ConfigSchema } from "../../src/config/mod.ts";

// deno-lint-ignore no-explicit-any
type Yaml = Record<string, any>;

async function configFor(server: TestS3Server, rules?: unknown[]) {
  const dir = await moduleTempDir({ prefix: "gam-lifecycle-" });
  const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as Yaml;
  c.defaults.outputDir = `${dir}/out`;
  c.auth = { s3_key: { fromEnv: "TEST_S3_KEY_ID" }, s3_secret: { fromEnv: "TEST_S3_SECRET" } };
  c.storage = {
    endpoint: server.endpoint,
    bucket: "gam-lifecycle",
    phase: "phase2",
    credentials: { accessKeyId: "s3_key", secretAccessKey: "s3_secret" },
    retry: { maxAttempts: 1 },
    ...(rules ? { lifecycle: { rules } } : {}),
  };
  const path = `${dir}/ingestion.yaml`;
  await Deno.writeTextFile(path, stringify(c));
  return {
    path,
    env: { TEST_S3_KEY_ID: server.accessKeyId, TEST_S3_SECRET: server.secretAccessKey },
  };
}

Deno.test({
  name: "lifecycle apply on moto: the seed's defaults per prefix, read back and equal",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startTestS3Server("moto");
    try {
      const { path, env } = await configFor(server);
      const before = await gam(["storage", "lifecycle", "show", "--config", path, "--json"], env);
      assert.equal(before.code, 0, before.stderr);
      const shown = JSON.parse(before.stdout);
      assert.deepEqual(shown.actual, []);
      assert.equal(shown.differences.length, 3, "three default rules missing in the bucket");
      assert.deepEqual(
        shown.wanted.map((r: { prefix: string }) => r.prefix),
        ["phase2/ingestion/", "phase2/models/", "phase2/preprocessing/"],
      );
      for (const r of shown.wanted) {
        assert.deepEqual(r.transitions, [
          { days: 90, storageClass: "STANDARD_IA" },
          { days: 365, storageClass: "GLACIER" },
        ]);
        assert.equal(r.expireDays, undefined);
      }

      const applied = await gam(["storage", "lifecycle", "apply", "--config", path], env);
      assert.equal(applied.code, 0, applied.stderr);
      assert.match(applied.stdout, /applied, read back and equal/);
      const after = JSON.parse(
        (await gam(["storage", "lifecycle", "show", "--config", path, "--json"], env)).stdout,
      );
      assert.deepEqual(after.differences, []);
      assert.deepEqual(after.actual, after.wanted);

      // A per-prefix change with an expiry: show reports the difference, apply fixes it.
      const custom = await configFor(server, [
        {
          prefix: "models",
          infrequentAccessAfter: "30d",
          archiveAfter: "180d",
          expireAfter: "730d",
        },
        { prefix: "ingestion" },
      ]);
      const drift = JSON.parse(
        (await gam(["storage", "lifecycle", "show", "--config", custom.path, "--json"], env))
          .stdout,
      );
      assert.ok(drift.differences.some((d: string) => /gam-models: transitions/.test(d)));
      assert.ok(drift.differences.some((d: string) => /gam-preprocessing: in the bucket/.test(d)));
      const fixed = await gam(
        ["storage", "lifecycle", "apply", "--config", custom.path, "--json"],
        env,
      );
      assert.equal(fixed.code, 0, fixed.stderr);
      const result = JSON.parse(fixed.stdout);
      assert.deepEqual(result.differences, []);
      const models = result.actual.find((r: { id: string }) => r.id === "gam-models");
      assert.equal(models.expireDays, 730);
      assert.equal(models.transitions[0].days, 30);
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "lifecycle apply on versitygw fails clearly: the server lacks the API",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startTestS3Server("versitygw");
    try {
      const { path, env } = await configFor(server);
      const r = await gam(["storage", "lifecycle", "apply", "--config", path], env);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /does not implement the bucket lifecycle API/);
    } finally {
      await server.stop();
    }
  },
});

Deno.test("diffLifecycle() names each field that differs", () => {
  const storage = ConfigSchema.parse({
    version: 1,
    defaults: { bbox: [10, 45, 11, 46] },
    auth: { k: { fromEnv: "K" } },
    storage: { bucket: "gam-b", credentials: { accessKeyId: "k", secretAccessKey: "k" } },
    modalities: {
      gravity: { units: "mGal", source: { plugin: "synthetic" }, pipeline: PIPE },
      magnetic: { units: "nT", source: { plugin: "synthetic" }, pipeline: PIPE },
    },
  }).storage!;
  const wanted = renderLifecycle(storage);
  assert.deepEqual(diffLifecycle(wanted, structuredClone(wanted)), []);
  const changed = structuredClone(wanted);
  changed[0].transitions[1].days = 400;
  delete changed[1].abortIncompleteDays;
  const diff = diffLifecycle(wanted, changed);
  assert.equal(diff.length, 2);
  assert.match(diff[0], /^rule gam-ingestion: transitions is .*400.*expected .*365/);
  assert.match(diff[1], /^rule gam-models: abortIncompleteDays is unset, expected 7/);
});

const PIPE = { version: "1.0.0", definition: "grid(spacing=0.1) -> qc" };
