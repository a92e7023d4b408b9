import assert from "node:assert/strict";
import { CorrelationIdError, isCorrelationId, newCorrelationId } from "./mod.ts";

Deno.test("newCorrelationId() stamps the prefix and UTC time and adds 12 random hex digits", () => {
  const id = newCorrelationId("fetch", { now: new Date("2026-11-25T17:15:01.987Z") });
  assert.match(id, /^fetch-20261125T171501Z-[0-9a-f]{12}$/);
  assert.ok(isCorrelationId(id));
  assert.match(newCorrelationId(), /^run-\d{8}T\d{6}Z-[0-9a-f]{12}$/);
});

Deno.test("newCorrelationId() gives distinct ids within the same second", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const ids = new Set(Array.from({ length: 1000 }, () => newCorrelationId("run", { now })));
  assert.equal(ids.size, 1000);
});

Deno.test("newCorrelationId() rejects a prefix that is not a lower-case word", () => {
  assert.throws(() => newCorrelationId("Bad Prefix"), CorrelationIdError);
  assert.throws(() => newCorrelationId(""), /got ""/);
  assert.equal(isCorrelationId("run-1"), false);
  assert.equal(isCorrelationId(42), false);
});
