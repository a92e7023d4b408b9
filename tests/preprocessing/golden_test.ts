import assert from "node:assert/strict";
import { readGolden, runGolden } from "./_golden.ts";

const golden = await readGolden();

for (const g of golden) {
  Deno.test(`golden pipeline "${g.name}" gives the committed checksums with 1 and 3 workers`, async () => {
    assert.ok(Object.keys(g.expected).length > 0, "golden.json has expected checksums");
    const one = await runGolden(g, 1);
    const three = await runGolden(g, 3);
    assert.deepEqual(three, one, "1 and 3 workers give identical outputs");
    assert.deepEqual(one, g.expected);
  });
}
