/**
 * `gam deploy plan|up --target local` as real processes: the plan lists the five steps in order;
 * `up` deploys and stops on SIGTERM; a step whose process is killed fails, is named, and the
 * later steps are not started; a failing migration step stops everything after it.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { gam, ROOT } from "../_gam_cli.ts";
import { deployUp } from "./_deploy.ts";
import { freePort } from "../monitoring/_stack.ts";

async function config(dir: string): Promise<string> {
  // deno-lint-ignore no-explicit-any
  const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as Record<string, any>;
  c.defaults.bbox = [10.0, 45.0, 10.2, 45.2];
  c.defaults.outputDir = `${dir}/out`;
  c.defaults.cacheDir = `${dir}/cache`;
  c.defaults.logLevel = "warn";
  c.service.listen = "127.0.0.1:0";
  c.modalities.gravity.schedule = "0 3 * * *";
  await Deno.writeTextFile(`${dir}/ingestion.yaml`, stringify(c));
  return `${dir}/ingestion.yaml`;
}

Deno.test("gam deploy plan lists the five steps in order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gam-deploy-" });
  try {
    const path = await config(dir);
    const r = await gam(["deploy", "plan", "--target", "local", "--config", path], {
      DATABASE_URL: "",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n").map((l) => l.slice(0, 23).trim()), [
      "1 migrations",
      "2 ingestion workers",
      "3 preprocessing workers",
      "4 orchestrator",
      "5 schedules",
    ]);
    assert.match(r.stdout, /5 schedules +armed in the orchestrator: gravity/);
    const bad = await gam(["deploy", "up", "--target", "kubernetes", "--config", path]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--target must be "local"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "gam deploy up: deploys and stops on SIGTERM; a killed orchestrator stops the sequence",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "gam-deploy-" });
    try {
      const path = await config(dir);
      const env = { DATABASE_URL: "", NO_COLOR: "1" };

      await t.step("the orchestrator killed before it is ready", async () => {
        const d = deployUp(path, env);
        const [, pid] = await d.until(/step 4 orchestrator: started \(pid (\d+)\)/);
        Deno.kill(Number(pid), "SIGKILL");
        const s = await d.done();
        assert.equal(s.code, 1, d.text());
        assert.match(d.text(), /step 4 orchestrator failed: gam serve exited \(SIGKILL\)/);
        assert.match(d.text(), /not started: 5 schedules/);
        assert.doesNotMatch(d.text(), /step 5 schedules: starting/);
      });

      await t.step("every step done, then SIGTERM stops it cleanly", async () => {
        const d = deployUp(path, env);
        await d.until(/deployed \(orchestrator on http:\/\/127\.0\.0\.1:\d+\)/);
        assert.match(d.text(), /step 5 schedules: done/);
        d.child.kill("SIGTERM");
        const s = await d.done();
        assert.equal(s.code, 0, d.text());
        assert.match(d.text(), /orchestrator exited \(code 0\)/);
      });

      await t.step("a failing migration step: nothing after it starts", async () => {
        const closed = freePort();
        const d = deployUp(path, {
          ...env,
          DATABASE_URL: `postgres://gam@127.0.0.1:${closed}/gam`,
        });
        const s = await d.done();
        assert.equal(s.code, 1, d.text());
        assert.match(d.text(), /step 1 migrations failed: gam db migrate exited with 1/);
        assert.match(
          d.text(),
          /not started: 2 ingestion workers, 3 preprocessing workers, 4 orchestrator, 5 schedules/,
        );
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
