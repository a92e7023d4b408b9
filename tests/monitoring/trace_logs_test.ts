/**
 * W3C trace context end to end: the submitting command's `TRACEPARENT` becomes the trace of
 * `gam run`; every line of the run's log carries it, stage lines their stage; the plugin's
 * fetch sends it (as a child span) in the `traceparent` header to a loopback source that records
 * what it receives; `gam logs` prints the run's lines, with a worker's lines from the shared
 * log folder, in time order. Real `gam` processes, a real plugin process, the embedded database.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { gam, ROOT } from "../_gam_cli.ts";
import { parseTraceparent } from "../../src/observability/mod.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SUBMITTED = `00-${TRACE}-00f067aa0ba902b7-01`;

function gdf(): string {
  const rows: string[] = [];
  for (let j = 0; j <= 30; j++) {
    for (let i = 0; i <= 30; i++) {
      const lon = 10 + i / 100, lat = 45 + j / 100;
      rows.push(`${lon.toFixed(2)} ${lat.toFixed(2)} ${(20 * Math.sin(lon * 9) + lat).toFixed(4)}`);
    }
  }
  return ["unit mgal", "grid_format long_lat_value", "end_of_head ====", ...rows].join("\n");
}

Deno.test({
  name:
    "gam run carries the submitter's trace to every log line and the source's traceparent header; gam logs merges a worker's lines in time order",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const body = gdf();
    const received: (string | null)[] = [];
    const source = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      received.push(req.headers.get("traceparent"));
      return new Response(body);
    });
    const host = `127.0.0.1:${source.addr.port}`;
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-trace-" }));
    try {
      const config = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`));
      config.defaults.bbox = [10, 45, 10.3, 45.3];
      config.defaults.cacheDir = `${dir}/cache`;
      config.defaults.outputDir = `${dir}/out`;
      config.modalities.gravity.source = {
        type: "plugin",
        plugin: "icgem",
        params: { baseUrl: `http://${host}/calcgrid`, gridStep: 0.01 },
        permissions: { net: [host, "icgem.gfz-potsdam.de"], read: [] },
        allowInsecureHttp: [host],
      };
      await Deno.writeTextFile(`${dir}/gam.yaml`, stringify(config));

      const run = await gam(
        ["run", "--config", `${dir}/gam.yaml`, "--modality", "gravity", "--json"],
        { DATABASE_URL: "", TRACEPARENT: SUBMITTED },
      );
      assert.equal(run.code, 0, run.stdout + run.stderr.slice(-3000));
      const summary = JSON.parse(run.stdout);
      const runId: string = summary.runId;
      const runTrace = parseTraceparent(summary.traceparent);
      assert.equal(runTrace.traceId, TRACE, "the run continues the submitter's trace");
      assert.notEqual(runTrace.spanId, "00f067aa0ba902b7", "as a span of its own");

      // The source saw the trace, in a span of the fetch's own.
      assert.equal(received.length, 1);
      const header = parseTraceparent(received[0] ?? "(none)", "the source's request");
      assert.equal(header.traceId, TRACE);
      assert.notEqual(header.spanId, runTrace.spanId);
      const manifest = JSON.parse(
        await Deno.readTextFile(`${dir}/out/runs/${runId}/manifest.json`),
      );
      assert.equal(manifest.traceparent, summary.traceparent);
      assert.equal(manifest.ingestion.gravity.fetches[0].traceparent, received[0]);

      // Every line of the run carries the trace; fetch lines the fetch's span; stage lines
      // their stage.
      const text = await Deno.readTextFile(`${dir}/out/runs/${runId}/log.jsonl`);
      const lines = text.trim().split("\n").map((l) => JSON.parse(l));
      assert.ok(lines.length > 10, `${lines.length} lines`);
      for (const l of lines) {
        assert.equal(parseTraceparent(l.traceparent).traceId, TRACE, JSON.stringify(l));
      }
      const fetchLines = lines.filter((l) => l.msg?.startsWith("ingestion fetch"));
      assert.equal(fetchLines.length, 2, "start and end");
      for (const l of fetchLines) assert.equal(l.traceparent, received[0]);
      const records: { stage: string; branch: string }[] = manifest.stages.gravity;
      assert.ok(records.length > 0);
      const staged = lines.filter((l) => l.msg === "stage end");
      assert.deepEqual(
        staged.map((l) => `${l.branch}/${l.stage}`).sort(),
        records.map((r) => `${r.branch}/${r.stage}`).sort(),
      );
      for (const l of staged) assert.equal(l.modality, "gravity");

      // A worker sharing the output folder wrote lines of this trace, and of another one.
      const times = lines.map((l) => Date.parse(l.time));
      const middle = new Date((times[0] + times[times.length - 1]) / 2).toISOString();
      await Deno.mkdir(`${dir}/out/logs`);
      await Deno.writeTextFile(
        `${dir}/out/logs/worker-a.jsonl`,
        [
          {
            time: middle,
            level: "info",
            msg: "worker line of this run",
            component: "worker",
            traceparent: `00-${TRACE}-1111111111111111-01`,
            tile: "t-3",
          },
          {
            time: middle,
            level: "info",
            msg: "another trace",
            component: "worker",
            traceparent: `00-${"a".repeat(32)}-1111111111111111-01`,
          },
        ].map((r) => JSON.stringify(r)).join("\n") + "\n",
      );
      const logs = await gam(["logs", runId, "--output-dir", `${dir}/out`, "--json"]);
      assert.equal(logs.code, 0, logs.stderr);
      const printed = logs.stdout.trim().split("\n").map((l) => JSON.parse(l));
      assert.equal(printed.length, lines.length + 1);
      assert.equal(printed.filter((l) => l.msg === "another trace").length, 0);
      const printedTimes = printed.map((l) => Date.parse(l.time));
      assert.deepEqual(printedTimes, [...printedTimes].sort((a, b) => a - b), "time order");
      const worker = printed.findIndex((l) => l.msg === "worker line of this run");
      assert.ok(worker > 0 && worker < printed.length - 1, `worker line at ${worker}`);

      const readable = await gam(["logs", runId, "--output-dir", `${dir}/out`, "--text"]);
      assert.equal(readable.code, 0, readable.stderr);
      assert.match(readable.stdout, /worker \[tile=t-3\] worker line of this run/);
      assert.match(readable.stdout, /\[modality=gravity stage=\S+ branch=\S+\] stage end/);

      const missing = await gam(["logs", "run-nope", "--output-dir", `${dir}/out`]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /No log lines of run "run-nope"/);

      const bad = await gam(["run", "--config", `${dir}/gam.yaml`, "--dry-run"], {
        DATABASE_URL: "",
        TRACEPARENT: "not-a-trace",
      });
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /Invalid traceparent "not-a-trace" in the TRACEPARENT environment/);
    } finally {
      await source.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
