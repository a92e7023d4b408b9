/**
 * `deno task bench:run`: wall time of the default main job (`gam run` with the shipped
 * config/ingestion.yaml), cold (empty cache, new embedded database) and warm (everything
 * cached, database reopened), as a user runs it: a fresh `deno` process each time, measured
 * from spawn to exit. Prints per-stage shares of the cold run.
 *
 * Flags: `--repeat N` warm runs (default 3; the best, median and worst are printed).
 *
 * @module
 */
import { spawnGam } from "../tests/_gam_cli.ts";
const repeat = Number(Deno.args[Deno.args.indexOf("--repeat") + 1]) || 3;
const dir = await Deno.makeTempDir({ prefix: "gam-bench-run-" });

async function run(label: string): Promise<{ seconds: number; summary: Record<string, unknown> }> {
  const t0 = performance.now();
  const out = await spawnGam(["run", "--json", "--output-dir", `${dir}/out`], {
    env: { GAM__DEFAULTS__CACHE_DIR: `${dir}/cache`, GAM__DEFAULTS__LOG_LEVEL: "warn" },
  }).output();
  const seconds = (performance.now() - t0) / 1000;
  if (!out.success) {
    console.error(new TextDecoder().decode(out.stderr));
    throw new Error(`${label} run failed with exit status ${out.code}`);
  }
  return { seconds, summary: JSON.parse(new TextDecoder().decode(out.stdout)) };
}

console.log(`default run (config/ingestion.yaml), ${navigator.hardwareConcurrency} cores`);
const cold = await run("cold");
console.log(`cold: ${cold.seconds.toFixed(2)} s (empty cache, new embedded database)`);
const warm: number[] = [];
for (let i = 0; i < repeat; i++) {
  const w = await run("warm");
  const caches = (w.summary.modalities as { cache: string }[]).map((m) => m.cache);
  if (caches.some((c) => c !== "hit")) {
    throw new Error(`warm run was not all cache hits: ${caches}`);
  }
  warm.push(w.seconds);
}
warm.sort((a, b) => a - b);
console.log(
  `warm: best ${warm[0].toFixed(2)} s, median ${warm[Math.floor(warm.length / 2)].toFixed(2)} s, ` +
    `worst ${warm[warm.length - 1].toFixed(2)} s over ${repeat} runs (everything cached; ratio ` +
    `cold/warm ${(cold.seconds / warm[0]).toFixed(1)}x best, ${
      (cold.seconds / warm[Math.floor(warm.length / 2)]).toFixed(1)
    }x median)`,
);
type Mod = { modality: string; durationSeconds: number; cache: string };
const warmMods = (await run("warm")).summary.modalities as Mod[];
console.log("\nper modality (ingest + preprocess + write; process and database start excluded):");
for (const m of cold.summary.modalities as Mod[]) {
  const w = warmMods.find((x) => x.modality === m.modality)!;
  console.log(
    `  ${m.modality.padEnd(9)} cold ${m.durationSeconds.toFixed(3)} s (${m.cache}), warm ` +
      `${w.durationSeconds.toFixed(3)} s (${w.cache}): ${
        (m.durationSeconds / w.durationSeconds).toFixed(1)
      }x`,
  );
}
const manifest = JSON.parse(
  await Deno.readTextFile(`${cold.summary.runDir}/manifest.json`),
) as { stages: Record<string, { branch: string; stage: string; durationSeconds: number }[]> };
console.log("\ncold run, per-stage share of each modality's stage time:");
for (const [modality, stages] of Object.entries(manifest.stages)) {
  const total = stages.reduce((s, r) => s + r.durationSeconds, 0);
  for (const s of stages) {
    console.log(
      `  ${modality.padEnd(9)} ${`${s.stage} (${s.branch})`.padEnd(18)} ${
        s.durationSeconds.toFixed(3)
      } s ` +
        `${((s.durationSeconds / total) * 100).toFixed(0).padStart(3)}%`,
    );
  }
}
await Deno.remove(dir, { recursive: true });
