/**
 * The sandbox's wire protocol: typed arrays cross as raw bytes, every cap is checked before
 * the data it guards is allocated or parsed, and frames survive any chunking of the stream.
 */
import assert from "node:assert/strict";
import {
  decodeBody,
  encodeFrame,
  FrameError,
  FrameReader,
  FrameTooLargeError,
} from "../../src/ingestion/_protocol.ts";

function streamOf(chunks: Uint8Array[]) {
  let pulls = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      const next = chunks[pulls++];
      if (next === undefined) c.close();
      else c.enqueue(next);
    },
  }, { highWaterMark: 0 });
  return { stream, pulls: () => pulls };
}

Deno.test("typed arrays cross as raw little-endian bytes, views and odd offsets included", () => {
  const base = new Float64Array([0, 1.5, -2.25, NaN, 1e300]);
  const message = {
    type: "result",
    id: 3,
    data: {
      a: base.subarray(1), // a view at byte offset 8
      b: new Float32Array([1, 2, 3]),
      c: new Uint8Array([1, 2, 3, 4, 5]),
      s: "text",
    },
  };
  const frame = encodeFrame(message);
  // 4 + 8 + 3 * 4 + 5 bytes of arrays: the frame is a little more than that, not decimal text.
  assert.ok(frame.byteLength < 4 + 4 + 200 + 32 + 16 + 8, `frame of ${frame.byteLength} bytes`);
  const n = new DataView(frame.buffer).getUint32(0, true);
  assert.equal(n, frame.byteLength - 4);
  const out = decodeBody(frame.slice(4)) as typeof message;
  assert.ok(out.data.a instanceof Float64Array);
  assert.deepEqual([...out.data.a], [...base.subarray(1)]);
  assert.ok(Number.isNaN(out.data.a[2]));
  assert.deepEqual([...out.data.b], [1, 2, 3]);
  assert.deepEqual([...out.data.c], [1, 2, 3, 4, 5]);
  assert.equal(out.data.s, "text");
});

Deno.test("FrameReader refuses a length prefix above its cap without reading the body", async () => {
  const frame = encodeFrame({ type: "result", id: 1, data: new Float64Array(1000) });
  const { stream, pulls } = streamOf([frame.subarray(0, 4), frame.subarray(4)]);
  const reader = new FrameReader(stream, 1000);
  const e = await reader.next().catch((e) => e);
  assert.ok(e instanceof FrameTooLargeError, String(e));
  assert.equal(e.declared, frame.byteLength - 4);
  assert.equal(e.max, 1000);
  assert.equal(pulls(), 1, "only the 4-byte prefix was pulled");
  await reader.cancel();
});

Deno.test("FrameReader reassembles frames from any chunking and ends cleanly between frames", async () => {
  const frames = [
    encodeFrame({ type: "ready" }),
    encodeFrame({ type: "result", id: 2, data: { v: new Float64Array([1, 2, 3]) } }),
  ];
  const all = new Uint8Array(frames[0].byteLength + frames[1].byteLength);
  all.set(frames[0]);
  all.set(frames[1], frames[0].byteLength);
  for (const size of [1, 3, 7, all.byteLength]) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < all.byteLength; i += size) chunks.push(all.slice(i, i + size));
    const reader = new FrameReader(streamOf(chunks).stream, 1 << 20);
    assert.deepEqual(decodeBody((await reader.next())!), { type: "ready" });
    const second = decodeBody((await reader.next())!) as { data: { v: Float64Array } };
    assert.deepEqual([...second.data.v], [1, 2, 3]);
    assert.equal(await reader.next(), null);
  }
  // A stream cut inside a frame is an error, not a short message.
  const cut = new FrameReader(streamOf([frames[1].subarray(0, 10)]).stream, 1 << 20);
  await assert.rejects(
    cut.next(),
    (e: Error) => e instanceof FrameError && e.limit === "malformed",
  );
});

Deno.test("decodeBody checks the JSON size before parsing, and array lengths and strings while parsing", () => {
  const body = (m: unknown) => encodeFrame(m).slice(4);
  const big = body({ metadata: { extra: "x".repeat(5000) } });
  assert.throws(
    () => decodeBody(big, { maxJsonBytes: 1000 }),
    (e: Error) => e instanceof FrameError && e.limit === "maxJsonBytes" && e.found! > 5000,
  );
  assert.throws(
    () => decodeBody(big, { maxStringLength: 100 }),
    (e: Error) => e instanceof FrameError && e.limit === "maxStringLength" && e.found === 5000,
  );
  assert.throws(
    () => decodeBody(body({ ["k".repeat(200)]: 1 }), { maxStringLength: 100 }),
    (e: Error) => e instanceof FrameError && e.limit === "maxStringLength",
  );
  assert.throws(
    () => decodeBody(body({ v: new Float64Array(50) }), { maxArrayLength: 10 }),
    (e: Error) => e instanceof FrameError && e.limit === "maxArrayLength" && e.found === 50,
  );
  // A placeholder pointing past the frame, or a type that is not allowed, is malformed.
  const forged = body({ v: { "\u0000ta": ["Float64Array", 0, 1_000_000] } });
  assert.throws(() => decodeBody(forged), (e: Error) => e instanceof FrameError);
  const foreign = body({ v: { "\u0000ta": ["BigInt64Array", 0, 0] } });
  assert.throws(() => decodeBody(foreign), (e: Error) => e instanceof FrameError);
  assert.throws(() => decodeBody(new Uint8Array([255, 255, 255, 255])), FrameError);
});
