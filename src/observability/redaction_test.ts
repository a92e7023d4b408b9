import assert from "node:assert/strict";
import {
  createLogger,
  isSensitiveKey,
  redact,
  redactFields,
  registerSecret,
  SecretRegistrationError,
  unregisterSecret,
} from "./mod.ts";

/** Registers `secret` for the duration of `fn`. */
function withSecret(secret: string, fn: () => void): void {
  registerSecret(secret);
  try {
    fn();
  } finally {
    unregisterSecret(secret);
  }
}

Deno.test("a registered secret never appears in a message, field, nested object, error message or cause", () => {
  const secret = "sk-live-9f8e7d6c5b4a";
  withSecret(secret, () => {
    const lines: string[] = [];
    const log = createLogger({ level: "debug", sink: (l) => lines.push(l) });
    log.info(`calling with ${secret}`);
    log.info("field", { header: `Bearer ${secret}` });
    log.info("nested", { request: { params: { list: [1, { deep: secret }] } } });
    const err = new Error(`auth failed for ${secret}`, {
      cause: new TypeError("inner", { cause: `raw ${secret}` }),
    });
    log.error("error", { err });
    log.error("cause", { err: new Error("outer", { cause: new Error(`key=${secret}`) }) });
    log.child({ component: "x", profile: secret }).warn("child binding");
    assert.equal(lines.length, 6);
    for (const line of lines) {
      assert.ok(!line.includes(secret), `secret leaked in ${line}`);
      assert.ok(line.includes("[REDACTED]"), `no redaction marker in ${line}`);
      JSON.parse(line); // still valid JSON after redaction
    }
  });
});

Deno.test("redact() covers the JSON-escaped and URL-encoded forms of a secret", () => {
  const secret = 'pa"ss\\w/rd 1';
  withSecret(secret, () => {
    const lines: string[] = [];
    createLogger({ sink: (l) => lines.push(l) }).info("x", { s: secret });
    assert.ok(!lines[0].includes(JSON.stringify(secret).slice(1, -1)));
    assert.match(lines[0], /"s":"\[REDACTED\]"/);
    assert.equal(redact(`https://h/?k=${encodeURIComponent(secret)}`), "https://h/?k=[REDACTED]");
  });
});

Deno.test("redact() replaces the longer of two overlapping secrets whole", () => {
  withSecret("abcd", () =>
    withSecret("abcdefgh", () => {
      assert.equal(redact("x abcdefgh y abcd"), "x [REDACTED] y [REDACTED]");
    }));
});

Deno.test("redact() hides the password of a URL even when it was not registered", () => {
  assert.equal(
    redact("connecting to postgres://gam:s3cret@db:5432/gam failed"),
    "connecting to postgres://gam:[REDACTED]@db:5432/gam failed",
  );
  assert.equal(redact("https://example.org/a:b@c"), "https://example.org/a:b@c");
});

Deno.test("unregisterSecret() stops redaction only after as many calls as registrations", () => {
  const s = "rotating-key-1";
  registerSecret(s);
  registerSecret(s);
  assert.equal(unregisterSecret(s), false);
  assert.equal(redact(s), "[REDACTED]");
  assert.equal(unregisterSecret(s), true);
  assert.equal(redact(s), s);
  assert.equal(unregisterSecret("never-registered"), true);
});

Deno.test("registerSecret() rejects a value shorter than 4 characters without echoing it", () => {
  assert.throws(() => registerSecret("abc"), (e: unknown) => {
    assert.ok(e instanceof SecretRegistrationError);
    assert.ok(e instanceof RangeError);
    assert.match(e.message, /at least 4 characters, got one of 3/);
    assert.ok(!e.message.includes("abc"));
    return true;
  });
  // deno-lint-ignore no-explicit-any
  assert.throws(() => registerSecret(undefined as any), /expects a string, got undefined/);
});

Deno.test("fields named like credentials are redacted whatever their value", () => {
  for (const k of ["password", "apiKey", "api_key", "x-api-key", "accessToken", "clientSecret"]) {
    assert.equal(isSensitiveKey(k), true, k);
  }
  for (const k of ["Authorization", "cookie", "credentials", "private_key", "dbPassword"]) {
    assert.equal(isSensitiveKey(k), true, k);
  }
  for (const k of ["tokenBucket", "authProfile", "modality", "secretName", "author"]) {
    assert.equal(isSensitiveKey(k), false, k);
  }
  assert.deepEqual(
    redactFields({ user: "ada", auth: { password: "pw" }, list: [{ token: 1 }], n: 2 }),
    { user: "ada", auth: "[REDACTED]", list: [{ token: "[REDACTED]" }], n: 2 },
  );
  const lines: string[] = [];
  const err = Object.assign(new Error("boom"), { apiKey: "unregistered-value" });
  createLogger({ sink: (l) => lines.push(l) }).info("x", {
    headers: new Map([["authorization", "Basic abc"]]),
    err,
  });
  assert.ok(!lines[0].includes("Basic abc"));
  assert.ok(!lines[0].includes("unregistered-value"));
});
