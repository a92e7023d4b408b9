import assert from "node:assert/strict";
import { storageDigest } from "./digest.ts";

Deno.test("storageDigest() ignores key order and skips absent arrays", async () => {
  const lat = new Float64Array([1, 2, 3]);
  const value = new Float32Array([4, NaN, 6]);
  const d = await storageDigest({ lat, value });
  assert.match(d, /^xxh64:[0-9a-f]{16}$/);
  assert.equal(await storageDigest({ value, lat, height: undefined }), d);
});

Deno.test("storageDigest() changes with any flipped bit, the dtype, the name or a split", async () => {
  const values = new Float32Array(100_000).map((_, i) => Math.sin(i));
  const base = await storageDigest({ values });
  const seen = new Set([base]);
  for (const [byte, bit] of [[0, 0], [200_001, 7], [399_999, 3]]) {
    const copy = values.slice();
    new Uint8Array(copy.buffer)[byte] ^= 1 << bit;
    seen.add(await storageDigest({ values: copy }));
  }
  seen.add(await storageDigest({ values: Float64Array.from(values) }));
  seen.add(await storageDigest({ value: values }));
  seen.add(
    await storageDigest({ a: values.subarray(0, 50_000), b: values.subarray(50_000) }),
  );
  assert.equal(seen.size, 7);
});

Deno.test("storageDigest() hashes a subarray's own bytes, not its whole buffer", async () => {
  const big = new Float64Array([9, 1, 2, 9]);
  assert.equal(
    await storageDigest({ v: big.subarray(1, 3) }),
    await storageDigest({ v: new Float64Array([1, 2]) }),
  );
});
