/**
 * `deno task dashboards`: writes the Grafana dashboards built by
 * monitoring/grafana/dashboards.ts to monitoring/grafana/dashboards/*.json.
 * `deno task dashboards --check`: writes nothing; exits 1 when a committed file differs from a
 * fresh generation (or is missing, or is not generated any more).
 * `--dir DIR` reads or writes another folder (tests).
 */
import { buildDashboards } from "../monitoring/grafana/dashboards.ts";

const at = Deno.args.indexOf("--dir");
const DIR = at >= 0
  ? `${Deno.args[at + 1].replace(/\/+$/, "")}/`
  : new URL("../monitoring/grafana/dashboards/", import.meta.url).pathname;
const check = Deno.args.includes("--check");
const fresh = Object.entries(buildDashboards()).map(([name, d]) =>
  [name, JSON.stringify(d, null, 2) + "\n"] as const
);
if (!check) {
  await Deno.mkdir(DIR, { recursive: true });
  for (const [name, text] of fresh) await Deno.writeTextFile(`${DIR}${name}`, text);
  console.log(`wrote ${fresh.length} dashboards to ${DIR}`);
} else {
  const problems: string[] = [];
  for (const [name, text] of fresh) {
    const committed = await Deno.readTextFile(`${DIR}${name}`).catch(() => undefined);
    if (committed === undefined) problems.push(`${name}: missing`);
    else if (committed !== text) problems.push(`${name}: differs from a fresh generation`);
  }
  const names = new Set(fresh.map(([n]) => n));
  for await (const e of Deno.readDir(DIR)) {
    if (e.name.endsWith(".json") && !names.has(e.name)) problems.push(`${e.name}: not generated`);
  }
  if (problems.length > 0) {
    console.error(`monitoring/grafana/dashboards is out of date (run deno task dashboards):`);
    for (const p of problems) console.error(`  ${p}`);
    Deno.exit(1);
  }
  console.log(`${fresh.length} dashboards match a fresh generation`);
}
