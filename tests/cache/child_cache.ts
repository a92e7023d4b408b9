/**
 * Child process for the cache's crash and concurrency tests.
 *
 * - `write <cacheDir> <points>`: caches a big synthetic survey (gzip, small chunks, so the
 *   write takes a while); the parent kills it with SIGKILL mid-write.
 * - `fetch <cacheDir> <fetchLog>`: fetch-through of one key; the "fetch" appends a line to
 *   `fetchLog`, waits 300 ms and returns a fixed survey. Prints `{outcome, checksum}` as JSON.
 *
 * @module
 */
import { IngestionCache } from "../../src/cache/mod.ts";
import { rawDataChecksum } from "../../src/contracts/mod.ts";
import { syntheticPoints } from "../../src/cache/testdata/fixtures.ts";

const KEY = "c0ffee".repeat(10) + "abcd";
const [mode, cacheDir, arg] = Deno.args;

if (mode === "write") {
  const cache = new IngestionCache({
    store: cacheDir,
    policy: { compression: "gzip", chunkSize: 16 },
  });
  await cache.put("gravity", KEY, syntheticPoints(Number(arg)));
  console.log("done");
} else if (mode === "fetch") {
  const cache = new IngestionCache({ store: cacheDir, policy: { compression: "zstd" } });
  const r = await cache.getOrFetch("gravity", KEY, async () => {
    const f = await Deno.open(arg, { append: true, create: true });
    await f.write(new TextEncoder().encode(`${Deno.pid}\n`));
    f.close();
    await new Promise((r) => setTimeout(r, 300));
    return syntheticPoints(50_000, 11);
  });
  console.log(JSON.stringify({ outcome: r.outcome, checksum: rawDataChecksum(r.data) }));
} else {
  console.error(`child_cache.ts: unknown mode "${mode}", expected write or fetch`);
  Deno.exit(2);
}
