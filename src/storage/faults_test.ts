/**
 * Faults against a real loopback server (versitygw), killed in the middle of an upload and
 * started again: the upload resumes and completes, and the bucket never holds a partial
 * object under its final name.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { moduleTempDir } from "../_testing/temp_dir.ts";
import { bytesOf, startTestS3Server } from "./_testing.ts";
import {
  type ObjectStore,
  pushRun,
  readStorageJournal,
  resumePendingUploads,
  S3ObjectStore,
  StorageError,
} from "./mod.ts";

const MIB = 1024 * 1024;
const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

Deno.test("a server killed mid-multipart-upload leaves no object; the upload then completes", async () => {
  const server = await startTestS3Server();
  const dir = await moduleTempDir();
  try {
    await server.store("gam-faults");
    const data = bytesOf(23 * MIB, 11);
    await Deno.writeFile(`${dir}/grid.tif`, data);
    const store = new S3ObjectStore({
      endpoint: server.endpoint,
      bucket: "gam-faults",
      credentials: () =>
        Promise.resolve({
          accessKeyId: server.accessKeyId,
          secretAccessKey: server.secretAccessKey,
        }),
      multipart: { thresholdBytes: 6 * MIB, partSizeBytes: 5 * MIB, queueSize: 1 },
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, jitter: "none" },
    });
    try {
      // Kill the server as soon as the second part is in: the real middle of the upload.
      let killed: Promise<void> | undefined;
      store.client.middlewareStack.add(
        (next, context) => async (args) => {
          const result = await next(args);
          const input = args.input as { PartNumber?: number };
          if (context.commandName === "UploadPartCommand" && input.PartNumber === 2) {
            killed ??= server.kill();
            await killed;
          }
          return result;
        },
        { step: "initialize", name: "killServerAfterPart2" },
      );
      await assert.rejects(() => store.putFile("runs/grid.tif", `${dir}/grid.tif`), (e) => {
        assert.ok(e instanceof StorageError, String(e));
        assert.equal(e.retryable, true);
        return true;
      });
      assert.ok(killed, "the server was killed during the upload");
      await server.start();
      // Nothing under the final name: no current object, no version of it.
      const probe = await server.store("gam-faults");
      assert.equal(await probe.head("runs/grid.tif"), undefined);
      const versions = [];
      for await (const v of probe.listVersions("runs/")) versions.push(v.key);
      assert.deepEqual(versions, []);
      store.client.middlewareStack.remove("killServerAfterPart2");
      const put = await store.putFile("runs/grid.tif", `${dir}/grid.tif`);
      assert.equal(put.uploaded, true);
      assert.equal(put.multipart, true);
      const back = await probe.getBytes("runs/grid.tif");
      assert.equal(back.info.sha256, sha(data));
    } finally {
      store.close();
    }
  } finally {
    await server.stop();
  }
});

/** A store that kills the server after `after` puts (between two objects of a push). */
function killingAfter(store: ObjectStore, after: number, kill: () => Promise<void>): ObjectStore {
  let puts = 0;
  const counted = <T>(p: Promise<T>) =>
    p.then(async (v) => {
      if (++puts === after) await kill();
      return v;
    });
  return {
    bucket: store.bucket,
    putFile: (k, p, o) => counted(store.putFile(k, p, o)),
    putBytes: (k, b, o) => counted(store.putBytes(k, b, o)),
    getFile: (k, p, o) => store.getFile(k, p, o),
    getBytes: (k, o) => store.getBytes(k, o),
    head: (k, o) => store.head(k, o),
    list: (p) => store.list(p),
    listVersions: (p) => store.listVersions(p),
    delete: (k, o) => store.delete(k, o),
    uri: (k, v) => store.uri(k, v),
  };
}

