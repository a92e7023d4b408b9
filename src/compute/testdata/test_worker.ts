/**
 * The real compute worker plus three test-only kernels ({@linkcode TestKernels}): `__test_crash`
 * throws an uncaught error (the worker dies), `__test_busy` spins for `args.ms` ms,
 * `__test_double` returns `args.values` times two (in place, transferred back).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import "../worker.ts";

/** The test-only kernels of this worker, for `new WorkerPool<CoreKernels & TestKernels>()`. */
export type TestKernels = {
  __test_crash: { args: Record<string, never>; result: never };
  __test_busy: { args: { ms: number }; result: null };
  __test_double: { args: { values: Float64Array }; result: Float64Array<ArrayBuffer> };
};

const real = self.onmessage as (e: MessageEvent) => void;
self.onmessage = (e: MessageEvent) => {
  const { id, kernel, args } = e.data;
  if (kernel === "__test_crash") {
    setTimeout(() => {
      throw new Error("deliberate crash");
    });
  } else if (kernel === "__test_busy") {
    const end = Date.now() + (args.ms as number);
    while (Date.now() < end) { /* spin */ }
    self.postMessage({ id, ok: true, value: null });
  } else if (kernel === "__test_double") {
    const a = args.values as Float64Array;
    for (let i = 0; i < a.length; i++) a[i] *= 2;
    self.postMessage({ id, ok: true, value: a }, [a.buffer as ArrayBuffer]);
  } else {
    real(e);
  }
};
