import assert from "node:assert/strict";
import { storageDigest } from "./digest.ts";

Deno.test("storageDigest() ignores key order and skips absent arrays", () => {
  const lat = new Float64Array([1, 2, 3]);
  const value = new Float32Array([4, NaN, 6]);
  const d = storageDigest({ lat, value });
  assert.match(d, /^crc32:[0-9a-f]{8}$/);
  assert.equal(storageDigest({ value, lat, height: undefined }), d);
});

Deno.test("storageDigest() changes with any flipped bit, the dtype, the name or a split", () => {
  const values = new Float32Array(100_000).map((_, i) => Math.sin(i));
  const base = storageDigest({ values });
  const seen = new Set([base]);
  for (const [byte, bit] of [[0, 0], [200_001, 7], [399_999, 3]]) {
    const copy = values.slice();
    new Uint8Array(copy.buffer)[byte] ^= 1 << bit;
    seen.add(storageDigest({ values: copy }));
  }
  seen.add(storageDigest({ values: Float64Array.from(values) }));
  seen.add(storageDigest({ value: values }));
  seen.add(
    storageDigest({ a: values.subarray(0, 50_000), b: values.subarray(50_000) }),
  );
  assert.equal(seen.size, 7);
});

Deno.test("storageDigest() is the standard CRC-32 of the encoding (checked against Python's zlib)", () => {
  // python3 -c "import zlib; print(hex(zlib.crc32(b'v\\tuint8\\t3\\n' + bytes([1, 2, 3]))))"
  assert.equal(storageDigest({ v: new Uint8Array([1, 2, 3]) }), "crc32:09b20add");
});

Deno.test("storageDigest() hashes a subarray's own bytes, not its whole buffer", () => {
  const big = new Float64Array([9, 1, 2, 9]);
  assert.equal(
    storageDigest({ v: big.subarray(1, 3) }),
    storageDigest({ v: new Float64Array([1, 2]) }),
  );
});
