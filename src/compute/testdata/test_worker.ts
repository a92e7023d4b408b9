/**
 * The real compute worker plus three test-only kernels: `__test_crash` throws an uncaught error
 * (the worker dies), `__test_busy` spins for `args[0]` ms, `__test_double` returns its
 * Float64Array argument times two (in place, transferred back).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import "../worker.ts";

const real = self.onmessage as (e: MessageEvent) => void;
self.onmessage = (e: MessageEvent) => {
  const { id, kernel, args } = e.data;
  if (kernel === "__test_crash") {
    setTimeout(() => {
      throw new Error("deliberate crash");
    });
  } else if (kernel === "__test_busy") {
    const end = Date.now() + (args[0] as number);
    while (Date.now() < end) { /* spin */ }
    self.postMessage({ id, ok: true, value: null });
  } else if (kernel === "__test_double") {
    const a = args[0] as Float64Array;
    for (let i = 0; i < a.length; i++) a[i] *= 2;
    self.postMessage({ id, ok: true, value: a }, [a.buffer as ArrayBuffer]);
  } else {
    real(e);
  }
};
