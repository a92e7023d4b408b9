/**
 * Child process for the cache's crash and concurrency tests.
 *
 * - `write <cacheDir> <points>`: caches a big synthetic survey (gzip, small chunks, so the
 *   write takes a while); the parent kills it with SIGKILL mid-write.
 * - `fetch <cacheDir> <fetchLog>`: fetch-through of one key. Prints `started` as it calls the
 *   cache; the "fetch" appends a line to `fetchLog`, prints `fetching`, waits for a line (or the
 *   end) on stdin and returns a fixed survey: the parent (`fetchTogether` of
 *   `_fetch_children.ts`) sends it once every child has started, so the others are at the
 *   cache while the fetcher holds the entry's lock. Last, prints `{outcome, checksum}` as JSON.
 * - `fetch-shared <cacheDir> <fetchLog> <databaseUrl>`: the same through a store whose file
 *   locks exclude nobody (a cache folder shared by hosts over NFS), with the run's database
 *   lock (`databaseCacheLock`: a PostgreSQL advisory lock) as the only exclusion.
 *
 * @module
 */
import { FsCacheStore, IngestionCache } from "../../src/cache/mod.ts";
import { databaseCacheLock } from "../../src/job/mod.ts";
import { openDatabase } from "../../src/persistence/mod.ts";
import { rawDataChecksum } from "../../src/contracts/checksum.ts";
import { syntheticPoints } from "../../src/cache/testdata/fixtures.ts";

const KEY = "c0ffee".repeat(10) + "abcd";

/** A store whose entry locks exclude nobody, like file locks that do not cross hosts. */
class UnlockedStore extends FsCacheStore {
  override lock(): Promise<AsyncDisposable> {
    return Promise.resolve({ [Symbol.asyncDispose]: () => Promise.resolve() });
  }
}
const [mode, cacheDir, arg] = Deno.args;

if (mode === "write") {
  const cache = new IngestionCache({
    store: cacheDir,
    policy: { compression: "gzip", chunkSize: 16 },
  });
  await cache.put("gravity", KEY, syntheticPoints(Number(arg)));
  console.log("done");
} else if (mode === "fetch" || mode === "fetch-shared") {
  const shared = mode === "fetch-shared";
  const db = shared ? openDatabase({ url: Deno.args[3] }) : undefined;
  const cache = new IngestionCache({
    store: shared ? new UnlockedStore(cacheDir) : cacheDir,
    policy: { compression: "zstd" },
    ...(db ? { extraLock: databaseCacheLock(db) } : {}),
  });
  console.log("started");
  const r = await cache.getOrFetch("gravity", KEY, async () => {
    const f = await Deno.open(arg, { append: true, create: true });
    await f.write(new TextEncoder().encode(`${Deno.pid}\n`));
    f.close();
    console.log("fetching");
    await Deno.stdin.read(new Uint8Array(16)); // the parent's "go" (or the end of stdin)
    return syntheticPoints(50_000, 11);
  });
  await (await db)?.close();
  console.log(JSON.stringify({ outcome: r.outcome, checksum: rawDataChecksum(r.data) }));
} else {
  console.error(`child_cache.ts: unknown mode "${mode}", expected write, fetch or fetch-shared`);
  Deno.exit(2);
}
