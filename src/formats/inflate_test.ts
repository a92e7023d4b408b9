import { Buffer } from "node:buffer";
import assert from "node:assert/strict";
import { deflateSync, gzipSync } from "node:zlib";
import { damagedBlock, inflate } from "./inflate.ts";
import { WorkerPool } from "../compute/pool.ts";

/** Random-walk float32 rows, as survey grids are: compressible, every bit pattern kept. */
function rows(n: number, width: number, seed: number): Float32Array {
  const out = new Float32Array(n * width);
  let v = 0, s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    v += s / 2147483648 - 0.5;
    out[i] = v;
  }
  out[3] = NaN;
  return out;
}

Deno.test("inflate() gives node:zlib's bytes back, on this thread and on workers, zlib and gzip", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const blocks = [rows(3, 50, 1), rows(1, 50, 2), rows(2, 50, 3)];
  const bytes = (b: Float32Array) => new Uint8Array(b.buffer);
  for (const gzip of [false, true]) {
    const streams = blocks.map((b) => (gzip ? gzipSync : deflateSync)(bytes(b)));
    const lengths = Uint32Array.from(streams, (s) => s.length);
    const sizes = Uint32Array.from(blocks, (b) => b.byteLength);
    const expected = new Uint8Array(Buffer.concat(blocks.map(bytes)));
    for (const where of [undefined, pool]) {
      const run = new Uint8Array(Buffer.concat(streams)); // a buffer of its own, per call
      const raw = await inflate("inflate_blocks", { run, lengths, sizes, gzip }, where);
      assert.deepEqual(raw, expected, `gzip ${gzip}, ${where ? "pool" : "this thread"}`);
      const again = new Uint8Array(Buffer.concat(streams));
      const samples = await inflate("inflate_float32_blocks", {
        run: again,
        lengths,
        rows: new Uint32Array([3, 1, 2]),
        width: 50,
        predictor: 1,
        gzip,
      }, where);
      assert.deepEqual(new Uint8Array(samples.buffer), expected);
    }
  }
});

Deno.test("inflate() names the damaged block of a run, and damagedBlock() reads it back", async () => {
  await using pool = new WorkerPool({ size: 1 });
  const a = deflateSync(new Uint8Array(400)), b = deflateSync(new Uint8Array(400).fill(7));
  const lengths = new Uint32Array([a.length, b.length]), sizes = new Uint32Array([400, 400]);
  for (const where of [undefined, pool]) {
    const run = new Uint8Array(Buffer.concat([a, b]));
    run[a.length + 3] ^= 0xff; // inside block 1's stream
    const error = await inflate("inflate_blocks", { run, lengths, sizes, gzip: false }, where)
      .then(() => undefined, (e) => e);
    assert.ok(error instanceof Error, "a damaged block must be refused");
    const damaged = damagedBlock(error);
    assert.equal(damaged?.index, 1, error.message);
    assert.match(damaged!.reason, /damaged or cut short|checksum|inflates to/);
  }
  assert.equal(damagedBlock(new Error("worker lost")), undefined);
  assert.equal(damagedBlock("not an error"), undefined);
});
