/**
 * GAM's Grafana dashboards, built with the Grafana Foundation SDK (npm
 * `@grafana/grafana-foundation-sdk`). `deno task dashboards` writes them to
 * monitoring/grafana/dashboards/*.json; `deno task dashboards --check` fails when the committed
 * JSON differs from a fresh generation. Every query reads a metric the code exports (or a
 * recording rule of monitoring/prometheus/rules/recording.yml), and a test runs each one
 * against a real Prometheus after a run (tests/monitoring/alerting_test.ts).
 *
 * Variables: `datasource` (a Prometheus data source) and, per modality, `modality`.
 *
 * @module
 */
import {
  type Dashboard,
  DashboardBuilder,
  DashboardCursorSync,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";

const DS = { type: "prometheus", uid: "${datasource}" };

/** One PromQL query of a panel, with its legend. */
interface Query {
  expr: string;
  legend?: string;
}

function target(q: Query, i: number): DataqueryBuilder {
  return new DataqueryBuilder()
    .datasource(DS)
    .expr(q.expr)
    .legendFormat(q.legend ?? "__auto")
    .refId(String.fromCharCode(65 + i));
}

function series(title: string, unit: string, queries: Query[], description: string) {
  const p = new TimeseriesPanel().title(title).description(description).unit(unit)
    .datasource(DS).height(8).span(12);
  queries.forEach((q, i) => p.withTarget(target(q, i)));
  return p;
}

function stat(title: string, unit: string, queries: Query[], description: string) {
  const p = new StatPanel().title(title).description(description).unit(unit)
    .datasource(DS).height(5).span(6);
  queries.forEach((q, i) => p.withTarget(target(q, i)));
  return p;
}

function base(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(["gam"])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh("1m")
    .time({ from: "now-6h", to: "now" })
    .timezone("browser")
    .withVariable(
      new DatasourceVariableBuilder("datasource").label("Data source").type("prometheus"),
    );
}

const M = '{modality=~"$modality"}';

function overview(): Dashboard {
  return base("gam-overview", "GAM: pipeline overview", "Runs, ingestion and cache at a glance.")
    .withRow(new RowBuilder("Health"))
    .withPanel(stat("Alerts firing", "none", [{
      expr: 'count(ALERTS{alertstate="firing",alertname=~"Gam.*"}) or vector(0)',
      legend: "firing",
    }], "GAM alerts now firing (monitoring/prometheus/rules/alerts.yml)."))
    .withPanel(stat("Processes up", "none", [{
      expr: 'sum(up{job=~"gam-serve|gam-worker"})',
      legend: "up",
    }], "gam serve and gam worker processes Prometheus can scrape."))
    .withPanel(stat("Since last success", "s", [{
      expr: "time() - gam:modality_last_success_timestamp_seconds",
      legend: "{{modality}}",
    }], "Time since each modality's last successful run finished."))
    .withPanel(stat("Peak memory", "bytes", [{
      expr: "max by (job, instance) (gam_process_peak_resident_memory_bytes)",
      legend: "{{instance}}",
    }], "Peak resident memory of each process (VmHWM)."))
    .withRow(new RowBuilder("Runs"))
    .withPanel(series("Modality runs per hour by outcome", "none", [{
      expr: "gam:run_modalities:increase1h",
      legend: "{{modality}} {{outcome}}",
    }], "Modality runs finished in the last hour (gam run and gam serve)."))
    .withPanel(series("Throughput", "none", [{
      expr: "gam_run_modality_points_per_second",
      legend: "{{modality}} {{instance}}",
    }], "Points ingested per second of the last run of each modality (ingest to write)."))
    .withRow(new RowBuilder("Ingestion and cache"))
    .withPanel(series("Ingestion success ratio (30 min)", "percentunit", [{
      expr: "gam:ingestion_fetch_success:ratio_rate30m",
      legend: "{{modality}}",
    }], "Share of fetches answered by the source; the alert fires under 90%."))
    .withPanel(series("Cache hit ratio (30 min)", "percentunit", [{
      expr: "gam:cache_hit:ratio_rate30m",
      legend: "{{layer}}",
    }], "Hits over all cache requests, per layer (ingestion, grid)."))
    .build();
}

function modality(): Dashboard {
  return base(
    "gam-modality",
    "GAM: per modality",
    "Fetches, retries, breaker, cache and stage durations of one modality.",
  )
    .withVariable(
      new QueryVariableBuilder("modality")
        .label("Modality")
        .datasource(DS)
        .query("label_values(gam_ingestion_fetch_total, modality)")
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .multi(true)
        .includeAll(true),
    )
    .withRow(new RowBuilder("Source"))
    .withPanel(series("Fetches by outcome", "reqps", [{
      expr: `sum by (outcome) (rate(gam_ingestion_fetch_total${M}[$__rate_interval]))`,
      legend: "{{outcome}}",
    }], "ok, stale (cache copy served, source down), error, invalid, rejected, circuit_open."))
    .withPanel(series("Fetch duration", "s", [
      {
        expr:
          "histogram_quantile(0.5, sum by (le) (rate(gam_ingestion_fetch_duration_seconds_bucket" +
          `${M}[$__rate_interval])))`,
        legend: "p50",
      },
      {
        expr:
          "histogram_quantile(0.95, sum by (le) (rate(gam_ingestion_fetch_duration_seconds_bucket" +
          `${M}[$__rate_interval])))`,
        legend: "p95",
      },
    ], "Fetch wall time including retries."))
    .withPanel(series("Retries", "reqps", [{
      expr: `sum by (modality) (rate(gam_ingestion_retries_total${M}[$__rate_interval]))`,
      legend: "{{modality}}",
    }], "Attempts retried after a retryable failure (network, HTTP 5xx, 429)."))
    .withPanel(series("Circuit breaker state", "none", [{
      expr: `max by (modality, instance) (gam_ingestion_circuit_state${M})`,
      legend: "{{modality}} {{instance}}",
    }], "0 closed, 1 open, 2 half-open, 3 isolated. Alert: not closed for 10 minutes."))
    .withRow(new RowBuilder("Cache and stages"))
    .withPanel(series("Cache requests (all modalities)", "reqps", [{
      expr: "sum by (layer, outcome) (rate(gam_cache_requests_total[$__rate_interval]))",
      legend: "{{layer}} {{outcome}}",
    }], "Cache requests by layer and outcome; the cache is shared by all modalities."))
    .withPanel(series("Stage duration p95", "s", [{
      expr: "histogram_quantile(0.95, sum by (stage, le) " +
        `(rate(gam_pipeline_stage_duration_seconds_bucket${M}[$__rate_interval])))`,
      legend: "{{stage}}",
    }], "95th percentile of each preprocessing stage's wall time."))
    .withPanel(series("Stage duration p50", "s", [{
      expr: "histogram_quantile(0.5, sum by (stage, le) " +
        `(rate(gam_pipeline_stage_duration_seconds_bucket${M}[$__rate_interval])))`,
      legend: "{{stage}}",
    }], "Median wall time of each preprocessing stage."))
    .withPanel(series("Run duration", "s", [{
      expr: "histogram_quantile(0.95, sum by (modality, le) " +
        `(rate(gam_run_modality_duration_seconds_bucket${M}[$__rate_interval])))`,
      legend: "{{modality}} p95",
    }], "Wall time of a modality's run (ingest, preprocess, write)."))
    .build();
}

function queue(): Dashboard {
  return base("gam-queue", "GAM: queue and workers", "Scheduler, queue depth and processes.")
    .withPanel(series("Queue depth", "none", [{
      expr: "max by (queue, state) (gam_queue_depth)",
      legend: "{{queue}} {{state}}",
    }], "Jobs of queued runs by queue and state. Alert: created jobs rising for 15 minutes."))
    .withPanel(series("Jobs by outcome", "ops", [{
      expr: "sum by (queue, outcome) (rate(gam_jobs_total[$__rate_interval]))",
      legend: "{{queue}} {{outcome}}",
    }], "Jobs finished by the workers per second (completed, failed, skipped)."))
    .withPanel(series("Job duration", "s", [{
      expr: "histogram_quantile(0.95, sum by (queue, le) " +
        "(rate(gam_job_duration_seconds_bucket[$__rate_interval])))",
      legend: "{{queue}} p95",
    }], "Time a worker spends on a job."))
    .withPanel(series("Workers", "none", [{
      expr: "max by (profile) (gam_workers)",
      legend: "{{profile}}",
    }], "Worker processes of each profile heard from within three heartbeats."))
    .withPanel(series("Runs in flight (gam serve)", "none", [{
      expr: "gam_service_runs_in_flight",
      legend: "{{instance}}",
    }], "Modality runs a gam serve process is executing."))
    .withPanel(series("Processes up", "none", [{
      expr: 'up{job=~"gam-serve|gam-worker"}',
      legend: "{{job}} {{instance}}",
    }], "1 when Prometheus can scrape the process. Alert: 0 for 2 minutes."))
    .withPanel(series("Scheduled runs by outcome", "none", [{
      expr: "sum by (modality, outcome) (increase(gam_service_runs_total[$__rate_interval]))",
      legend: "{{modality}} {{outcome}}",
    }], "Runs started by the schedule (gam serve)."))
    .withPanel(series("Skipped runs", "none", [{
      expr: "sum(increase(gam_service_runs_skipped_total[$__rate_interval])) or vector(0)",
      legend: "skipped",
    }], "Scheduled runs skipped because the previous one was still going."))
    .withPanel(stat("Next scheduled run in", "s", [{
      expr: "min by (modality) (gam_service_next_run_timestamp_seconds) - time()",
      legend: "{{modality}}",
    }], "Time to the next scheduled run of each modality."))
    .withPanel(stat("Schedule period", "s", [{
      expr: "gam:modality_schedule_period_seconds",
      legend: "{{modality}}",
    }], "Longest gap between scheduled runs; the overdue alert allows this plus 30 minutes."))
    .withPanel(series("Peak memory", "bytes", [{
      expr: "gam_process_peak_resident_memory_bytes",
      legend: "{{job}} {{instance}}",
    }], "Peak resident memory of each process."))
    .build();
}

function storage(): Dashboard {
  return base("gam-storage", "GAM: database and storage", "Backups, pushes and the cache on disk.")
    .withPanel(stat("Since last backup", "s", [{
      expr: "time() - max(gam_db_backup_last_success_timestamp_seconds)",
      legend: "backup age",
    }], "Time since the last successful gam db backup. Alert: over 26 hours."))
    .withPanel(stat("Last backup size", "bytes", [{
      expr: "max(gam_db_backup_size_bytes)",
      legend: "size",
    }], "Size of the last backup file."))
    .withPanel(stat("Since last push", "s", [{
      expr: 'time() - max by (job) (push_time_seconds{job=~"gam-run|gam-backup"})',
      legend: "{{job}}",
    }], "Time since one-shot commands last pushed to the Pushgateway."))
    .withPanel(series("Cache size", "bytes", [{
      expr: "sum by (layer) (gam_cache_bytes)",
      legend: "{{layer}}",
    }], "Bytes of cache entries on disk per layer (exact after each sweep)."))
    .withPanel(series("Cache evictions", "none", [{
      expr: "sum(increase(gam_cache_evictions_total[$__rate_interval]))",
      legend: "evicted",
    }], "Entries removed by the sweeper (byte limit or expiry)."))
    .withPanel(series("Corrupt cache reads", "none", [{
      expr: 'sum by (layer) (increase(gam_cache_requests_total{outcome="corrupt"}[1h])) ' +
        "or sum by (layer) (gam_cache_bytes) * 0",
      legend: "{{layer}}",
    }], "Entries that failed their integrity check (quarantined). Alert: any."))
    .build();
}

/**
 * Every dashboard, keyed by its file name under monitoring/grafana/dashboards/.
 *
 * @returns The dashboards' JSON models.
 *
 * @example Usage
 * ```ts
 * import { buildDashboards } from "./dashboards.ts";
 * Object.keys(buildDashboards()); // ["gam-overview.json", ...]
 * ```
 */
export function buildDashboards(): Record<string, Dashboard> {
  return {
    "gam-overview.json": overview(),
    "gam-modality.json": modality(),
    "gam-queue.json": queue(),
    "gam-storage.json": storage(),
  };
}

/**
 * Every PromQL expression of a dashboard's panels, in panel order.
 *
 * @param dashboard A dashboard's JSON model.
 * @returns `[panel title, expression]` pairs.
 *
 * @example Usage
 * ```ts
 * import { buildDashboards, panelQueries } from "./dashboards.ts";
 * panelQueries(buildDashboards()["gam-queue.json"])[0][1]; // "max by (queue, state) (gam_queue_depth)"
 * ```
 */
export function panelQueries(dashboard: Dashboard): [string, string][] {
  const out: [string, string][] = [];
  for (const p of dashboard.panels ?? []) {
    const panel = p as { title?: string; targets?: { expr?: string }[] };
    for (const t of panel.targets ?? []) if (t.expr) out.push([panel.title ?? "", t.expr]);
  }
  return out;
}
