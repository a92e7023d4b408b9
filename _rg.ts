import process from "node:process";
import { readGrid } from "./src/formats/mod.ts";
import { WorkerPool } from "./src/compute/pool.ts";
await using pool = new WorkerPool({ size: 2 });
await pool.run({ kernel: "core_version", args: {} });
await pool.run({ kernel: "core_version", args: {} });
for (let i = 0; i < 2; i++) for (const f of Deno.args) {
  for (const p of [undefined, pool]) {
    const c0 = process.cpuUsage();
    const t = performance.now();
    await readGrid(f, { pool: p });
    const c1 = process.cpuUsage(c0);
    console.log(f.split("/").pop(), p ? "pool" : "main", (performance.now() - t).toFixed(0), "ms", ((c1.user + c1.system) / 1000).toFixed(0), "ms cpu");
  }
}
