import assert from "node:assert/strict";
import { ConfigError, type ConfigIssue, formatIssue } from "./config_error.ts";
import { cliOverrides } from "./overrides.ts";
import { loadConfig } from "./loader.ts";
import { BASE, tempConfig, withLines } from "./_test_fixtures.ts";

/** Loads `text` from a real temp file and returns the issues (failing if it loads). */
async function issuesOf(
  text: string,
  env: Record<string, string> = {},
): Promise<{ issues: readonly ConfigIssue[]; file: string; message: string }> {
  await using t = await tempConfig(text);
  const error = await loadConfig({ configPath: t.path, env }).then(
    () => assert.fail("expected a ConfigError"),
    (e) => e,
  );
  assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
  return { issues: error.issues, file: t.path, message: error.message };
}

function only(issues: readonly ConfigIssue[]): ConfigIssue {
  assert.equal(issues.length, 1, issues.map(formatIssue).join("\n"));
  return issues[0];
}

Deno.test("loadConfig() accepts the minimal fixture and fills every default", async () => {
  await using t = await tempConfig(withLines());
  const { config, sources } = await loadConfig({ configPath: t.path, env: {} });
  assert.deepEqual(sources, [t.path]);
  const g = config.modalities.gravity;
  assert.equal(g.retry.maxAttempts, 3);
  assert.equal(g.retry.baseDelayMs, 200);
  assert.equal(g.cache.ttl, 7 * 86400);
  assert.equal(g.cache.maxBytes, 2 * 1024 ** 3);
  assert.equal(g.kind, "gravity");
  assert.equal(g.source.type, "plugin");
  assert.deepEqual(g.source.permissions.write, []);
  assert.equal(config.defaults.outputDir, "out");
  assert.equal(config.service.listen, "127.0.0.1:9464");
});

Deno.test("an out-of-range number reports file:line:column, path, expected and received", async () => {
  const { issues, file } = await issuesOf(withLines({ 11: "      maxAttempts: 0" }));
  const issue = only(issues);
  assert.equal(
    formatIssue(issue),
    `${file}:11:7 modalities.gravity.retry.maxAttempts: expected an integer >= 1, got 0`,
  );
  assert.equal(issue.expected, "an integer >= 1");
  assert.equal(issue.received, "0");
});

Deno.test("an unknown key is reported at its line with a did-you-mean hint", async () => {
  const issue = only((await issuesOf(withLines({ 10: "    retires:" }))).issues);
  assert.equal(issue.path, "modalities.gravity.retires");
  assert.deepEqual([issue.line, issue.column], [10, 5]);
  assert.match(issue.message, /^unknown key "retires" \(did you mean "retry"\?\)/);
});

Deno.test("a wrong type names what was expected and quotes what was received", async () => {
  const issue = only((await issuesOf(withLines({ 4: "  workers: two" }))).issues);
  assert.equal(issue.path, "defaults.workers");
  assert.deepEqual([issue.line, issue.column], [4, 3]);
  assert.equal(issue.message, 'expected an integer >= 1, got "two"');
});

Deno.test("a bbox crossing the antimeridian or out of range is rejected at its line", async () => {
  const anti = only((await issuesOf(withLines({ 3: "  bbox: [170, 45, -170, 46]" }))).issues);
  assert.equal(anti.path, "defaults.bbox");
  assert.equal(anti.line, 3);
  assert.match(anti.message, /crosses the antimeridian/);
  const lat = only((await issuesOf(withLines({ 3: "  bbox: [10, 45, 11, 95]" }))).issues);
  assert.match(lat.message, /maxLat must be within \[-90, 90\] degrees, got 95/);
  const three = only((await issuesOf(withLines({ 3: "  bbox: [10, 45, 11]" }))).issues);
  assert.match(three.message, /4 numbers/);
});

Deno.test("a bad duration, byte size and cron expression are each located", async () => {
  const ttl = only(
    (await issuesOf(withLines({ 10: "    cache:", 11: "      ttl: 7 days" }))).issues,
  );
  assert.equal(ttl.path, "modalities.gravity.cache.ttl");
  assert.deepEqual([ttl.line, ttl.column], [11, 7]);
  assert.match(ttl.message, /^expected a duration such as "7d".*, got "7 days"$/);

  const size = only(
    (await issuesOf(withLines({ 10: "    cache:", 11: "      maxBytes: 2 lots" }))).issues,
  );
  assert.equal(size.path, "modalities.gravity.cache.maxBytes");
  assert.match(size.message, /expected a size such as "2GiB"/);

  const cron = only(
    (await issuesOf(withLines({ 10: '    schedule: "61 * * * *"', 11: "    timeoutMs: 1000" })))
      .issues,
  );
  assert.equal(cron.path, "modalities.gravity.schedule");
  assert.deepEqual([cron.line, cron.column], [10, 5]);
  assert.match(cron.message, /cron expression.*minute: 61/);
  const fields = only(
    (await issuesOf(withLines({ 10: '    schedule: "0 3 * *"', 11: "    timeoutMs: 1000" })))
      .issues,
  );
  assert.match(fields.message, /expected 5 fields/);
});

