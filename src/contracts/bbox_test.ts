import assert from "node:assert/strict";
import { bboxContains, BboxError, checkBbox, normaliseBbox, parseBbox } from "./bbox.ts";
import { BboxSchema } from "./bbox_schema.ts";

Deno.test("checkBbox() accepts a valid box and returns it unchanged", () => {
  assert.deepEqual(checkBbox([16, -35, 33, -22]), [16, -35, 33, -22]);
  assert.deepEqual(checkBbox([-180, -90, 180, 90]), [-180, -90, 180, 90]);
});

Deno.test("checkBbox() names the field and the broken rule", async (t) => {
  const cases: [unknown, RegExp][] = [
    [[1, 2, 3], /expected \[minLon, minLat, maxLon, maxLat\] \(4 numbers\), got \[1,2,3\]/],
    ["1,2,3,4", /4 numbers\), got "1,2,3,4"/],
    [[NaN, 0, 1, 1], /minLon must be a finite number/],
    [[0, Infinity, 1, 1], /minLat must be a finite number/],
    [[0, 0, "1", 1], /maxLon must be a finite number, got "1"/],
    [[-181, 0, 1, 1], /minLon must be within \[-180, 180\] degrees, got -181/],
    [[0, 0, 181, 1], /maxLon must be within \[-180, 180\]/],
    [[0, -91, 1, 1], /minLat must be within \[-90, 90\] degrees, got -91/],
    [[0, 0, 1, 90.5], /maxLat must be within \[-90, 90\]/],
    [[5, 0, 5, 1], /minLon must be < maxLon, got 5 and 5/],
    [[0, 2, 1, 2], /minLat must be < maxLat, got 2 and 2/],
    [[0, 3, 1, 2], /minLat must be < maxLat, got 3 and 2/],
  ];
  for (const [box, pattern] of cases) {
    await t.step(`rejects ${JSON.stringify(box)}`, () => {
      assert.throws(() => checkBbox(box, "defaults.bbox"), (e: unknown) => {
        assert.ok(e instanceof BboxError && e instanceof RangeError);
        assert.match(e.message, /^Invalid bbox in defaults\.bbox: /);
        assert.match(e.message, pattern);
        assert.equal(e.field, "defaults.bbox");
        return true;
      });
    });
  }
});

Deno.test("checkBbox() says an antimeridian-crossing box is not supported", () => {
  assert.throws(() => checkBbox([170, -10, -170, 10], "--bbox"), /crosses the antimeridian/);
});

Deno.test("parseBbox() reads comma-separated text and rejects bad parts", () => {
  assert.deepEqual(parseBbox(" 16, -35,33,-22 "), [16, -35, 33, -22]);
  assert.throws(() => parseBbox("16,-35,33"), /4 comma-separated numbers\), got "16,-35,33"/);
  assert.throws(
    () => parseBbox("16,abc,33,-22", "--bbox"),
    /--bbox: minLat must be a finite number/,
  );
  assert.throws(() => parseBbox("16,,33,-22"), /minLat must be a finite number/);
});

Deno.test("BboxSchema reports the same rule as checkBbox", () => {
  const r = BboxSchema.safeParse([0, 0, 1, 100]);
  assert.equal(r.success, false);
  assert.match(r.error!.issues[0].message, /maxLat must be within \[-90, 90\] degrees, got 100/);
  assert.equal(BboxSchema.safeParse([0, 0, 1, 1]).success, true);
});

Deno.test("bboxContains() includes edges and honours the tolerance", () => {
  const box = [0, 0, 1, 1] as const;
  assert.equal(bboxContains(box, 1, 1), true);
  assert.equal(bboxContains(box, 1.0001, 0.5), false);
  assert.equal(bboxContains(box, 1.0001, 0.5, 0.001), true);
});

Deno.test("normaliseBbox() rounds to 1e-9 degrees and turns -0 into 0", () => {
  assert.deepEqual(normaliseBbox([16.0000000000001, -35, 33, -22]), [16, -35, 33, -22]);
  assert.ok(Object.is(normaliseBbox([-0, -1, 1, 1])[0], 0));
  assert.throws(() => normaliseBbox([1, 0, 1, 1]), BboxError);
});
