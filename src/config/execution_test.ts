import assert from "node:assert/strict";
import { ConfigError, formatIssue } from "./config_error.ts";
import { cliOverrides } from "./overrides.ts";
import { loadConfig } from "./loader.ts";
import { BASE, tempConfig, withLines } from "./_test_fixtures.ts";

const EXTRA = (lines: string[]) => withLines({}, [...BASE, ...lines]);

Deno.test("execution defaults: local mode, auto halo, shipped io and cpu profiles", async () => {
  await using t = await tempConfig(withLines());
  const { config } = await loadConfig({ configPath: t.path, env: {} });
  const ex = config.execution;
  assert.equal(ex.mode, "local");
  assert.deepEqual(ex.tile.halo, { unit: "auto" });
  assert.ok(ex.tile.size > 0);
  assert.deepEqual(ex.profiles.io.queues, ["ingest", "persist"]);
  assert.equal(ex.profiles.io.wasmPool, 0);
  assert.deepEqual(ex.profiles.cpu.queues, ["preprocess", "mosaic"]);
  assert.ok(ex.profiles.cpu.wasmPool >= 1);
  assert.equal(ex.queue.retryLimit, 2);
  assert.equal(ex.queue.expireIn, 15 * 60);
});

Deno.test("execution: halo in cells or km, profiles merged over the shipped ones", async () => {
  await using t = await tempConfig(EXTRA([
    "execution:",
    "  tile: { size: 0.5, halo: 5km }",
    "  profiles:",
    "    gpu: { queues: [preprocess], concurrency: 2, wasmPool: 4, memoryLimit: 8GiB }",
    "  queue: { retryLimit: 1, expireIn: 30s }",
  ]));
  const { config } = await loadConfig({ configPath: t.path, env: {} });
  assert.deepEqual(config.execution.tile.halo, { unit: "km", value: 5 });
  assert.equal(config.execution.profiles.gpu.memoryLimit, 8 * 1024 ** 3);
  assert.ok(config.execution.profiles.io !== undefined, "the shipped io profile stays");
  assert.equal(config.execution.queue.expireIn, 30);
  await using t2 = await tempConfig(EXTRA(["execution:", "  tile: { halo: 12 }"]));
  const c2 = (await loadConfig({ configPath: t2.path, env: {} })).config;
  assert.deepEqual(c2.execution.tile.halo, { unit: "cells", value: 12 });
});

Deno.test("execution: a bad halo and an unknown queue are reported with their lines", async () => {
  await using t = await tempConfig(EXTRA([
    "execution:",
    "  tile: { halo: wide }",
    "  profiles:",
    "    odd: { queues: [ingest, cook] }",
  ]));
  const e = await loadConfig({ configPath: t.path, env: {} }).catch((e) => e);
  assert.ok(e instanceof ConfigError);
  const text = e.issues.map(formatIssue).join("\n");
  assert.match(
    text,
    /:23:\d+ execution\.tile\.halo: expected "auto", a whole number of grid cells/,
  );
  assert.match(text, /execution\.profiles\.odd\.queues\[1\]: expected one of "ingest"/);
});

Deno.test("queue mode without a server database is a configuration error naming DATABASE_URL", async () => {
  await using t = await tempConfig(EXTRA(["execution:", "  mode: queue"]));
  const e = await loadConfig({ configPath: t.path, env: {} }).catch((e) => e);
  assert.ok(e instanceof ConfigError, String(e));
  assert.equal(e.issues.length, 1);
  assert.equal(e.issues[0].path, "execution.mode");
  assert.equal(e.issues[0].line, 23);
  assert.match(e.issues[0].message, /set DATABASE_URL/);
  // The same file with a server configured loads.
  const ok = await loadConfig({
    configPath: t.path,
    env: { DATABASE_URL: "postgres://gam@127.0.0.1:5432/gam" },
  });
  assert.equal(ok.config.execution.mode, "queue");
});

Deno.test("--mode and GAM__EXECUTION__... override the execution section", async () => {
  await using t = await tempConfig(withLines());
  const e = await loadConfig({
    configPath: t.path,
    env: {},
    overrides: cliOverrides({ mode: "queue" }),
  }).catch((e) => e);
  assert.ok(e instanceof ConfigError);
  assert.equal(e.issues[0].file, "flag --mode");
  const { config } = await loadConfig({
    configPath: t.path,
    env: { GAM__EXECUTION__PROFILES__IO__CONCURRENCY: "3", GAM__EXECUTION__TILE__HALO: "2km" },
  });
  assert.equal(config.execution.profiles.io.concurrency, 3);
  assert.deepEqual(config.execution.tile.halo, { unit: "km", value: 2 });
});
