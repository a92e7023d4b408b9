import assert from "node:assert/strict";
import {
  childTraceparent,
  newTraceparent,
  parseTraceparent,
  runTraceparent,
  traceIdOf,
  TraceparentError,
} from "./mod.ts";

const GIVEN = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

Deno.test("parseTraceparent() splits a W3C version-00 traceparent", () => {
  assert.deepEqual(parseTraceparent(GIVEN), {
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    flags: "01",
  });
});

Deno.test("parseTraceparent() refuses other versions, upper case, all-zero ids and wrong lengths", () => {
  for (
    const bad of [
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
      "run-20261125T171501Z-3f9a0c41b2d7",
    ]
  ) {
    assert.throws(() => parseTraceparent(bad, "TRACEPARENT"), (e: unknown) => {
      assert.ok(e instanceof TraceparentError && e instanceof SyntaxError);
      assert.match(e.message, /in TRACEPARENT; expected "00-<32 lower-case hex/);
      assert.ok(e.message.includes(JSON.stringify(bad)));
      return true;
    });
  }
});

Deno.test("newTraceparent() makes distinct valid traces; childTraceparent() keeps the trace, not the span", () => {
  const a = newTraceparent(), b = newTraceparent();
  assert.notEqual(traceIdOf(a), traceIdOf(b));
  const child = childTraceparent(a);
  assert.equal(traceIdOf(child), traceIdOf(a));
  assert.notEqual(parseTraceparent(child).spanId, parseTraceparent(a).spanId);
  assert.equal(parseTraceparent(child).flags, "01");
});

Deno.test("runTraceparent() continues the submitting command's TRACEPARENT, else starts a trace", () => {
  const run = runTraceparent((n) => (n === "TRACEPARENT" ? GIVEN : undefined));
  assert.equal(traceIdOf(run), "4bf92f3577b34da6a3ce929d0e0e4736");
  assert.notEqual(run, GIVEN);
  const fresh = runTraceparent(() => undefined);
  assert.notEqual(traceIdOf(fresh), "4bf92f3577b34da6a3ce929d0e0e4736");
  assert.throws(() => runTraceparent(() => "nope"), /TRACEPARENT environment variable/);
});
