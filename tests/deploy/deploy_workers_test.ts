/**
 * `gam deploy up --target local` in queue mode as real processes against a PostgreSQL server:
 * steps 2 and 3 start `gam worker --profile io` and `--profile cpu` and wait for their
 * `/readyz`; a worker killed before it is ready fails its step, the later steps are not
 * started and the processes already started are stopped; a full deployment stops every
 * process on SIGTERM.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { ROOT } from "../_gam_cli.ts";
import { deployUp } from "./_deploy.ts";
import { scratchDatabase, SERVER_URL } from "../../src/persistence/_testing.ts";

const alive = (pid: number) => {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
};

Deno.test({
  name:
    "gam deploy up in queue mode starts the io and cpu workers before the orchestrator; a killed worker stops the sequence",
  ignore: !SERVER_URL,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-deploy-workers-" }));
    const scratch = await scratchDatabase("gam_deploy_workers");
    const env = { DATABASE_URL: scratch.url };
    try {
      const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`));
      c.defaults.bbox = [10, 45, 10.2, 45.2];
      c.defaults.outputDir = `${dir}/out`;
      c.defaults.cacheDir = `${dir}/cache`;
      c.defaults.logLevel = "warn";
      c.service.listen = "127.0.0.1:0";
      c.modalities.gravity.schedule = "0 3 * * *";
      c.execution = { mode: "queue" };
      const path = `${dir}/gam.yaml`;
      await Deno.writeTextFile(path, stringify(c));

      await t.step("a worker killed before it is ready fails its step", async () => {
        const d = deployUp(path, env);
        const [, io] = await d.until(/step 2 ingestion workers: worker io started \(pid (\d+)\)/);
        const [, cpu] = await d.until(
          /step 3 preprocessing workers: worker cpu started \(pid (\d+)\)/,
        );
        Deno.kill(Number(cpu), "SIGKILL");
        const s = await d.done();
        const text = d.text();
        assert.equal(s.code, 1, text);
        assert.match(text, /worker io ready on http:\/\/127\.0\.0\.1:\d+/);
        assert.match(
          text,
          /step 3 preprocessing workers failed: gam worker --profile cpu exited \(SIGKILL\)/,
        );
        assert.match(text, /not started: 4 orchestrator, 5 schedules/);
        assert.doesNotMatch(text, /step 4 orchestrator: starting/);
        assert.equal(alive(Number(io)), false, "the io worker was stopped");
      });

      await t.step(
        "every step done, then SIGTERM stops the workers and the orchestrator",
        async () => {
          const d = deployUp(path, env);
          await d.until(/deployed \(orchestrator on http:\/\/127\.0\.0\.1:\d+\)/);
          const text = d.text();
          const pids = [...text.matchAll(/started \(pid (\d+)\)/g)].map((m) => Number(m[1]));
          assert.equal(pids.length, 3, text);
          for (const [, url] of text.matchAll(/worker (?:io|cpu) ready on (http:\/\/\S+)/g)) {
            const r = await fetch(`${url}/readyz`);
            await r.body?.cancel();
            assert.equal(r.status, 200, url);
          }
          assert.match(
            text,
            /step 1 migrations: done[\s\S]*step 2 ingestion workers: done[\s\S]*step 3 preprocessing workers: done[\s\S]*step 4 orchestrator: done[\s\S]*step 5 schedules: done/,
          );
          d.child.kill("SIGTERM");
          const s = await d.done();
          assert.equal(s.code, 0, d.text());
          for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} stopped`);
        },
      );
    } finally {
      await scratch.drop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
