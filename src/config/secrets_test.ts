import assert from "node:assert/strict";
import { createLogger, redact } from "../observability/mod.ts";
import { commands } from "../cli/mod.ts";
import { ConfigError } from "./config_error.ts";
import { loadConfig } from "./loader.ts";
import { resolveDatabaseUrl, resolveSecret, SecretError } from "./secrets.ts";
import { tempConfig, withLines } from "./_test_fixtures.ts";

const AUTH = { auth: { icgem: { fromEnv: "GAM_TEST_ICGEM_TOKEN" } } };

Deno.test("resolveSecret() reads the variable on every call, so a rotated key needs no restart", async () => {
  let value = "tok-first-11111";
  const getEnv = (name: string) => (name === "GAM_TEST_ICGEM_TOKEN" ? value : undefined);
  assert.equal(await resolveSecret(AUTH, "icgem", { getEnv }), "tok-first-11111");
  value = "tok-rotated-22222";
  assert.equal(await resolveSecret(AUTH, "icgem", { getEnv }), "tok-rotated-22222");
  assert.equal(redact("a tok-first-11111 b tok-rotated-22222"), "a [REDACTED] b [REDACTED]");
});

Deno.test("resolveSecret() reads a file at call time, trimmed, and redacts it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/token`;
    await Deno.writeTextFile(file, "file-secret-33333\n");
    const cfg = { auth: { portal: { fromFile: file } } };
    assert.equal(await resolveSecret(cfg, "portal"), "file-secret-33333");
    await Deno.writeTextFile(file, "file-secret-44444");
    assert.equal(await resolveSecret(cfg, "portal"), "file-secret-44444");
    assert.equal(redact("x file-secret-44444"), "x [REDACTED]");
    await Deno.writeTextFile(file, "  \n");
    await assert.rejects(resolveSecret(cfg, "portal"), /auth profile "portal": file .* is empty/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveSecret() errors name the profile and the variable or file, never a value", async () => {
  await assert.rejects(
    resolveSecret(AUTH, "icgem", { getEnv: () => undefined }),
    (e) =>
      e instanceof SecretError && e.profile === "icgem" &&
      e.message === 'auth profile "icgem": environment variable GAM_TEST_ICGEM_TOKEN is not set',
  );
  await assert.rejects(
    resolveSecret({ auth: { p: { fromFile: "/nonexistent/secret" } } }, "p"),
    /auth profile "p": cannot read file \/nonexistent\/secret: it does not exist/,
  );
  await assert.rejects(
    resolveSecret(AUTH, "other"),
    /auth profile "other": not defined under auth: \(defined: icgem\)/,
  );
  await assert.rejects(
    resolveSecret(AUTH, "icgem", { getEnv: () => "abc" }),
    /too short to be redacted safely/,
  );
});

Deno.test("resolveDatabaseUrl() prefers DATABASE_URL and redacts its password", () => {
  const cfg = { defaults: { databaseUrl: "postgres://gam@db.local:5432/gam" } };
  assert.equal(
    resolveDatabaseUrl(cfg, { getEnv: () => undefined }),
    "postgres://gam@db.local:5432/gam",
  );
  const url = "postgres://gam:pw-db-55555@db.local/gam";
  assert.equal(
    resolveDatabaseUrl(cfg, { getEnv: (n) => (n === "DATABASE_URL" ? url : undefined) }),
    url,
  );
  assert.equal(redact("connect pw-db-55555 failed"), "connect [REDACTED] failed");
  assert.equal(resolveDatabaseUrl({ defaults: {} }, { getEnv: () => undefined }), undefined);
});

Deno.test("a database password in the config file is refused without echoing it", async () => {
  await using t = await tempConfig(
    withLines({ 4: "  workers: 2\n  databaseUrl: postgres://gam:pw-in-file-66666@db/gam" }),
  );
  const e = await loadConfig({ configPath: t.path, env: {} }).catch((e) => e);
  assert.ok(e instanceof ConfigError);
  assert.equal(e.issues[0].path, "defaults.databaseUrl");
  assert.equal(e.issues[0].line, 5);
  assert.match(e.message, /without a password/);
  assert.ok(!e.message.includes("pw-in-file-66666"), e.message);
});

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  console.error = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    const code = await fn();
    return { code, out: lines.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("a resolved secret never appears in config validate output, logs or error messages", async () => {
  const secret = "tok-never-shown-77777";
  Deno.env.set("GAM_TEST_SECRET_TOKEN", secret);
  try {
    const text = withLines({ 9: "      plugin: synthetic\n      auth: icgem" }) +
      "auth:\n  icgem: { fromEnv: GAM_TEST_SECRET_TOKEN }\n";
    await using t = await tempConfig(text);
    const { config } = await loadConfig({ configPath: t.path, env: {} });
    assert.equal(await resolveSecret(config, "icgem"), secret);

    for (
      const args of [["validate", "--config", t.path], ["validate", "--config", t.path, "--json"]]
    ) {
      const configCommand = await commands.find((c) => c.name === "config")!.load();
      const { code, out } = await capture(() => configCommand.run(args));
      assert.equal(code, 0);
      assert.match(out, /GAM_TEST_SECRET_TOKEN/, "the reference is shown");
      assert.ok(!out.includes(secret), out);
    }

    const lines: string[] = [];
    const log = createLogger({ sink: (l) => lines.push(l) });
    log.error("fetch failed", {
      url: `https://x.example/?token=${secret}`,
      note: `used ${secret}`,
    });
    assert.ok(lines.length === 1 && !lines[0].includes(secret), lines[0]);

    const e = new SecretError("icgem", "upstream rejected it");
    assert.ok(!redact(`${e.message}: ${secret}`).includes(secret));
  } finally {
    Deno.env.delete("GAM_TEST_SECRET_TOKEN");
  }
});
