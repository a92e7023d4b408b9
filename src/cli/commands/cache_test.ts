import assert from "node:assert/strict";
import { cacheCommand, formatBytes } from "./cache.ts";
import { UsageError } from "../command.ts";
import { GridCache, IngestionCache } from "../../cache/mod.ts";
import { MetricsRegistry } from "../../observability/metrics/mod.ts";
import { syntheticGrid, syntheticPoints } from "../../cache/testdata/fixtures.ts";
import { moduleTempDir } from "../../_testing/temp_dir.ts";

async function gam(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    const code = await cacheCommand.run(args);
    return { code, out: lines.join("\n") };
  } finally {
    console.log = original;
  }
}

async function filledCache(): Promise<string> {
  const dir = await moduleTempDir({ prefix: "gam-cli-cache-" });
  const opts = {
    store: dir,
    policy: { compression: "none" as const },
    metrics: new MetricsRegistry(),
  };
  await new IngestionCache(opts).put("gravity", "k1", syntheticPoints(1000));
  await new IngestionCache(opts).put("magnetic", "k2", syntheticPoints(500, 3));
  await new GridCache(opts).put("gravity", [16, -35, 33, -22], "1.0.0", syntheticGrid(40, 50), {
    licence: "CC0-1.0",
    citation: "synthetic",
  });
  return dir;
}

Deno.test("gam cache ls --json lists every entry with kind, size and state", async () => {
  const dir = await filledCache();
  const { code, out } = await gam("ls", "--cache-dir", dir, "--json");
  assert.equal(code, 0);
  const res = JSON.parse(out);
  assert.deepEqual(
    res.entries.map((e: { path: string; kind: string; stale: boolean; pinned: boolean }) => [
      e.path.split("/").slice(0, 2).join("/"),
      e.kind,
      e.stale,
      e.pinned,
    ]),
    [
      ["ingestion/gravity", "points", false, false],
      ["ingestion/magnetic", "points", false, false],
      ["preprocessing/gravity", "grid", false, false],
    ],
  );
  assert.equal(
    res.totalBytes,
    res.entries.reduce((s: number, e: { sizeBytes: number }) => s + e.sizeBytes, 0),
  );
  const human = await gam("ls", "ingestion", "--cache-dir", dir);
  assert.match(human.out, /^PATH +KIND +SIZE/);
  assert.match(human.out, /2 entries, [\d.]+ KiB in /);
});

Deno.test("gam cache pin/unpin take prefixes; pin of nothing fails", async () => {
  const dir = await filledCache();
  const pinned = await gam("pin", "ingestion/gravity", "--cache-dir", dir, "--json");
  assert.deepEqual(JSON.parse(pinned.out).pinned, ["ingestion/gravity/k1"]);
  const ls = JSON.parse((await gam("ls", "--cache-dir", dir, "--json")).out);
  assert.deepEqual(ls.entries.map((e: { pinned: boolean }) => e.pinned), [true, false, false]);
  const un = await gam("unpin", "ingestion/gravity/k1", "--cache-dir", dir);
  assert.equal(un.out, "unpinned ingestion/gravity/k1");
  const none = await gam("pin", "ingestion/seismic", "--cache-dir", dir, "--json");
  assert.equal(none.code, 1);
});

Deno.test("gam cache verify finds and quarantines a flipped byte, exit status 1", async () => {
  const dir = await filledCache();
  const chunk = `${dir}/ingestion/magnetic/k2/value/c/0`;
  const bytes = await Deno.readFile(chunk);
  bytes[17] ^= 0x10;
  await Deno.writeFile(chunk, bytes);
  const { code, out } = await gam("verify", "--cache-dir", dir, "--json");
  assert.equal(code, 1);
  const res = JSON.parse(out);
  assert.deepEqual(res.results.map((r: { state: string }) => r.state), ["ok", "corrupt", "ok"]);
  assert.equal((await gam("verify", "--cache-dir", dir)).code, 0);
});

Deno.test("gam cache sweep reports, clear needs --yes", async () => {
  const dir = await filledCache();
  const sweep = await gam("sweep", "--cache-dir", dir, "--json");
  assert.equal(sweep.code, 0);
  assert.deepEqual(JSON.parse(sweep.out).evicted, []);
  await assert.rejects(() => cacheCommand.run(["clear", "--cache-dir", dir]), UsageError);
  const cleared = await gam("clear", "--yes", "--cache-dir", dir, "--json");
  assert.equal(JSON.parse(cleared.out).cleared, 3);
  assert.equal((await gam("ls", "--cache-dir", dir)).out, `No cache entries in ${dir}`);
});

Deno.test("gam cache rejects a missing or unknown subcommand", async () => {
  await assert.rejects(() => cacheCommand.run([]), UsageError);
  await assert.rejects(() => cacheCommand.run(["purge"]), /unknown subcommand "purge"/);
  await assert.rejects(() => cacheCommand.run(["pin"]), /needs at least one entry/);
});

Deno.test("formatBytes() uses binary units", () => {
  assert.deepEqual([formatBytes(12), formatBytes(1536), formatBytes(3 * 1024 ** 3)], [
    "12 B",
    "1.5 KiB",
    "3.0 GiB",
  ]);
});
