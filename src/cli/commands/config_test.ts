import assert from "node:assert/strict";
import { configCommand } from "./config.ts";
import { UsageError } from "../command.ts";
import { tempConfig, withLines } from "../../config/_test_fixtures.ts";

async function capture(
  fn: () => Promise<number>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    const code = await fn();
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("gam config validate prints the effective config and exits 0", async () => {
  await using t = await tempConfig(withLines());
  const r = await capture(() =>
    configCommand.run(["validate", "--config", t.path, "--workers", "3"])
  );
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^# Effective configuration \(valid\)/);
  assert.match(r.stdout, /workers: 3/);
  assert.match(r.stdout, /maxDelayMs: 10000/, "defaults are filled in");
  const j = await capture(() => configCommand.run(["validate", "--config", t.path, "--json"]));
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.valid, true);
  assert.match(doc.hash, /^[0-9a-f]{64}$/);
  assert.equal(doc.config.modalities.gravity.retry.maxAttempts, 3);
});

Deno.test("gam config validate lists the issues and exits 2 on an invalid file", async () => {
  await using t = await tempConfig(withLines({ 11: "      maxAttempts: 0" }));
  const r = await capture(() => configCommand.run(["validate", "--config", t.path]));
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /ingestion\.yaml:11:7 modalities\.gravity\.retry\.maxAttempts: expected an integer >= 1, got 0/,
  );
  const j = await capture(() => configCommand.run(["validate", "--config", t.path, "--json"]));
  assert.equal(j.code, 2);
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.valid, false);
  assert.equal(doc.issues[0].line, 11);
});

Deno.test("gam config without validate is a usage error", async () => {
  await assert.rejects(configCommand.run([]), UsageError);
  await assert.rejects(
    configCommand.run(["check"]),
    /unknown subcommand "check"; expected validate/,
  );
});
