/**
 * The monitoring files against real servers on loopback. Prometheus (rules copied with every
 * alert's `for:` at 2 s, scrapes every second), the Alertmanager and the Pushgateway start
 * first; `gam db backup` pushes its metrics; then `gam serve` runs two scheduled modalities
 * (every minute): gravity from a loopback ICGEM-like source that answers its first request with
 * a grid and every later one with HTTP 500 (the source starts failing), magnetic from the
 * offline synthetic source.
 *
 * - The breaker alert of gravity goes pending, then firing, and reaches the Alertmanager.
 * - Every PromQL query of every committed Grafana dashboard returns data.
 */
import assert from "node:assert/strict";
import { gam, migrateServerDatabase } from "../_gam_cli.ts";
import { buildDashboards, panelQueries } from "../../monitoring/grafana/dashboards.ts";
import {
  freePort,
  promQuery,
  type Running,
  startAlertmanager,
  startPrometheus,
  startPushgateway,
  startServe,
  startWorker,
  waitFor,
} from "./_stack.ts";

Deno.test({
  name: "monitoring stack on loopback: breaker alert end to end, every dashboard query has data",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    // A GDF grid over the test's bbox at 0.01 degree, then failures.
    const rows: string[] = [];
    for (let j = 0; j <= 30; j++) {
      for (let i = 0; i <= 30; i++) {
        const lon = 10 + i / 100, lat = 45 + j / 100;
        rows.push(
          `${lon.toFixed(2)} ${lat.toFixed(2)} ${(20 * Math.sin(lon * 9) + lat).toFixed(4)}`,
        );
      }
    }
    const gdf = ["unit mgal", "grid_format long_lat_value", "end_of_head ====", ...rows].join("\n");
    let requests = 0;
    const source = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
      requests++;
      return requests === 1 ? new Response(gdf) : new Response("internal error", { status: 500 });
    });
    const host = `127.0.0.1:${source.addr.port}`;
    const running: Running[] = [];
    const tmp = await Deno.makeTempDir({ prefix: "gam-stack-" });
    try {
      const alertmanager = await startAlertmanager();
      running.push(alertmanager);
      const pushgateway = await startPushgateway();
      running.push(pushgateway);
      // Prometheus scrapes the service's port before the service starts, so the counters of
      // the first scheduled run are seen rising (rate() needs the value before the increase).
      const servePort = freePort();
      // A worker of queued runs (the queue dashboard's panels), up before Prometheus scrapes
      // it: a target down at the first scrape would fire GamWorkerDown, which inhibits the
      // breaker alert in the Alertmanager.
      await migrateServerDatabase();
      const worker = await startWorker((c) => {
        c.modalities.gravity.enabled = false;
      });
      running.push(worker);
      const prometheus = await startPrometheus({
        serve: `127.0.0.1:${servePort}`,
        worker: new URL(worker.base).host,
        alertmanager: new URL(alertmanager.base).host,
        pushgateway: new URL(pushgateway.base).host,
      });
      running.push(prometheus);
      const P = prometheus.base;

      const backup = await gam([
        "db",
        "backup",
        `${tmp}/backup.tgz`,
        "--output-dir",
        tmp,
        "--pushgateway",
        pushgateway.base,
      ], { DATABASE_URL: "" });
      assert.equal(backup.code, 0, backup.stderr);

      const serve = await startServe((c) => {
        const g = c.modalities.gravity;
        g.source = {
          type: "plugin",
          plugin: "icgem",
          params: { baseUrl: `http://${host}/calcgrid`, gridStep: 0.01 },
          permissions: { net: [host, "icgem.gfz-potsdam.de"], read: [] },
          allowInsecureHttp: [host],
        };
        g.retry = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 50, jitter: "none" };
        // Opens at the second failed attempt; no probe before the test ends.
        g.circuitBreaker = { threshold: 2, halfOpenAfterMs: 3_600_000 };
        g.schedule = "* * * * *";
        c.modalities.magnetic.schedule = "* * * * *";
        // Each run asks the source again (the expired copy is what a failing source leaves:
        // served stale). And rate() ignores a series' first sample, so the first run of a
        // process is invisible to rate-based panels: the later runs fetch and compute again.
        g.cache = { ttl: "1s" };
        c.modalities.magnetic.cache = { ttl: "1s" };
      }, { port: servePort, runNow: false });
      running.push(serve);

      await t.step(
        "the breaker alert goes pending, then firing, and reaches Alertmanager",
        async () => {
          const firing = await waitFor("the breaker alert firing in Prometheus", async () => {
            const r = await fetch(`${P}/api/v1/alerts`);
            const alerts: { labels: Record<string, string>; state: string }[] =
              (await r.json()).data.alerts;
            return alerts.find((a) =>
              a.labels.alertname === "GamSourceBreakerOpen" && a.state === "firing"
            );
          }, 240_000);
          assert.equal(firing.labels.modality, "gravity");
          assert.equal(firing.labels.job, "gam-serve");
          assert.ok(requests >= 3, `the source was asked ${requests} times`);
          // The first run succeeded from the source, before it started failing.
          const first = await promQuery(
            P,
            'gam_ingestion_fetch_total{modality="gravity",outcome="ok"}',
          );
          assert.equal(first[0]?.value?.[1], "1", JSON.stringify(first));

          // Prometheus records both states as ALERTS series: pending came first.
          const sel = 'ALERTS{alertname="GamSourceBreakerOpen",modality="gravity"';
          const pending = await promQuery(P, `${sel},alertstate="pending"}[10m]`);
          const fired = await promQuery(P, `${sel},alertstate="firing"}[10m]`);
          assert.equal(pending.length, 1, "one pending series");
          assert.equal(fired.length, 1, "one firing series");
          const lastPending = Math.max(...pending[0].values!.map((v) => v[0]));
          const firstFiring = Math.min(...fired[0].values!.map((v) => v[0]));
          assert.ok(
            lastPending < firstFiring,
            `pending ${lastPending} before firing ${firstFiring}`,
          );
          const state = await promQuery(P, 'gam_ingestion_circuit_state{modality="gravity"}');
          assert.equal(state[0].value![1], "1");

          // Active (not inhibited by a GamWorkerDown from before the service was up).
          const received = await waitFor("the alert active in Alertmanager", async () => {
            const r = await fetch(
              `${alertmanager.base}/api/v2/alerts?filter=${
                encodeURIComponent('alertname="GamSourceBreakerOpen"')
              }`,
            );
            const list: { labels: Record<string, string>; status: { state: string } }[] = await r
              .json();
            return list.some((a) => a.status.state === "active") ? list : undefined;
          });
          assert.equal(received.length, 1);
          assert.equal(received[0].labels.modality, "gravity");
          assert.equal(received[0].labels.severity, "warning");
        },
      );

      await t.step("every panel query of every dashboard returns data", async () => {
        // Two queued runs of the offline modality, one after the other: the job counters and
        // the job duration histogram rise while Prometheus scrapes the worker (rate() needs a
        // series' second sample).
        for (let i = 0; i < 2; i++) {
          const queued = await gam([
            "run",
            "--mode",
            "queue",
            "--config",
            worker.config,
            "--modality",
            "magnetic",
            "--no-cache",
          ]);
          assert.equal(queued.code, 0, queued.stderr);
        }
        const queries = Object.entries(buildDashboards()).flatMap(([file, d]) =>
          panelQueries(d).map(([title, expr]) => ({ file, title, expr }))
        );
        assert.ok(queries.length >= 25, `${queries.length} queries`);
        // Grafana's variables: every modality, and a window that holds the first runs.
        const promql = (expr: string) =>
          expr.replaceAll("$modality", ".+").replaceAll("$__rate_interval", "5m");
        let empty: string[] = [];
        try {
          await waitFor(
            "every dashboard query to return data",
            async () => {
              empty = [];
              for (const q of queries) {
                const result = await promQuery(P, promql(q.expr));
                const finite = result.some((s) => Number.isFinite(Number(s.value?.[1])));
                if (!finite) empty.push(`${q.file} "${q.title}": ${q.expr}`);
              }
              return empty.length === 0 ? true : undefined;
            },
            150_000,
            1000,
          );
        } catch (e) {
          throw new Error(`queries without data:\n  ${empty.join("\n  ")}`, { cause: e });
        }
      });
    } finally {
      for (const r of running.reverse()) await r.stop();
      await source.shutdown();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
