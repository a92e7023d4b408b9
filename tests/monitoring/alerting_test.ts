/**
 * The alert path end to end on loopback: `gam serve` runs a modality whose source answers
 * every request with HTTP 500; the real Prometheus scrapes it with the project's rules (alert
 * `for:` shortened to 2 s) and sends to the real Alertmanager. The breaker alert must go
 * pending, then firing, and reach the Alertmanager's API.
 */
import assert from "node:assert/strict";
import {
  promQuery,
  type Running,
  startAlertmanager,
  startPrometheus,
  startServe,
  waitFor,
} from "./_stack.ts";

Deno.test({
  name: "a failing source's breaker alert goes pending, then firing, and reaches Alertmanager",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    let requests = 0;
    const source = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
      requests++;
      return new Response("internal error", { status: 500 });
    });
    const host = `127.0.0.1:${source.addr.port}`;
    const running: Running[] = [];
    try {
      const serve = await startServe((c) => {
        const g = c.modalities.gravity;
        g.source = {
          type: "plugin",
          plugin: "icgem",
          params: { baseUrl: `http://${host}/calcgrid`, gridStep: 0.1 },
          permissions: { net: [host, "icgem.gfz-potsdam.de"], read: [] },
          allowInsecureHttp: [host],
        };
        g.retry = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 50, jitter: "none" };
        // Opens at the second failed attempt; no probe before the test ends.
        g.circuitBreaker = { threshold: 2, halfOpenAfterMs: 3_600_000 };
        c.modalities.magnetic.enabled = false;
      });
      running.push(serve);
      const alertmanager = await startAlertmanager();
      running.push(alertmanager);
      const prometheus = await startPrometheus({
        serve: new URL(serve.base).host,
        alertmanager: new URL(alertmanager.base).host,
      });
      running.push(prometheus);
      const P = prometheus.base;

      const firing = await waitFor("the breaker alert firing in Prometheus", async () => {
        const r = await fetch(`${P}/api/v1/alerts`);
        const alerts: { labels: Record<string, string>; state: string }[] =
          (await r.json()).data.alerts;
        return alerts.find((a) =>
          a.labels.alertname === "GamSourceBreakerOpen" && a.state === "firing"
        );
      }, 120_000);
      assert.equal(firing.labels.modality, "gravity");
      assert.equal(firing.labels.job, "gam-serve");
      assert.ok(requests >= 2, `the source was asked ${requests} times`);

      // Prometheus records both states as ALERTS series: pending came first.
      const sel = 'ALERTS{alertname="GamSourceBreakerOpen",modality="gravity"';
      const pending = await promQuery(P, `${sel},alertstate="pending"}[10m]`);
      const fired = await promQuery(P, `${sel},alertstate="firing"}[10m]`);
      assert.equal(pending.length, 1, "one pending series");
      assert.equal(fired.length, 1, "one firing series");
      const lastPending = Math.max(...pending[0].values!.map((v) => v[0]));
      const firstFiring = Math.min(...fired[0].values!.map((v) => v[0]));
      assert.ok(lastPending < firstFiring, `pending ${lastPending} before firing ${firstFiring}`);
      const state = await promQuery(P, 'gam_ingestion_circuit_state{modality="gravity"}');
      assert.equal(state[0].value![1], "1");

      const received = await waitFor("the alert in Alertmanager", async () => {
        const r = await fetch(
          `${alertmanager.base}/api/v2/alerts?filter=${
            encodeURIComponent('alertname="GamSourceBreakerOpen"')
          }`,
        );
        const list: { labels: Record<string, string>; status: { state: string } }[] = await r
          .json();
        return list.length > 0 ? list : undefined;
      });
      assert.equal(received.length, 1);
      assert.equal(received[0].labels.modality, "gravity");
      assert.equal(received[0].labels.severity, "warning");
      assert.equal(received[0].status.state, "active");
    } finally {
      for (const r of running.reverse()) await r.stop();
      await source.shutdown();
    }
  },
});
