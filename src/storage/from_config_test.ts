import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../config/mod.ts";
import { BASE, tempConfig, withLines } from "../config/_test_fixtures.ts";
import { openObjectStore } from "./from_config.ts";
import { startTestS3Server } from "./_testing.ts";

const STORAGE = [
  "auth:",
  "  s3_key: { fromEnv: TEST_S3_KEY }",
  "  s3_secret: { fromFile: SECRET_FILE }",
  "storage:",
  "  endpoint: ENDPOINT",
  "  bucket: gam-config-test",
  "  credentials: { accessKeyId: s3_key, secretAccessKey: s3_secret }",
];

function configText(endpoint: string, secretFile: string, extra: string[] = []): string {
  const lines = STORAGE.map((l) =>
    l.replace("ENDPOINT", endpoint).replace("SECRET_FILE", secretFile)
  );
  return withLines({}, [...BASE, ...lines, ...extra]);
}

Deno.test("without a storage section nothing opens", async () => {
  await using t = await tempConfig(withLines());
  const { config } = await loadConfig({ configPath: t.path, env: {} });
  assert.equal(config.storage, undefined);
  assert.equal(openObjectStore(config), undefined);
});

Deno.test("the storage section fills the seed's defaults", async () => {
  await using t = await tempConfig(configText("http://127.0.0.1:7070", "/x"));
  const { config } = await loadConfig({ configPath: t.path, env: {} });
  const s = config.storage!;
  assert.equal(s.phase, "phase1");
  assert.equal(s.forcePathStyle, true);
  assert.equal(s.multipart.thresholdBytes, 16 * 1024 * 1024);
  assert.deepEqual(s.lifecycle.rules.map((r) => r.prefix), [
    "ingestion",
    "preprocessing",
    "models",
  ]);
  for (const r of s.lifecycle.rules) {
    assert.deepEqual(
      [r.infrequentAccessAfter, r.infrequentAccessClass, r.archiveAfter, r.archiveClass],
      [90, "STANDARD_IA", 365, "GLACIER"],
    );
    assert.equal(r.expireAfter, undefined);
  }
});

Deno.test("plain http to a remote endpoint is refused at load with a clear message", async () => {
  await using t = await tempConfig(configText("http://s3.example.org", "/x"));
  await assert.rejects(() => loadConfig({ configPath: t.path, env: {} }), (e) => {
    assert.ok(e instanceof ConfigError);
    const issue = e.issues.find((i) => i.path === "storage.endpoint");
    assert.ok(issue, e.message);
    assert.match(issue.message, /TLS is required for non-loopback endpoints/);
    assert.match(issue.message, /allowPlainHttp/);
    return true;
  });
  await using ok = await tempConfig(
    configText("http://s3.example.org", "/x", ["  allowPlainHttp: true"]),
  );
  const { config } = await loadConfig({ configPath: ok.path, env: {} });
  assert.equal(config.storage?.allowPlainHttp, true);
});

Deno.test("credentials must name auth profiles", async () => {
  const text = configText("http://127.0.0.1:7070", "/x").replace(
    "accessKeyId: s3_key",
    "accessKeyId: nope",
  );
  await using t = await tempConfig(text);
  await assert.rejects(() => loadConfig({ configPath: t.path, env: {} }), (e) => {
    assert.ok(e instanceof ConfigError);
    assert.ok(
      e.issues.some((i) =>
        i.path === "storage.credentials.accessKeyId" && /"nope" is not defined/.test(i.message)
      ),
      e.message,
    );
    return true;
  });
});

Deno.test("the store reads its credentials from env and file at every request", async () => {
  const server = await startTestS3Server();
  try {
    await using t = await tempConfig("placeholder");
    const secretFile = `${t.dir}/s3_secret`;
    await Deno.writeTextFile(t.path, configText(server.endpoint, secretFile));
    const { config } = await loadConfig({ configPath: t.path, env: {} });
    const env: Record<string, string> = { TEST_S3_KEY: server.accessKeyId };
    await Deno.writeTextFile(secretFile, "not-the-secret-0123456789\n");
    const store = openObjectStore(config, { getEnv: (n) => env[n] })!;
    try {
      await assert.rejects(() => store.ensureBucket(), /HTTP 403/);
      // Rotate the file: the next request uses the new secret, no new store needed.
      await Deno.writeTextFile(secretFile, `${server.secretAccessKey}\n`);
      await store.ensureBucket();
      const put = await store.putBytes("k.txt", new TextEncoder().encode("v"));
      assert.ok(put.versionId);
    } finally {
      store.close();
    }
  } finally {
    await server.stop();
  }
});
