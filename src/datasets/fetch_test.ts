import assert from "node:assert/strict";
import {
  cacheAction,
  type DatasetEntry,
  DATASETS,
  DatasetUnavailableError,
  fetchDataset,
  UnknownDatasetError,
} from "./mod.ts";

const BYTES = new TextEncoder().encode("lon,lat,value\n1,2,3\n");
const HASH = `sha256:${
  Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", BYTES)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("")
}`;

function entry(url?: string): Record<string, DatasetEntry> {
  return {
    "t.csv": {
      file: "t.csv",
      sha256: HASH,
      size: BYTES.length,
      description: "test table",
      licence: "CC0-1.0",
      citation: "test",
      source: { url: "https://example.invalid/t.csv.xz", note: "xz upstream" },
      url,
    },
  };
}

/** A loopback server answering with `responses` in turn (then the last one again). */
function serve(
  responses: (() => Response)[],
): { url: string; hits: () => number; close: () => Promise<void> } {
  let n = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    const r = responses[Math.min(n, responses.length - 1)]();
    n++;
    return r;
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/t.csv`,
    hits: () => n,
    close: () => server.shutdown(),
  };
}

async function withDirs(fn: (shared: string, cache: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "gam-datasets-test-" });
  try {
    await Deno.mkdir(`${root}/shared`);
    await fn(`${root}/shared`, `${root}/cache`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("cacheAction() decides like Pooch: fetch when absent, update on another hash, else use", () => {
  assert.equal(cacheAction(false, false), "fetch");
  assert.equal(cacheAction(false, true), "fetch");
  assert.equal(cacheAction(true, false), "update");
  assert.equal(cacheAction(true, true), "use");
});

Deno.test("fetchDataset() prefers the shared folder, then the cache folder", async () => {
  await withDirs(async (shared, cache) => {
    await Deno.mkdir(cache, { recursive: true });
    await Deno.writeFile(`${cache}/t.csv`, BYTES);
    const reg = entry();
    assert.equal(
      await fetchDataset("t.csv", { sharedDir: shared, cacheDir: cache, registry: reg }),
      `${cache}/t.csv`,
    );
    await Deno.writeFile(`${shared}/t.csv`, BYTES);
    // A new shared folder: a different memo key, so the lookup runs again.
    assert.equal(
      await fetchDataset("t.csv", { sharedDir: `${shared}/`, cacheDir: cache, registry: reg }),
      `${shared}/t.csv`,
    );
  });
});

Deno.test("fetchDataset() downloads into the cache folder, checks the hash and leaves no temp file", async () => {
  const server = serve([() => new Response(BYTES)]);
  try {
    await withDirs(async (shared, cache) => {
      const path = await fetchDataset("t.csv", {
        sharedDir: shared,
        cacheDir: cache,
        registry: entry(server.url),
      });
      assert.equal(path, `${cache}/t.csv`);
      assert.deepEqual(await Deno.readFile(path), BYTES);
      assert.deepEqual((await Array.fromAsync(Deno.readDir(cache))).map((e) => e.name), ["t.csv"]);
    });
  } finally {
    await server.close();
  }
});

Deno.test("fetchDataset() replaces a cached file whose hash is wrong", async () => {
  const server = serve([() => new Response(BYTES)]);
  try {
    await withDirs(async (shared, cache) => {
      await Deno.mkdir(cache, { recursive: true });
      await Deno.writeTextFile(`${cache}/t.csv`, "corrupted");
      const path = await fetchDataset("t.csv", {
        sharedDir: shared,
        cacheDir: cache,
        registry: entry(server.url),
      });
      assert.deepEqual(await Deno.readFile(path), BYTES);
      assert.equal(server.hits(), 1);
    });
  } finally {
    await server.close();
  }
});

Deno.test("fetchDataset() retries a 503 a bounded number of times", async () => {
  const server = serve([() => new Response("busy", { status: 503 }), () => new Response(BYTES)]);
  try {
    await withDirs(async (shared, cache) => {
      await fetchDataset("t.csv", {
        sharedDir: shared,
        cacheDir: cache,
        registry: entry(server.url),
        retryDelayMs: 1,
      });
      assert.equal(server.hits(), 2);
    });
  } finally {
    await server.close();
  }
  const down = serve([() => new Response("busy", { status: 503 })]);
  try {
    await withDirs(async (shared, cache) => {
      await assert.rejects(
        fetchDataset("t.csv", {
          sharedDir: shared,
          cacheDir: cache,
          registry: entry(down.url),
          attempts: 3,
          retryDelayMs: 1,
        }),
        (e: unknown) =>
          e instanceof DatasetUnavailableError &&
          /3 attempts failed; last: HTTP 503/.test(e.message),
      );
      assert.equal(down.hits(), 3);
    });
  } finally {
    await down.close();
  }
});

Deno.test("fetchDataset() rejects a download with another hash and writes nothing", async () => {
  const server = serve([() => new Response("other bytes")]);
  try {
    await withDirs(async (shared, cache) => {
      await assert.rejects(
        fetchDataset("t.csv", { sharedDir: shared, cacheDir: cache, registry: entry(server.url) }),
        (e: unknown) =>
          e instanceof DatasetUnavailableError && e.message.includes(`expected ${HASH}`) &&
          e.message.includes('"t.csv"'),
      );
      assert.deepEqual(await Array.fromAsync(Deno.readDir(cache)), []);
    });
  } finally {
    await server.close();
  }
});

Deno.test("fetchDataset() without data or download names the file, the folders and the source", async () => {
  await withDirs(async (shared, cache) => {
    await assert.rejects(
      fetchDataset("t.csv", { sharedDir: shared, cacheDir: cache, registry: entry() }),
      (e: unknown) =>
        e instanceof DatasetUnavailableError && e.file === "t.csv" &&
        e.message.includes(`not in ${shared}`) && e.message.includes(`not in ${cache}`) &&
        e.message.includes("https://example.invalid/t.csv.xz"),
    );
  });
  await assert.rejects(fetchDataset("nope.csv"), UnknownDatasetError);
});

Deno.test("the registry's entries are complete and each sha256 is well formed", () => {
  assert.deepEqual(Object.keys(DATASETS).sort(), [
    "gravity-earth-0.5deg.nc",
    "icgem-sample.gdf",
    "rio-magnetic.csv.gz",
    "south-africa-gravity.ast.gz",
  ]);
  for (const [name, e] of Object.entries(DATASETS)) {
    assert.equal(e.file, name);
    assert.match(e.sha256, /^sha256:[0-9a-f]{64}$/);
    assert.ok(
      e.size > 0 && e.licence !== "" && e.citation !== "" && e.source.url.startsWith("https://"),
    );
  }
});

Deno.test("every registered file is found with its registered size (the hash is checked on the way)", async () => {
  for (const [name, e] of Object.entries(DATASETS)) {
    const path = await fetchDataset(name);
    assert.ok(path.endsWith(`/${name}`), path);
    assert.equal((await Deno.stat(path)).size, e.size, name);
  }
});
