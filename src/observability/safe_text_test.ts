import assert from "node:assert/strict";
import { errorMessage, escapeControlChars } from "./mod.ts";

Deno.test("escapeControlChars() escapes C0, DEL, C1 and bidi controls; keeps tabs and, on request, line breaks", () => {
  assert.equal(escapeControlChars("a\x1b[2Jb"), "a\\x1b[2Jb");
  assert.equal(escapeControlChars("\x00\x07\x7f\x9b"), "\\x00\\x07\\x7f\\x9b");
  assert.equal(escapeControlChars("x\r\ny"), "x\\r\\ny");
  assert.equal(escapeControlChars("x\r\ny", { keepLineBreaks: true }), "x\\r\ny");
  assert.equal(escapeControlChars("ab\u202ecd\u2066"), "ab\\u202ecd\\u2066");
  assert.equal(escapeControlChars("tab\tand ünïcödé °"), "tab\tand ünïcödé °");
});

Deno.test("errorMessage() gives a message for errors, serialised errors and other values", () => {
  assert.equal(errorMessage(new RangeError("r")), "r");
  assert.equal(
    errorMessage({ name: "NotADirectory", message: "Not a directory" }),
    "Not a directory",
  );
  assert.equal(errorMessage({ code: 5 }), '{"code":5}');
  assert.equal(errorMessage("plain"), "plain");
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.doesNotThrow(() => errorMessage(cyclic));
});
