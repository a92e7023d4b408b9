import assert from "node:assert/strict";
import { createLogger } from "../observability/mod.ts";
import { MetricsRegistry } from "../observability/metrics/mod.ts";
import { ConfigService, type ReloadResult } from "./config_service.ts";
import { ConfigError } from "./config_error.ts";
import { tempConfig, withLines } from "./_test_fixtures.ts";

/** Resolves with the next reload attempt's result; fails the test after `limitMs`. */
function nextReload(service: ConfigService, limitMs = 10_000): Promise<ReloadResult> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no reload within ${limitMs} ms`));
    }, limitMs);
    const off = service.onReload((r) => {
      clearTimeout(timer);
      off();
      resolve(r);
    });
  });
}

async function setup() {
  const file = await tempConfig(withLines());
  const lines: string[] = [];
  const metrics = new MetricsRegistry();
  const service = await ConfigService.start({
    configPath: file.path,
    env: {},
    debounceMs: 100,
    metrics,
    logger: createLogger({ level: "debug", sink: (l) => lines.push(l) }),
  });
  const changes: string[] = [];
  service.onChange((next, prev) => changes.push(`${prev.hash}->${next.hash}`));
  return {
    file,
    lines,
    metrics,
    service,
    changes,
    async [Symbol.asyncDispose]() {
      service.close();
      await file[Symbol.asyncDispose]();
    },
  };
}

Deno.test("ConfigService swaps in a valid edit of the watched file; old snapshots stay intact", async () => {
  await using s = await setup();
  const before = s.service.current();
  const reloaded = nextReload(s.service);
  await Deno.writeTextFile(s.file.path, withLines({ 11: "      maxAttempts: 5" }));
  const result = await reloaded;
  assert.equal(result.outcome, "changed");
  const after = s.service.current();
  assert.equal(after.config.modalities.gravity.retry.maxAttempts, 5);
  assert.equal(before.config.modalities.gravity.retry.maxAttempts, 3, "in-flight snapshot kept");
  assert.notEqual(after.hash, before.hash);
  assert.deepEqual(s.changes, [`${before.hash}->${after.hash}`]);
  const text = await s.metrics.render();
  assert.match(text, /^gam_config_reloads_total 1$/m);
  assert.match(text, new RegExp(`^gam_config_info\\{hash="${after.hash}"\\} 1$`, "m"));
  assert.match(text, new RegExp(`^gam_config_info\\{hash="${before.hash}"\\} 0$`, "m"));
});

Deno.test("ConfigService keeps the old config on an invalid edit, logs the issues and counts it", async () => {
  await using s = await setup();
  const before = s.service.current();
  const reloaded = nextReload(s.service);
  await Deno.writeTextFile(s.file.path, withLines({ 11: "      maxAttempts: 0" }));
  const result = await reloaded;
  assert.equal(result.outcome, "invalid");
  assert.ok(result.error instanceof ConfigError);
  assert.equal(s.service.current(), before);
  assert.deepEqual(s.changes, []);
  assert.match(await s.metrics.render(), /^gam_config_reload_failures_total 1$/m);
  const errorLine = s.lines.map((l) => JSON.parse(l)).find((l) => l.level === "error");
  assert.ok(errorLine, s.lines.join("\n"));
  assert.match(
    errorLine.issues[0],
    /ingestion\.yaml:11:7 modalities\.gravity\.retry\.maxAttempts: expected an integer >= 1, got 0/,
  );
  // A later fix is picked up.
  const fixed = nextReload(s.service);
  await Deno.writeTextFile(s.file.path, withLines({ 11: "      maxAttempts: 6" }));
  assert.equal((await fixed).outcome, "changed");
  assert.equal(s.service.current().config.modalities.gravity.retry.maxAttempts, 6);
});

Deno.test("ConfigService does not fire on a rewrite with the same bytes or a comment-only edit", async () => {
  await using s = await setup();
  const before = s.service.current();
  const same = nextReload(s.service);
  await Deno.writeTextFile(s.file.path, withLines());
  assert.equal((await same).outcome, "unchanged");
  const comment = nextReload(s.service);
  await Deno.writeTextFile(s.file.path, "# a comment\n" + withLines());
  assert.equal((await comment).outcome, "unchanged");
  assert.equal(s.service.current(), before);
  assert.deepEqual(s.changes, []);
  assert.doesNotMatch(await s.metrics.render(), /^gam_config_reloads_total [1-9]/m);
});

Deno.test("ConfigService sees an editor-style save (write a temp file, rename over)", async () => {
  await using s = await setup();
  const reloaded = nextReload(s.service);
  const tmp = `${s.file.dir}/.ingestion.yaml.swp`;
  await Deno.writeTextFile(tmp, withLines({ 4: "  workers: 1" }));
  await Deno.rename(tmp, s.file.path);
  assert.equal((await reloaded).outcome, "changed");
  assert.equal(s.service.current().config.defaults.workers, 1);
});

Deno.test("ConfigService.start() refuses an invalid configuration", async () => {
  await using file = await tempConfig(withLines({ 1: "version: 9" }));
  await assert.rejects(
    ConfigService.start({
      configPath: file.path,
      env: {},
      watch: false,
      metrics: new MetricsRegistry(),
    }),
    ConfigError,
  );
});