Deno.test("an auth profile that is not defined is named, with the defined ones", async () => {
  const missing = only(
    (await issuesOf(withLines({ 10: "      auth: icgem", 11: "    timeoutMs: 1000" }))).issues,
  );
  assert.equal(missing.path, "modalities.gravity.source.auth");
  assert.deepEqual([missing.line, missing.column], [10, 7]);
  assert.match(missing.message, /auth profile "icgem" is not defined under auth: \(no profiles/);
  const text = withLines({ 10: "      auth: icgem", 11: "    timeoutMs: 1000" }) +
    "auth:\n  other: { fromEnv: OTHER_TOKEN }\n";
  assert.match(only((await issuesOf(text)).issues).message, /defined: other/);
});

Deno.test("an inline secret is refused: in auth and in plugin params", async () => {
  const text = withLines() + 'auth:\n  icgem: { token: "tok-very-secret-1" }\n';
  const { issues, message } = await issuesOf(text);
  const issue = only(issues);
  assert.equal(issue.path, "auth.icgem");
  assert.equal(issue.line, 23);
  assert.match(issue.message, /fromEnv: VARIABLE.*fromFile: path/);
  assert.ok(!message.includes("tok-very-secret-1"), message);

  const params = withLines({
    10: '      params: { apiKey: "tok-very-secret-2" }',
    11: "    timeoutMs: 1000",
  });
  const p = await issuesOf(params);
  assert.match(only(p.issues).message, /looks like a secret/);
  assert.ok(!p.message.includes("tok-very-secret-2"), p.message);
});

Deno.test("YAML syntax errors give line and column", async () => {
  const nested = only((await issuesOf(withLines({ 7: "    units: mGal: x" }))).issues);
  assert.deepEqual([nested.line, nested.column], [7, 12]);
  assert.match(nested.message, /^YAML syntax error: Nested mappings/);
  const dup = only(
    (await issuesOf(withLines({ 11: "      maxAttempts: 3\n      maxAttempts: 4" }))).issues,
  );
  assert.equal(dup.line, 12);
  assert.match(dup.message, /Map keys must be unique/);
  const tab = (await issuesOf(withLines({ 9: "\tplugin: synthetic" }))).issues;
  assert.equal(tab[0].line, 9);
  assert.match(tab[0].message, /Tabs are not allowed/);
});

Deno.test("a missing required key points at its parent's line", async () => {
  const text = BASE.filter((_, i) => i !== 6).join("\n"); // drop line 7 (gravity units)
  const issue = only((await issuesOf(text)).issues);
  assert.equal(issue.path, "modalities.gravity.units");
  assert.deepEqual([issue.line, issue.column], [6, 3]);
  assert.match(issue.message, /got nothing \(the key is missing\)/);
});

Deno.test("cross-field rules: units of the modality, kind of a new modality, http modules", async () => {
  const units = only((await issuesOf(withLines({ 16: "    units: mGal" }))).issues);
  assert.equal(units.path, "modalities.magnetic.units");
  assert.match(units.message, /expected a magnetic unit: one of nT, gamma, µT, got "mGal"/);

  const extra = withLines() +
    "  seismic:\n    units: nT\n    source: { plugin: synthetic }\n" +
    "    pipeline: { version: 1.0.0, definition: qc }\n";
  const kind = only((await issuesOf(extra)).issues);
  assert.equal(kind.path, "modalities.seismic.kind");
  assert.equal(kind.line, 22);
  const ok = extra.replace(
    "  seismic:\n    units: nT",
    "  seismic:\n    kind: magnetic\n    units: uT",
  );
  await using t = await tempConfig(ok);
  const { config } = await loadConfig({ configPath: t.path, env: {} });
  assert.equal(config.modalities.seismic.kind, "magnetic");
  assert.equal(config.modalities.seismic.units, "µT", "units are stored in canonical spelling");

  const http = only(
    (await issuesOf(withLines({ 9: '      plugin: x\n      module: "http://example.org/p.ts"' })))
      .issues,
  );
  assert.equal(http.path, "modalities.gravity.source.module");
  assert.match(http.message, /plain http: is refused for host "example.org"/);
});

Deno.test("every issue of a file is reported at once, in line order", async () => {
  const { issues } = await issuesOf(withLines({
    1: "version: 2",
    4: "  workers: 0",
    11: "      maxAttempts: -1",
    16: "    units: kg",
  }));
  assert.deepEqual(issues.map((i) => i.line), [1, 4, 11, 16]);
  assert.equal(issues[0].message, "expected 1 (the config schema version), got 2");
});

Deno.test("a missing or empty configuration file is a ConfigError naming it", async () => {
  const missing = await loadConfig({ configPath: "/nonexistent/gam.yaml", env: {} }).catch((e) =>
    e
  );
  assert.ok(missing instanceof ConfigError);
  assert.match(
    missing.message,
    /\/nonexistent\/gam\.yaml: cannot read configuration file: no such file/,
  );
  await using t = await tempConfig("# nothing\n");
  const empty = await loadConfig({ configPath: t.path, env: {} }).catch((e) => e);
  assert.ok(empty instanceof ConfigError);
  assert.match(empty.message, /got an empty file/);
});

// --- precedence -------------------------------------------------------------------------------

const PROFILE = [
  /* 1 */ "defaults:",
  /* 2 */ "  outputDir: from-profile",
  /* 3 */ "modalities:",
  /* 4 */ "  gravity:",
  /* 5 */ "    retry: { baseDelayMs: 50 }",
  /* 6 */ "    pipeline: { definition: qc }",
].join("\n");

Deno.test("precedence: built-in default < base file < profile < environment < flags", async (t) => {
  await using base = await tempConfig(withLines(), { dev: PROFILE });
  const outputDir = async (opts: Parameters<typeof loadConfig>[0]) =>
    (await loadConfig({ configPath: base.path, env: {}, ...opts })).config.defaults.outputDir;

  await t.step("built-in default", async () => {
    assert.equal(await outputDir({}), "out");
  });
  await t.step("base file over built-in default", async () => {
    await using b = await tempConfig(withLines({ 4: "  workers: 2\n  outputDir: from-base" }));
    assert.equal(
      (await loadConfig({ configPath: b.path, env: {} })).config.defaults.outputDir,
      "from-base",
    );
  });
  await t.step("profile over base, deep-merged", async () => {
    const { config, sources, profile } = await loadConfig({
      configPath: base.path,
      profile: "dev",
      env: {},
    });
    assert.equal(config.defaults.outputDir, "from-profile");
    assert.equal(config.defaults.workers, 2, "untouched base keys stay");
    assert.equal(config.modalities.gravity.retry.baseDelayMs, 50);
    assert.equal(config.modalities.gravity.retry.maxAttempts, 3, "sibling keys merge");
    assert.equal(config.modalities.gravity.pipeline.definition, "qc");
    assert.equal(config.modalities.gravity.pipeline.version, "1.0.0");
    assert.deepEqual(sources, [base.path, `${base.dir}/profiles/dev.yaml`]);
    assert.equal(profile, "dev");
  });
  await t.step("GAM_PROFILE chooses the profile; the option wins over it", async () => {
    assert.equal(await outputDir({ env: { GAM_PROFILE: "dev" } }), "from-profile");
    await Deno.writeTextFile(`${base.dir}/profiles/ci.yaml`, "defaults: { outputDir: from-ci }\n");
    assert.equal(await outputDir({ profile: "ci", env: { GAM_PROFILE: "dev" } }), "from-ci");
  });
  await t.step("environment over profile, typed", async () => {
    const env = {
      GAM_PROFILE: "dev",
      GAM__DEFAULTS__OUTPUT_DIR: "from-env",
      GAM__GRAVITY__RETRY__MAX_ATTEMPTS: "5",
      GAM__MODALITIES__MAGNETIC__CACHE__TTL: "12h",
      GAM__DEFAULTS__BBOX: "10,45,10.5,45.5",
    };
    const { config, overrides } = await loadConfig({ configPath: base.path, env });
    assert.equal(config.defaults.outputDir, "from-env");
    assert.equal(config.modalities.gravity.retry.maxAttempts, 5);
    assert.equal(config.modalities.gravity.retry.baseDelayMs, 50, "profile still applies");
    assert.equal(config.modalities.magnetic.cache.ttl, 12 * 3600);
    assert.deepEqual(config.defaults.bbox, [10, 45, 10.5, 45.5]);
    assert.ok(overrides.includes("GAM__GRAVITY__RETRY__MAX_ATTEMPTS"));
  });
  await t.step("flags over environment", async () => {
    const { config, overrides } = await loadConfig({
      configPath: base.path,
      env: { GAM__DEFAULTS__OUTPUT_DIR: "from-env", GAM__DEFAULTS__WORKERS: "3" },
      overrides: cliOverrides({ outputDir: "from-flag", bbox: "1,2,3,4" }),
    });
    assert.equal(config.defaults.outputDir, "from-flag");
    assert.equal(config.defaults.workers, 3);
    assert.deepEqual(config.defaults.bbox, [1, 2, 3, 4]);
    assert.deepEqual(overrides, [
      "GAM__DEFAULTS__OUTPUT_DIR",
      "GAM__DEFAULTS__WORKERS",
      "--bbox",
      "--output-dir",
    ]);
  });
  await t.step("null in a profile removes a key", async () => {
    await Deno.writeTextFile(
      `${base.dir}/profiles/bare.yaml`,
      "modalities: { gravity: { retry: null } }\n",
    );
    const { config } = await loadConfig({ configPath: base.path, profile: "bare", env: {} });
    assert.equal(config.modalities.gravity.retry.maxAttempts, 4, "back to the built-in default");
  });
});

Deno.test("a missing profile lists the available ones", async () => {
  await using base = await tempConfig(withLines(), { dev: PROFILE, ci: "defaults: {}\n" });
  const e = await loadConfig({ configPath: base.path, profile: "prod", env: {} }).catch((e) => e);
  assert.ok(e instanceof ConfigError);
  assert.match(e.message, /profile "prod" not found: .*available profiles: ci, dev/);
  const viaEnv = await loadConfig({ configPath: base.path, env: { GAM_PROFILE: "qa" } }).catch((
    e,
  ) => e);
  assert.match(viaEnv.message, /GAM_PROFILE: profile "qa" not found/);
});

Deno.test("an issue in a profile is reported at the profile's line", async () => {
  await using base = await tempConfig(withLines(), {
    dev: PROFILE.replace("baseDelayMs: 50", "baseDelayMs: 50, maxDelayMs: 10"),
  });
  const e = await loadConfig({ configPath: base.path, profile: "dev", env: {} }).catch((e) => e);
  assert.ok(e instanceof ConfigError);
  const issue = only(e.issues);
  assert.equal(issue.file, `${base.dir}/profiles/dev.yaml`);
  assert.equal(issue.line, 5);
  assert.equal(issue.message, "expected an integer >= baseDelayMs (50), got 10");
});

Deno.test("environment and flag errors name the variable or flag", async () => {
  await using base = await tempConfig(withLines());
  const env = await loadConfig({
    configPath: base.path,
    env: { GAM__GRAVITY__RETRY__MAX_ATTEMPTS: "many" },
  }).catch((e) => e);
  assert.ok(env instanceof ConfigError);
  assert.equal(
    formatIssue(only(env.issues)),
    'env GAM__GRAVITY__RETRY__MAX_ATTEMPTS modalities.gravity.retry.maxAttempts: expected an integer >= 1, got "many"',
  );
  const section = await loadConfig({ configPath: base.path, env: { GAM__SEISMIC__UNITS: "nT" } })
    .catch((e) => e);
  assert.match(section.message, /env GAM__SEISMIC__UNITS: "SEISMIC" is neither a section/);
  const typo = await loadConfig({ configPath: base.path, env: { GAM__DEFAULTS__WORKRS: "2" } })
    .catch((e) => e);
  assert.match(
    typo.message,
    /env GAM__DEFAULTS__WORKRS defaults\.workrs: unknown key "workrs" \(did you mean "workers"\?\)/,
  );
  const flag = await loadConfig({
    configPath: base.path,
    env: {},
    overrides: cliOverrides({ workers: "0" }),
  })
    .catch((e) => e);
  assert.equal(
    formatIssue(only(flag.issues)),
    "flag --workers defaults.workers: expected an integer >= 1, got 0",
  );
});

Deno.test("the hash ignores formatting and key order, and follows values", async () => {
  await using a = await tempConfig(withLines());
  const reordered = ["# same values, other order", ...BASE.slice(4), ...BASE.slice(0, 4)].join(
    "\n",
  );
  await using b = await tempConfig(reordered);
  await using c = await tempConfig(withLines({ 11: "      maxAttempts: 4" }));
  const [ha, hb, hc] = await Promise.all(
    [a, b, c].map(async (t) => (await loadConfig({ configPath: t.path, env: {} })).hash),
  );
  assert.match(ha, /^[0-9a-f]{64}$/);
  assert.equal(ha, hb);
  assert.notEqual(ha, hc);
});

Deno.test("the loaded configuration is deeply frozen", async () => {
  await using t = await tempConfig(withLines());
  const loaded = await loadConfig({ configPath: t.path, env: {} });
  assert.ok(Object.isFrozen(loaded.config.modalities.gravity.retry));
  assert.throws(() => {
    (loaded.config.defaults as { workers: number }).workers = 9;
  }, TypeError);
});
