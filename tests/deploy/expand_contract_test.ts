/**
 * Expand/contract (README "Operations"): a release's migration only adds, so the running version
 * keeps working while the next one rolls out. Checked two ways: every migration file after the
 * first is free of contracting statements unless its name ends in `_contract`; and, on the
 * PostgreSQL server, this version's queries run on its schema plus an example next expand step,
 * while the same queries fail on a contracting step (so the check can fail).
 */
import assert from "node:assert/strict";
import { ROOT } from "../_gam_cli.ts";
import { openDatabase } from "../../src/persistence/mod.ts";
import { scratchDatabase, SERVER_URL } from "../../src/persistence/_testing.ts";

/** Statements that remove or tighten what a running version may read or write. */
const CONTRACTING: [RegExp, string][] = [
  [/\bDROP\s+(TABLE|VIEW|COLUMN|CONSTRAINT|TYPE|SCHEMA)\b/i, "DROP"],
  [/\bRENAME\b/i, "RENAME"],
  [/\bALTER\s+COLUMN\s+\w+\s+(SET\s+DATA\s+)?TYPE\b/i, "ALTER COLUMN ... TYPE"],
  [/\bALTER\s+COLUMN\s+\w+\s+SET\s+NOT\s+NULL\b/i, "SET NOT NULL"],
  [
    /\bADD\s+COLUMN\s+[^,;]*\bNOT\s+NULL\b(?![^,;]*\bDEFAULT\b)/i,
    "ADD COLUMN ... NOT NULL without DEFAULT",
  ],
];

/** The contracting statements of a migration's SQL (comments removed). */
function contracting(sql: string): string[] {
  const code = sql.replace(/--[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "");
  return CONTRACTING.filter(([re]) => re.test(code)).map(([, what]) => what);
}

const DIR = `${ROOT}migrations/`;
const files = [...Deno.readDirSync(DIR)].map((e) => e.name).filter((n) => n.endsWith(".sql"))
  .sort();

Deno.test("migrations after the first only expand, unless named *_contract", async () => {
  assert.ok(files.length >= 3, files.join(", "));
  for (const f of files.slice(1)) {
    if (/_contract\.sql$/.test(f)) continue;
    assert.deepEqual(contracting(await Deno.readTextFile(`${DIR}${f}`)), [], f);
  }
  // The rule itself finds what it must.
  assert.deepEqual(contracting("ALTER TABLE runs RENAME COLUMN status TO state;"), ["RENAME"]);
  assert.deepEqual(contracting("ALTER TABLE runs ADD COLUMN color text NOT NULL;"), [
    "ADD COLUMN ... NOT NULL without DEFAULT",
  ]);
  assert.deepEqual(
    contracting("ALTER TABLE runs ADD COLUMN color text NOT NULL DEFAULT 'blue';"),
    [],
  );
  assert.deepEqual(contracting("-- DROP TABLE runs\nCREATE INDEX a ON runs (id);"), []);
});

/** This version's run queries, as gam run uses them. */
async function runQueries(url: string): Promise<void> {
  const db = await openDatabase({ url, migrate: false });
  try {
    const owner = { host: "h", pid: 1, processStart: "1", instance: "i" };
    await db.repo.createRun({ id: "r1", configHash: "c", owner });
    assert.equal(await db.repo.heartbeatRun("r1"), true);
    assert.deepEqual((await db.repo.runningRuns()).map((r) => r.id), ["r1"]);
    await db.repo.putMetadata("r1", "k", { v: 1 });
    await db.repo.finishRun("r1", "succeeded");
    assert.equal((await db.repo.getRun("r1"))?.status, "succeeded");
  } finally {
    await db.close();
  }
}

Deno.test({
  name: "this version's queries run on the next expand step and fail on a contracting one",
  ignore: !SERVER_URL,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "gam-expand-" });
    try {
      const next = String(files.length + 1).padStart(4, "0");
      for (
        const [label, sql, works] of [
          [
            "expand",
            "ALTER TABLE runs ADD COLUMN deploy_color text;\n" +
            "CREATE TABLE canary_results (id bigserial PRIMARY KEY, run_id text REFERENCES runs(id));\n" +
            "CREATE INDEX runs_color_idx ON runs (deploy_color);\n",
            true,
          ],
          ["contract", "ALTER TABLE runs RENAME COLUMN config_hash TO config_digest;\n", false],
        ] as const
      ) {
        await t.step(`${label}: this version's queries ${works ? "work" : "fail"}`, async () => {
          const scratch = await scratchDatabase(`gam_${label}`);
          const mig = `${dir}/${label}`;
          try {
            await Deno.mkdir(mig);
            for (const f of files) await Deno.copyFile(`${DIR}${f}`, `${mig}/${f}`);
            await Deno.writeTextFile(`${mig}/${next}_${label}_example.sql`, sql);
            const db = await openDatabase({ url: scratch.url, migrate: false });
            try {
              const report = await db.migrate({ dir: mig });
              assert.equal(report.applied.length, files.length + 1);
            } finally {
              await db.close();
            }
            if (works) await runQueries(scratch.url);
            else await assert.rejects(runQueries(scratch.url), /config_hash/);
          } finally {
            await scratch.drop();
          }
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
