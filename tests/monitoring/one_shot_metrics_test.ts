/**
 * Final metrics of one-shot commands: `gam run` and `gam db backup` push to the real
 * Pushgateway (Debian `prometheus-pushgateway`) on loopback and write node_exporter textfiles;
 * a later failed run does not erase the last success time of a modality.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { gam, ROOT } from "../_gam_cli.ts";
import { freePort, startPushgateway } from "./_stack.ts";
import {
  MetricsPushError,
  MetricsRegistry,
  pushMetrics,
  writeMetricsFile,
} from "../../src/observability/metrics/mod.ts";

/** The embedded database whatever the runner's DATABASE_URL: these tests are about metrics. */
const EMBEDDED = { DATABASE_URL: "" };

/** Samples of `name` in exposition text, as [labels, value]. */
function samples(text: string, name: string): [Record<string, string>, number][] {
  const out: [Record<string, string>, number][] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries(
      [...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    out.push([labels, Number(m[3])]);
  }
  return out;
}

async function promtoolCheckMetrics(text: string): Promise<string> {
  const child = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  const out = await child.output();
  const dec = new TextDecoder();
  // Lint findings (e.g. "counter metrics should have _total suffix") are printed; errors fail.
  assert.ok(out.code === 0 || out.code === 3, dec.decode(out.stderr));
  return dec.decode(out.stdout) + dec.decode(out.stderr);
}

async function writeConfig(
  dir: string,
  name: string,
  // deno-lint-ignore no-explicit-any
  edit: (c: Record<string, any>) => void,
): Promise<string> {
  // deno-lint-ignore no-explicit-any
  const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as Record<string, any>;
  c.defaults.bbox = [10.0, 45.0, 10.3, 45.3];
  c.defaults.outputDir = `${dir}/out`;
  c.defaults.cacheDir = `${dir}/cache`;
  c.defaults.logLevel = "warn";
  edit(c);
  await Deno.writeTextFile(`${dir}/${name}`, stringify(c));
  return `${dir}/${name}`;
}

Deno.test({
  name:
    "gam run pushes its final metrics and writes a textfile; a failed run keeps the last success",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gam-oneshot-" });
    const gateway = await startPushgateway();
    try {
      const ok = await writeConfig(dir, "ok.yaml", (c) => {
        c.observability = { pushgateway: { url: gateway.base, job: "gam-run" } };
      });
      await Deno.mkdir(`${dir}/textfile`);
      const prom = `${dir}/textfile/gam_run.prom`;
      const first = await gam(["run", "--config", ok, "--metrics-file", prom], EMBEDDED);
      assert.equal(first.code, 0, first.stderr);
      assert.doesNotMatch(first.stderr, /metrics not exported/);

      // The textfile: complete, valid exposition text, no temporary file left beside it.
      assert.deepEqual([...Deno.readDirSync(`${dir}/textfile`)].map((e) => e.name), [
        "gam_run.prom",
      ]);
      const text = await Deno.readTextFile(prom);
      await promtoolCheckMetrics(text);
      for (const modality of ["gravity", "magnetic"]) {
        const outcome = samples(text, "gam_run_modalities_total").find(([l]) =>
          l.modality === modality
        );
        assert.deepEqual(outcome, [{ modality, outcome: "ok" }, 1]);
        const tput = samples(text, "gam_run_modality_points_per_second").find(([l]) =>
          l.modality === modality
        );
        assert.ok(tput && tput[1] > 0, `${modality} throughput: ${tput}`);
      }
      const peak = samples(text, "gam_process_peak_resident_memory_bytes");
      assert.equal(peak.length, 1);
      // More than the Deno runtime alone, less than the machine.
      assert.ok(peak[0][1] > 50e6 && peak[0][1] < Deno.systemMemoryInfo().total, `${peak}`);

      // The gateway: the run's group, and each modality's last success in its own group.
      const host = Deno.hostname();
      let pushed = await (await fetch(`${gateway.base}/metrics`)).text();
      assert.deepEqual(
        samples(pushed, "gam_run_modalities_total")
          .filter(([l]) => l.modality === "gravity")
          .map(([l, v]) => [l.job, l.instance, l.outcome, v]),
        [["gam-run", host, "ok", 1]],
      );
      const success = samples(pushed, "gam_run_modality_last_success_timestamp_seconds");
      assert.equal(success.length, 2, pushed);
      const gravitySuccess = success.find(([l]) => l.modality === "gravity")!;
      assert.equal(gravitySuccess[0].job, "gam-run");
      assert.ok(Math.abs(gravitySuccess[1] - Date.now() / 1000) < 600);
      assert.equal(samples(pushed, "gam_process_peak_resident_memory_bytes").length, 1);

      // A failed run (source unreachable) replaces the run's group but not the last success.
      const closed = freePort();
      const failing = await writeConfig(dir, "failing.yaml", (c) => {
        c.observability = { pushgateway: { url: gateway.base } };
        c.defaults.cacheDir = `${dir}/cache-empty`;
        c.modalities.magnetic.enabled = false;
        c.modalities.gravity.source = {
          type: "plugin",
          plugin: "icgem",
          params: { baseUrl: `http://127.0.0.1:${closed}/calcgrid` },
          permissions: { net: [`127.0.0.1:${closed}`, "icgem.gfz-potsdam.de"], read: [] },
          allowInsecureHttp: [`127.0.0.1:${closed}`],
        };
        c.modalities.gravity.retry = { maxAttempts: 1 };
      });
      const second = await gam(["run", "--config", failing], EMBEDDED);
      assert.equal(second.code, 1, second.stderr);
      pushed = await (await fetch(`${gateway.base}/metrics`)).text();
      assert.deepEqual(
        samples(pushed, "gam_run_modalities_total")
          .filter(([l]) => l.job === "gam-run")
          .map(([l, v]) => [l.modality, l.outcome, v]),
        [["gravity", "failed", 1]],
      );
      const kept = samples(pushed, "gam_run_modality_last_success_timestamp_seconds")
        .find(([l]) => l.modality === "gravity");
      assert.deepEqual(kept, gravitySuccess);

      // gam db backup pushes the time of its last success (what GamDatabaseBackupStale reads).
      const backup = await gam([
        "db",
        "backup",
        `${dir}/backup.tgz`,
        "--output-dir",
        `${dir}/out`,
        "--pushgateway",
        gateway.base,
        "--metrics-file",
        `${dir}/textfile/gam_backup.prom`,
      ], EMBEDDED);
      assert.equal(backup.code, 0, backup.stderr);
      pushed = await (await fetch(`${gateway.base}/metrics`)).text();
      const b = samples(pushed, "gam_db_backup_last_success_timestamp_seconds");
      assert.equal(b.length, 1, pushed);
      assert.equal(b[0][0].job, "gam-backup");
      const size = samples(pushed, "gam_db_backup_size_bytes")[0][1];
      assert.equal(size, (await Deno.stat(`${dir}/backup.tgz`)).size);
      const bt = await Deno.readTextFile(`${dir}/textfile/gam_backup.prom`);
      assert.equal(samples(bt, "gam_db_backup_size_bytes")[0][1], size);
    } finally {
      await gateway.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("pushMetrics reports a refused push and an unreachable gateway", async () => {
  const gateway = await startPushgateway();
  try {
    const reg = new MetricsRegistry();
    reg.gauge({ name: "gam_test_value_bytes", help: "A value." }).set(1);
    // The gateway refuses a metric whose type differs from the same name in another group.
    const bad = new MetricsRegistry();
    bad.histogram({ name: "gam_test_value_bytes", help: "A value.", buckets: [1] }).observe(1);
    await pushMetrics(reg, { url: gateway.base, job: "t" });
    const refused = await pushMetrics(bad, { url: gateway.base, job: "u" }).catch((e) => e);
    assert.ok(refused instanceof MetricsPushError, String(refused));
    assert.match(refused.message, /HTTP 400/);
  } finally {
    await gateway.stop();
  }
  const port = freePort();
  const down = await pushMetrics(new MetricsRegistry(), {
    url: `http://127.0.0.1:${port}`,
    job: "t",
  }).catch((e) => e);
  assert.ok(down instanceof MetricsPushError);
  assert.match(down.message, new RegExp(`127\\.0\\.0\\.1:${port}/metrics/job@base64/dA`));
});

Deno.test("writeMetricsFile refuses a name the textfile collector would ignore", async () => {
  await assert.rejects(
    writeMetricsFile(new MetricsRegistry(), "/nonexistent/gam_run.txt"),
    (e: Error) => e instanceof TypeError && /must end in "\.prom"/.test(e.message),
  );
});
