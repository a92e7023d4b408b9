import { readGrid } from "./src/formats/mod.ts";
const [a, b] = await Promise.all(Deno.args.map((p) => readGrid(p)));
const x = new Uint8Array(a.values.buffer), y = new Uint8Array(b.values.buffer);
let same = x.length === y.length;
for (let i = 0; same && i < x.length; i++) if (x[i] !== y[i]) same = false;
console.log(
  same ? "values identical" : "VALUES DIFFER",
  JSON.stringify(a.provenance) === JSON.stringify(b.provenance) ? "prov same" : "prov differ",
);
