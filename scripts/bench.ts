/**
 * `deno task bench`: every `bench:*` task in turn (grid, grid-holdout, e2e, filters, cache, pipeline, run, sandbox).
 *
 * @module
 */
const tasks = [
  "bench:grid",
  "bench:grid-holdout",
  "bench:e2e",
  "bench:filters",
  "bench:cache",
  "bench:pipeline",
  "bench:run",
  "bench:sandbox",
];
let failed = 0;
for (const task of tasks) {
  console.log(`\n=== deno task ${task}`);
  const status = await new Deno.Command(Deno.execPath(), { args: ["task", task] }).spawn().status;
  if (!status.success) failed++;
}
Deno.exit(failed > 0 ? 1 : 0);
