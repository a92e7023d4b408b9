/**
 * Blue/green with canary bboxes on a PostgreSQL server, as real processes: blue is deployed
 * and owns the schedules; a green whose gravity pipeline has a changed stage parameter fails
 * its canary (RMS difference over the tolerance), is not deployed past the canary and is not
 * promoted; a `gam serve` of the non-owning color fires no schedule while blue's keeps firing;
 * a neutral green passes (checksums equal), is promoted, and `rollback` returns the schedules.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { gam, ROOT } from "../_gam_cli.ts";
import { scratchDatabase, SERVER_URL } from "../../src/persistence/_testing.ts";
import { watchGam } from "./_deploy.ts";

function runsIn(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("run-"));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

Deno.test({
  name:
    "blue/green: a green with a changed stage parameter fails its canary and is not promoted; blue keeps the schedules",
  ignore: !SERVER_URL,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-bluegreen-" }));
    const scratch = await scratchDatabase("gam_bluegreen");
    const env = { DATABASE_URL: scratch.url };
    const running: ReturnType<typeof watchGam>[] = [];
    try {
      const base = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`));
      base.defaults.bbox = [10, 45, 10.2, 45.2];
      base.defaults.outputDir = `${dir}/out`;
      base.defaults.cacheDir = `${dir}/cache`;
      base.service.listen = "127.0.0.1:0";
      base.modalities.magnetic.enabled = false;
      base.modalities.gravity.schedule = "* * * * *";
      base.deployment = {
        canary: { bboxes: [[10, 45, 10.1, 45.1]], tolerance: { rms: 0.01, anomalyCount: 0 } },
      };
      const write = async (name: string, c: unknown) => {
        await Deno.writeTextFile(`${dir}/${name}`, stringify(c));
        return `${dir}/${name}`;
      };
      const blueCfg = await write("blue.yaml", base);
      const changed = structuredClone(base);
      const definition: string = base.modalities.gravity.pipeline.definition;
      assert.match(definition, /threshold=10/);
      changed.modalities.gravity.pipeline.definition = definition.replace(
        "threshold=10",
        "threshold=2",
      );
      const greenBad = await write("green-changed.yaml", changed);
      const neutral = structuredClone(base);
      neutral.deployment.canary.neutral = true;
      const greenSame = await write("green-neutral.yaml", neutral);
      const up = (color: string, config: string) =>
        watchGam(["deploy", "up", "--target", "local", "--color", color, "--config", config], env);
      const status = async () => {
        const r = await gam(["deploy", "status", "--json", "--config", blueCfg], env);
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout);
      };

      const blue = up("blue", blueCfg);
      running.push(blue);
      await t.step("blue deploys and owns the schedules", async () => {
        await blue.until(/deployed \(orchestrator on http/);
        assert.match(blue.text(), /step 5 canary: skipped/);
        assert.match(blue.text(), /blue owns the schedules/);
        assert.equal((await status()).owner.color, "blue");
      });

      // A gam serve of green, not owning the schedules, beside blue's for the whole test.
      const greenServe = watchGam(["serve", "--config", greenBad, "--color", "green"], {
        ...env,
        GAM__DEFAULTS__OUTPUT_DIR: `${dir}/out/green`,
        GAM__DEFAULTS__CACHE_DIR: `${dir}/cache/green`,
      });
      running.push(greenServe);
      await greenServe.until(/listening on http/);

      let promoteFailedAt = 0;
      await t.step("the changed green fails its canary and is not promoted", async () => {
        const green = up("green", greenBad);
        running.push(green);
        const s = await green.done();
        const text = green.text();
        assert.equal(s.code, 1, text);
        assert.match(
          text,
          /step 5 canary failed: canary did not pass against blue: .*gravity\/\S+: rms \S+ > 0\.01/,
        );
        assert.match(text, /not started: 6 schedules/);
        const st = await status();
        const g = st.colors.find((c: { color: string }) => c.color === "green");
        assert.equal(g.canary.passed, false);
        assert.equal(g.canary.against, "blue");
        const failed = g.canary.checks.filter((c: { passed: boolean }) => !c.passed);
        assert.ok(
          failed.some((c: { rms?: number }) => (c.rms ?? 0) > 0.01),
          JSON.stringify(failed),
        );
        // The canary runs went to each color's own folder.
        assert.equal(runsIn(`${dir}/out/blue/canary/runs`).length, 1);
        assert.equal(runsIn(`${dir}/out/green/canary/runs`).length, 1);

        const promote = await gam(
          ["deploy", "promote", "--color", "green", "--config", greenBad],
          env,
        );
        assert.equal(promote.code, 1, promote.stderr);
        assert.match(promote.stderr, /green was not promoted: its canary against blue failed/);
        assert.equal((await status()).owner.color, "blue");
        promoteFailedAt = Date.now();
      });

      await t.step("blue keeps firing the schedules; green's serve fires none", async () => {
        const before = runsIn(`${dir}/out/blue/runs`).length;
        // The next minute boundary: blue's scheduled run starts, green's serve declines.
        await greenServe.until(/scheduled run not fired: schedules owned elsewhere/);
        // Each scheduled run of blue's serve logs service.run_finished when it has ended.
        let mark = 0;
        while (runsIn(`${dir}/out/blue/runs`).length <= before) {
          await blue.until(/"event":"service\.run_finished"/, mark);
          mark = blue.text().length;
        }
        const newest = runsIn(`${dir}/out/blue/runs`).sort().at(-1)!;
        const started = Date.parse(
          newest.replace(/^run-(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z-.*$/, "$1-$2-$3T$4:$5:$6Z"),
        );
        assert.ok(started >= Math.floor(promoteFailedAt / 1000) * 1000, newest);
        assert.deepEqual(runsIn(`${dir}/out/green/runs`), [], "green ran no schedule");
        // A scheduled run of gam serve writes its own log.jsonl, every line with its trace.
        const log = `${dir}/out/blue/runs/${newest}/log.jsonl`;
        // Its lines reach serve's stderr after the file: one there means one in the file.
        await blue.until(new RegExp(`"correlationId":"${newest}"`));
        const lines = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
        assert.ok(lines.some((l) => l.correlationId === newest));
        const traces = new Set(
          lines.map((l) => /^00-([0-9a-f]{32})-[0-9a-f]{16}-01$/.exec(l.traceparent)?.[1]),
        );
        assert.equal(traces.size, 1, JSON.stringify([...traces]));
        assert.notEqual([...traces][0], undefined, "every line carries the run's trace");
      });
      await greenServe.stop();

      await t.step(
        "a neutral green passes, is promoted, and rollback returns the schedules",
        async () => {
          const green = up("green", greenSame);
          running.push(green);
          await green.until(/deployed \(orchestrator on http/);
          assert.match(
            green.text(),
            /canary ok {3}\[10,45,10\.1,45\.1\] gravity\/\S+: checksum equal/,
          );
          assert.match(green.text(), /the schedules stay with blue/);
          const promote = await gam([
            "deploy",
            "promote",
            "--color",
            "green",
            "--config",
            greenSame,
          ], env);
          assert.equal(promote.code, 0, promote.stderr);
          assert.match(promote.stderr, /schedules moved from blue to green/);
          let st = await status();
          assert.equal(st.owner.color, "green");
          assert.equal(st.owner.previousColor, "blue");
          const back = await gam(["deploy", "rollback", "--config", blueCfg], env);
          assert.equal(back.code, 0, back.stderr);
          assert.match(back.stderr, /schedules returned from green to blue/);
          st = await status();
          assert.equal(st.owner.color, "blue");
        },
      );
    } finally {
      for (const p of running) await p.stop();
      await scratch.drop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
