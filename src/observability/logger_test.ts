import assert from "node:assert/strict";
import { createLogger, LoggerConfigError, parseLogLevel } from "./mod.ts";

const FIXED = new Date("2026-11-25T17:15:01.123Z");

function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const log = createLogger({ now: () => FIXED, sink: (l) => lines.push(l), ...options });
  return { log, lines };
}

Deno.test("createLogger() writes one JSON object per line with the standard keys first", () => {
  const { log, lines } = capture({ component: "cli", correlationId: "run-x" });
  log.info("fetch done", { modality: "gravity", durationSeconds: 1.2 });
  assert.equal(
    lines[0],
    '{"time":"2026-11-25T17:15:01.123Z","level":"info","msg":"fetch done",' +
      '"correlationId":"run-x","component":"cli","modality":"gravity","durationSeconds":1.2}',
  );
  assert.ok(!lines[0].includes("\n"));
});

Deno.test("the level threshold drops lower levels and silent drops all", () => {
  const { log, lines } = capture({ level: "warn" });
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
  assert.deepEqual(lines.map((l) => JSON.parse(l).level), ["warn", "error"]);
  assert.equal(log.isLevelEnabled("info"), false);
  assert.equal(log.isLevelEnabled("error"), true);
  const quiet = capture({ level: "silent" });
  quiet.log.error("e");
  assert.equal(quiet.lines.length, 0);
});

Deno.test("child() replaces component and correlation id and adds fields, sharing the sink", () => {
  const { log, lines } = capture({ component: "cli", correlationId: "run-1", fields: { a: 1 } });
  const child = log.child({
    component: "ingestion",
    correlationId: "fetch-2",
    modality: "magnetic",
  });
  child.info("start", { attempt: 1 });
  log.info("parent");
  const c = JSON.parse(lines[0]);
  assert.equal(c.component, "ingestion");
  assert.equal(c.correlationId, "fetch-2");
  assert.equal(c.modality, "magnetic");
  assert.equal(c.a, 1);
  assert.equal(c.attempt, 1);
  const p = JSON.parse(lines[1]);
  assert.equal(p.component, "cli");
  assert.equal(p.correlationId, "run-1");
  assert.equal(p.modality, undefined);
  assert.equal(child.level, "info");
});

Deno.test("errors in fields keep name, message, own properties and the cause chain", () => {
  const { log, lines } = capture();
  class FetchError extends Error {
    status = 503;
    constructor(message: string, options?: ErrorOptions) {
      super(message, options);
      this.name = "FetchError";
    }
  }
  const err = new FetchError("upstream failed", {
    cause: new TypeError("socket closed", { cause: "ECONNRESET" }),
  });
  log.error("fetch failed", { err });
  const rec = JSON.parse(lines[0]);
  assert.deepEqual(rec.err, {
    name: "FetchError",
    message: "upstream failed",
    status: 503,
    cause: { name: "TypeError", message: "socket closed", cause: "ECONNRESET" },
  });
  assert.equal(rec.err.stack, undefined);
  const withStacks = capture({ errorStacks: true });
  withStacks.log.error("x", { err });
  assert.match(JSON.parse(withStacks.lines[0]).err.stack, /FetchError: upstream failed/);
});

Deno.test("awkward field values serialise to valid JSON", () => {
  const { log, lines } = capture();
  const cyclic: Record<string, unknown> = { name: "c" };
  cyclic.self = cyclic;
  const selfCaused = new Error("loop");
  (selfCaused as { cause?: unknown }).cause = selfCaused;
  log.info("x", {
    nan: NaN,
    inf: -Infinity,
    big: 10n ** 20n,
    when: FIXED,
    grid: new Float32Array(4),
    set: new Set(["a"]),
    cyclic,
    selfCaused,
    skip: undefined,
    time: "user field named time",
  });
  const rec = JSON.parse(lines[0]);
  assert.equal(rec.nan, "NaN");
  assert.equal(rec.inf, "-Infinity");
  assert.equal(rec.big, "100000000000000000000");
  assert.equal(rec.when, "2026-11-25T17:15:01.123Z");
  assert.equal(rec.grid, "[Float32Array(4)]");
  assert.deepEqual(rec.set, ["a"]);
  assert.deepEqual(rec.cyclic, { name: "c", self: "[Circular]" });
  assert.equal(rec.selfCaused.cause, "[Circular]");
  assert.equal("skip" in rec, false);
  assert.equal(rec.time, "2026-11-25T17:15:01.123Z");
  assert.equal(rec.field_time, "user field named time");
});

Deno.test("the pretty format gives one readable line per event", () => {
  const { log, lines } = capture({
    format: "pretty",
    component: "ingestion",
    correlationId: "f-1",
  });
  log.warn("retrying", { attempt: 2, reason: "503 from upstream" });
  assert.equal(
    lines[0],
    '17:15:01.123 WARN  ingestion [f-1] retrying attempt=2 reason="503 from upstream"',
  );
});

Deno.test("createLogger() and parseLogLevel() reject an unknown level or format", () => {
  assert.equal(parseLogLevel(" Debug "), "debug");
  assert.equal(parseLogLevel("silent"), "silent");
  assert.throws(() => parseLogLevel("verbose", "--log-level"), (e: unknown) => {
    assert.ok(e instanceof LoggerConfigError);
    assert.equal(
      e.message,
      'Invalid --log-level "verbose"; expected one of debug, info, warn, error, silent',
    );
    return true;
  });
  // deno-lint-ignore no-explicit-any
  assert.throws(() => createLogger({ format: "xml" as any }), /Invalid log format "xml"/);
});

Deno.test("the default sink writes JSON lines to stderr", async () => {
  const code = `
    import { createLogger } from ${JSON.stringify(new URL("./mod.ts", import.meta.url).href)};
    createLogger({ component: "probe" }).info("hello", { n: 1 });
    createLogger({ component: "probe" }).debug("dropped");
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", new URL("../../deno.json", import.meta.url).pathname, code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout), "");
  const lines = new TextDecoder().decode(out.stderr).trim().split("\n");
  assert.equal(lines.length, 1);
  const rec = JSON.parse(lines[0]);
  assert.equal(rec.msg, "hello");
  assert.equal(rec.component, "probe");
  assert.ok(!Number.isNaN(Date.parse(rec.time)));
});
