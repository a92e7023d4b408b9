/**
 * Test support: runs the fetch children of `tests/cache/child_cache.ts` together, for the
 * tests of one fetch per key across processes.
 *
 * @module
 */

const CHILD = new URL("./child_cache.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/** What one child printed last: the outcome of its fetch-through and the data's checksum. */
export interface FetchResult {
  /** `miss` for the child that fetched, `hit` (or `stale`) for the others. */
  outcome: string;
  /** `rawDataChecksum` of the data it got. */
  checksum: string;
}

/**
 * Starts `n` children `child_cache.ts <args>` (a `fetch` mode) and holds the one that fetches
 * inside its fetch until every child has printed `started` (it is calling the cache): the
 * others then find no entry and wait on the entry's lock while the fetcher holds it. No
 * wall-clock wait: `timeoutMs` only bounds a child that never gets there.
 *
 * @param n How many children.
 * @param args The child's arguments (`fetch <cacheDir> <fetchLog>`, or `fetch-shared ...`).
 * @param timeoutMs Failure bound for the children to start and one to fetch. @default 120000
 * @returns Each child's result, in start order.
 *
 * For example `await fetchTogether(8, ["fetch", `${root}/cache`, log])`: used by
 * tests/cache/crash_and_concurrency_test.ts.
 */
export async function fetchTogether(
  n: number,
  args: string[],
  timeoutMs = 120_000,
): Promise<FetchResult[]> {
  const children = Array.from({ length: n }, () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", CONFIG, CHILD, ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn());
  const outs = children.map(() => "");
  const errs = children.map(() => "");
  let changed = Promise.withResolvers<void>();
  const tick = () => {
    changed.resolve();
    changed = Promise.withResolvers<void>();
  };
  const pumps = children.flatMap((c, i) => [
    (async () => {
      for await (const s of c.stdout.pipeThrough(new TextDecoderStream())) (outs[i] += s, tick());
    })(),
    (async () => {
      for await (const s of c.stderr.pipeThrough(new TextDecoderStream())) errs[i] += s;
    })(),
  ]);
  const exited = children.map(() => false);
  children.forEach((c, i) => c.status.then(() => (exited[i] = true, tick())));
  const lines = (i: number) => outs[i].split("\n");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"expired">((
    r,
  ) => (timer = setTimeout(() => r("expired"), timeoutMs)));
  try {
    while (
      !(children.every((_, i) => lines(i).includes("started")) &&
        children.some((_, i) => lines(i).includes("fetching")))
    ) {
      if (exited.some((e) => e) || (await Promise.race([changed.promise, expired])) === "expired") {
        for (const c of children) c.kill("SIGKILL");
        await Promise.all(children.map((c) => c.status));
        await Promise.all(pumps);
        throw new Error(
          `the fetch children did not all start with one fetching; stdout: ${
            JSON.stringify(outs)
          }; stderr: ${errs.join("\n---\n")}`,
        );
      }
    }
  } finally {
    clearTimeout(timer);
  }
  for (const c of children) {
    const w = c.stdin.getWriter();
    await w.write(new TextEncoder().encode("go\n")).catch(() => {});
    await w.close().catch(() => {});
  }
  const statuses = await Promise.all(children.map((c) => c.status));
  await Promise.all(pumps);
  return statuses.map((s, i) => {
    if (s.code !== 0) throw new Error(`child ${i} exited with ${s.code}: ${errs[i]}`);
    return JSON.parse(lines(i).filter((l) => l.trim() !== "").at(-1)!) as FetchResult;
  });
}