async function fakeRunFolder(dir: string): Promise<Record<string, Uint8Array>> {
  const runDir = `${dir}/runs/run-fault-1`;
  const files: Record<string, Uint8Array> = {
    "grids/gravity-main.tif": bytesOf(2 * MIB, 1),
    "grids/gravity-main.zarr/zarr.json": new TextEncoder().encode('{"zarr_format":3}'),
    "grids/gravity-main.zarr/values/zarr.json": new TextEncoder().encode('{"shape":[2,2]}'),
    "grids/gravity-main.zarr/values/c/0/0": bytesOf(4096, 2),
    "grids/magnetic-main.tif": bytesOf(MIB, 3),
    "grids/magnetic-main.zarr/zarr.json": new TextEncoder().encode('{"zarr_format":3}'),
    "anomalies.geojson": new TextEncoder().encode('{"type":"FeatureCollection","features":[]}'),
    "report.html": new TextEncoder().encode("<html></html>"),
  };
  for (const [rel, bytes] of Object.entries(files)) {
    await Deno.mkdir(`${runDir}/${rel.split("/").slice(0, -1).join("/")}`, { recursive: true });
    await Deno.writeFile(`${runDir}/${rel}`, bytes);
  }
  const grid = (m: string) => ({
    branch: "main",
    zarr: `${runDir}/grids/${m}-main.zarr`,
    tif: `${runDir}/grids/${m}-main.tif`,
    checksum: "sha256:00",
  });
  await Deno.writeTextFile(
    `${runDir}/manifest.json`,
    JSON.stringify({
      runId: "run-fault-1",
      status: "succeeded",
      startedAt: "2026-12-04T10:00:00.000Z",
      finishedAt: "2026-12-04T10:01:00.000Z",
      bbox: [10, 45, 10.5, 45.5],
      modalities: [
        { modality: "gravity", outcome: "ok", grids: [grid("gravity")] },
        { modality: "magnetic", outcome: "ok", grids: [grid("magnetic")] },
      ],
      plugins: { gravity: { id: "synthetic", version: "1.0.0", citation: "synthetic" } },
    }),
  );
  return files;
}

Deno.test("a push interrupted by a server kill resumes: only the missing objects are sent", async () => {
  const server = await startTestS3Server();
  const dir = await moduleTempDir();
  try {
    const files = await fakeRunFolder(dir);
    const runDir = `${dir}/runs/run-fault-1`;
    const store = await server.store("gam-push");
    const root = { phase: "phase1" };
    const flaky = killingAfter(store, 3, () => server.kill());
    await assert.rejects(() => pushRun(runDir, { store: flaky, root }), StorageError);
    const pending = await readStorageJournal(runDir);
    assert.equal(pending?.status, "pending");
    assert.match(pending?.error ?? "", /attempts|refused|ECONNREFUSED|connect/i);

    await server.start();
    const done = await pushRun(runDir, { store, root });
    assert.equal(done.unchanged, 3, "the three objects sent before the kill are not sent again");
    assert.equal(done.journal.status, "uploaded");
    const prefix = "phase1/preprocessing/2026-12-04/run-fault-1/";
    for (const [rel, bytes] of Object.entries(files)) {
      const o = done.journal.objects[rel];
      assert.ok(o, `${rel} is in the journal`);
      assert.ok(o.key.startsWith(prefix), o.key);
      assert.equal(o.sha256, sha(bytes));
      const back = await store.getBytes(o.key, { versionId: o.versionId });
      assert.deepEqual(back.bytes, bytes, rel);
    }
    const manifest = JSON.parse(
      new TextDecoder().decode((await store.getBytes(`${prefix}manifest.json`)).bytes),
    );
    assert.deepEqual(
      Object.keys(manifest.storage.objects).sort(),
      [
        ...Object.keys(files),
        "ingestion/gravity_source.json",
      ].sort(),
    );
    assert.ok(await store.head(`${prefix}README.md`));
  } finally {
    await server.stop();
  }
});

Deno.test("pending uploads resume when the bucket is back; other folders are left alone", async () => {
  const server = await startTestS3Server();
  const dir = await moduleTempDir();
  try {
    await fakeRunFolder(dir);
    await Deno.mkdir(`${dir}/runs/never-pushed`, { recursive: true });
    const runDir = `${dir}/runs/run-fault-1`;
    const store = await server.store("gam-resume");
    const root = { phase: "phase1" };
    await server.kill();
    await assert.rejects(() => pushRun(runDir, { store, root }), StorageError);
    const down = await resumePendingUploads(`${dir}/runs`, { store, root });
    assert.deepEqual(down, { pushed: [], stillPending: ["run-fault-1"] });
    await server.start();
    const up = await resumePendingUploads(`${dir}/runs`, { store, root });
    assert.deepEqual(up, { pushed: ["run-fault-1"], stillPending: [] });
    assert.equal((await readStorageJournal(runDir))?.status, "uploaded");
    assert.equal(await readStorageJournal(`${dir}/runs/never-pushed`), undefined);
    assert.deepEqual(await resumePendingUploads(`${dir}/runs`, { store, root }), {
      pushed: [],
      stillPending: [],
    });
  } finally {
    await server.stop();
  }
});
