import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { moduleTempDir } from "../_testing/temp_dir.ts";
import { bytesOf, withTestS3Server } from "./_testing.ts";
import { ObjectChecksumError, S3ObjectStore, StorageConfigError, StorageError } from "./mod.ts";

const MIB = 1024 * 1024;
const text = (s: string) => new TextEncoder().encode(s);
const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

Deno.test("S3ObjectStore against versitygw: versions, idempotent puts, checksums", async (t) => {
  await withTestS3Server(async (server) => {
    const store = await server.store("gam-unit");

    await t.step("put then get returns the bytes of the version asked for", async () => {
      const v1 = await store.putBytes("a/b.txt", text("first version"));
      assert.equal(v1.uploaded, true);
      assert.equal(v1.sha256, sha(text("first version")));
      assert.ok(v1.versionId, "a versioned bucket returns a version id");
      const v2 = await store.putBytes("a/b.txt", text("second version"));
      assert.notEqual(v2.versionId, v1.versionId);
      const old = await store.getBytes("a/b.txt", { versionId: v1.versionId });
      assert.equal(new TextDecoder().decode(old.bytes), "first version");
      const cur = await store.getBytes("a/b.txt");
      assert.equal(new TextDecoder().decode(cur.bytes), "second version");
      assert.equal(cur.info.versionId, v2.versionId);
      const versions = [];
      for await (const v of store.listVersions("a/")) versions.push(v.versionId);
      assert.deepEqual(new Set(versions), new Set([v1.versionId, v2.versionId]));
    });

    await t.step("an identical object is not uploaded again", async () => {
      const first = await store.putBytes("same.txt", text("same bytes"));
      const again = await store.putBytes("same.txt", text("same bytes"));
      assert.equal(again.uploaded, false);
      assert.equal(again.versionId, first.versionId);
      let count = 0;
      for await (const _ of store.listVersions("same.txt")) count++;
      assert.equal(count, 1);
    });

    await t.step("a large file goes up in parts with per-part SHA-256", async () => {
      const dir = await moduleTempDir();
      const data = bytesOf(12 * MIB + 123, 7);
      await Deno.writeFile(`${dir}/big.bin`, data);
      const small = new S3ObjectStore({
        endpoint: server.endpoint,
        bucket: "gam-unit",
        credentials: () =>
          Promise.resolve({
            accessKeyId: server.accessKeyId,
            secretAccessKey: server.secretAccessKey,
          }),
        multipart: { thresholdBytes: 6 * MIB, partSizeBytes: 5 * MIB },
      });
      try {
        const put = await small.putFile("big/big.bin", `${dir}/big.bin`);
        assert.equal(put.multipart, true);
        assert.equal(put.sha256, sha(data));
        const head = await small.client.send(
          new HeadObjectCommand({
            Bucket: "gam-unit",
            Key: "big/big.bin",
            ChecksumMode: "ENABLED",
          }),
        );
        assert.match(head.ChecksumSHA256 ?? "", /-3$/, "three parts of 5 MiB for 12 MiB");
        const got = await small.getFile("big/big.bin", `${dir}/back.bin`);
        assert.equal(got.sha256, sha(data));
        assert.deepEqual(await Deno.readFile(`${dir}/back.bin`), data);
        const again = await small.putFile("big/big.bin", `${dir}/big.bin`);
        assert.equal(again.uploaded, false);
      } finally {
        small.close();
      }
    });

    await t.step("a corrupted object is detected by its checksum and never used", async () => {
      const dir = await moduleTempDir();
      const good = bytesOf(4096, 3);
      await store.putBytes("c/grid.bin", good);
      // Overwrite the bytes where versitygw keeps them (same length, other content).
      const onDisk = `${server.dataDir}/gam-unit/c/grid.bin`;
      const bad = bytesOf(4096, 4);
      await Deno.writeFile(onDisk, bad);
      await assert.rejects(() => store.getBytes("c/grid.bin"), (e) => {
        assert.ok(e instanceof ObjectChecksumError);
        assert.equal(e.expected, sha(good));
        assert.equal(e.actual, sha(bad));
        return true;
      });
      await assert.rejects(
        () => store.getFile("c/grid.bin", `${dir}/grid.bin`),
        ObjectChecksumError,
      );
      await assert.rejects(() => Deno.stat(`${dir}/grid.bin`), Deno.errors.NotFound);
      const left = [...Deno.readDirSync(dir)].map((e) => e.name);
      assert.deepEqual(left, [], "no temporary file is left behind");
    });

    await t.step("credentials are read at every request (rotation without restart)", async () => {
      let secret = "wrong-secret-0123456789";
      const rotating = new S3ObjectStore({
        endpoint: server.endpoint,
        bucket: "gam-unit",
        credentials: () =>
          Promise.resolve({ accessKeyId: server.accessKeyId, secretAccessKey: secret }),
        retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
      });
      try {
        await assert.rejects(() => rotating.putBytes("rot.txt", text("x")), (e) => {
          assert.ok(e instanceof StorageError);
          assert.equal(e.status, 403);
          assert.equal(e.retryable, false);
          assert.ok(!e.message.includes(secret), "the secret is not in the message");
          return true;
        });
        secret = server.secretAccessKey;
        const ok = await rotating.putBytes("rot.txt", text("x"));
        assert.equal(ok.uploaded, true);
      } finally {
        rotating.close();
      }
    });

    await t.step(
      "a stopped server: retryable errors, retried, then the circuit opens",
      async () => {
        const flaky = new S3ObjectStore({
          endpoint: server.endpoint,
          bucket: "gam-unit",
          credentials: () =>
            Promise.resolve({
              accessKeyId: server.accessKeyId,
              secretAccessKey: server.secretAccessKey,
            }),
          retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, jitter: "none" },
          circuitBreaker: { threshold: 3, halfOpenAfterMs: 60_000 },
        });
        await server.kill();
        try {
          await assert.rejects(() => flaky.head("a/b.txt"), (e) => {
            assert.ok(e instanceof StorageError);
            assert.equal(e.retryable, true);
            assert.match(e.message, /2 attempts/);
            return true;
          });
          await assert.rejects(() => flaky.head("a/b.txt"), StorageError);
          assert.equal(flaky.circuitState, "open");
          await assert.rejects(() => flaky.head("a/b.txt"), /circuit breaker is open/);
        } finally {
          flaky.close();
          await server.start();
        }
        assert.equal((await store.head("same.txt"))?.size, "same bytes".length);
      },
    );
  });
});

Deno.test("S3ObjectStore refuses plain http to a remote host unless allowed", () => {
  const credentials = () => Promise.resolve({ accessKeyId: "k", secretAccessKey: "s" });
  assert.throws(
    () => new S3ObjectStore({ endpoint: "http://s3.example.org", bucket: "b", credentials }),
    (e) => {
      assert.ok(e instanceof StorageConfigError);
      assert.match(e.message, /TLS is required/);
      return true;
    },
  );
  const allowed = new S3ObjectStore({
    endpoint: "http://s3.example.org",
    bucket: "b",
    credentials,
    allowPlainHttp: true,
  });
  allowed.close();
  new S3ObjectStore({ endpoint: "https://s3.example.org", bucket: "b", credentials }).close();
});
