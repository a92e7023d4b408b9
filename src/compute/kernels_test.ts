import assert from "node:assert/strict";
import * as core from "./wasm/gam_core.js";
import { KERNEL_PARAMS } from "./wasm/gam_core_params.ts";
import { callKernel, camelCase, kernelArgList, kernelOptionNames } from "./kernels.ts";

Deno.test("the parameter list of every kernel matches the generated module's functions", () => {
  // Functions, not the classes some kernels return (`Measured`), nor `watch_cancel`, which
  // only the worker calls (scripts/build_wasm.ts leaves it out of the kernels).
  const exported = Object.entries(core).filter(([k, v]) =>
    typeof v === "function" && !String(v).startsWith("class") && k !== "watch_cancel"
  );
  assert.equal(typeof core.watch_cancel, "function");
  assert.ok(Object.keys(core).includes("Measured"), "a class is told apart");
  assert.deepEqual(
    Object.keys(KERNEL_PARAMS).sort(),
    exported.map(([k]) => k).sort(),
    "one parameter list per exported function",
  );
  for (const [name, fn] of exported) {
    const names = KERNEL_PARAMS[name as keyof typeof KERNEL_PARAMS];
    assert.equal((fn as (...a: unknown[]) => unknown).length, names.length, name);
    // The glue declares the Rust parameter names: same names, same order.
    const declared = /^function\s*\w*\(([^)]*)\)/.exec(String(fn))?.[1];
    assert.equal(
      declared?.split(",").map((s) => s.trim()).filter(Boolean).join(","),
      names.join(","),
    );
  }
});

Deno.test("the committed bundle exports no test hook (debug_trap needs the test-hooks feature)", async () => {
  assert.equal("debug_trap" in core, false);
  assert.equal("debug_trap" in KERNEL_PARAMS, false);
  const bytes = await Deno.readFile(new URL("./wasm/gam_core_bg.wasm", import.meta.url));
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
  assert.ok(exports.includes("core_version"), "the check reads the real export list");
  assert.deepEqual(exports.filter((e) => /debug|trap|test/i.test(e)), []);
});

Deno.test("callKernel() maps the options object to the Rust parameter order", () => {
  // lon/lat swapped in the object: the order is the kernel's, not the object's.
  const d = callKernel(core, "distance_to_nearest", {
    spec: new Float64Array([0, 0, 0.5, 1, 3, 1]),
    lat: new Float64Array([0, 0]),
    lon: new Float64Array([0, 1]),
    row1: 1,
    row0: 0,
  });
  assert.deepEqual([...d], [0, 0.5, 0]);
  assert.equal(camelCase("max_iterations"), "maxIterations");
  assert.deepEqual(kernelOptionNames("grid_idw"), [
    "lon",
    "lat",
    "value",
    "spec",
    "row0",
    "row1",
    "k",
    "power",
    "radius",
    "minPoints",
  ]);
});

Deno.test("kernelArgList() names an unknown kernel, a foreign option and a missing one", () => {
  assert.throws(
    () => kernelArgList("grid_idww", {}),
    /Unknown kernel "grid_idww": expected one of/,
  );
  assert.throws(
    () => kernelArgList("hampel", { values: [1], lineIds: [1], halfWindow: 1, treshold: 3 }),
    /Kernel hampel has no option "treshold"; its options are values, lineIds, halfWindow, threshold/,
  );
  assert.throws(
    () =>
      kernelArgList("hampel", { values: [1], lineIds: [1], halfWindow: undefined, threshold: 3 }),
    (e: unknown) => e instanceof TypeError && /needs option "halfWindow"/.test(e.message),
  );
});

Deno.test("a wrong kernel name or option type fails type-checking", () => {
  // Never called: `deno check` fails if any of these lines stops being a type error.
  const _typeErrors = () => {
    // @ts-expect-error: not a kernel
    callKernel(core, "grid_idww", {});
    // @ts-expect-error: threshold is a number
    callKernel(core, "outliers_mad", { values: new Float64Array(1), threshold: "3" });
    // @ts-expect-error: minPoints missing
    callKernel(core, "grid_idw", {
      lon: [],
      lat: [],
      value: [],
      spec: [],
      row0: 0,
      row1: 1,
      k: 1,
      power: 2,
      radius: 1,
    });
  };
  assert.equal(typeof _typeErrors, "function");
});
