import assert from "node:assert/strict";
import { defaultRegistry, exponentialBuckets, MetricError, MetricsRegistry } from "./mod.ts";

Deno.test("render() gives the exact exposition text for a small registry", async () => {
  const reg = new MetricsRegistry();
  const fetches = reg.counter({
    name: "gam_ingestion_fetch_total",
    help: "Fetches by modality and outcome.",
    labelNames: ["modality", "outcome"],
  });
  fetches.inc({ modality: "gravity", outcome: "ok" });
  fetches.inc({ modality: "gravity", outcome: "ok" }, 2);
  fetches.inc({ modality: "magnetic", outcome: "error" });
  reg.gauge({ name: "gam_serve_queue_depth", help: "Runs waiting." }).set(3);
  const dur = reg.histogram({
    name: "gam_ingestion_fetch_duration_seconds",
    help: "Duration of one fetch in seconds.",
    labelNames: ["modality"],
    buckets: [0.1, 1, 10],
  });
  dur.observe({ modality: "gravity" }, 0.05);
  dur.observe({ modality: "gravity" }, 0.5);
  dur.observe({ modality: "gravity" }, 20);
  assert.equal(
    await reg.render(),
    `# HELP gam_ingestion_fetch_total Fetches by modality and outcome.
# TYPE gam_ingestion_fetch_total counter
gam_ingestion_fetch_total{modality="gravity",outcome="ok"} 3
gam_ingestion_fetch_total{modality="magnetic",outcome="error"} 1

# HELP gam_serve_queue_depth Runs waiting.
# TYPE gam_serve_queue_depth gauge
gam_serve_queue_depth 3

# HELP gam_ingestion_fetch_duration_seconds Duration of one fetch in seconds.
# TYPE gam_ingestion_fetch_duration_seconds histogram
gam_ingestion_fetch_duration_seconds_bucket{le="0.1",modality="gravity"} 1
gam_ingestion_fetch_duration_seconds_bucket{le="1",modality="gravity"} 2
gam_ingestion_fetch_duration_seconds_bucket{le="10",modality="gravity"} 2
gam_ingestion_fetch_duration_seconds_bucket{le="+Inf",modality="gravity"} 3
gam_ingestion_fetch_duration_seconds_sum{modality="gravity"} 20.55
gam_ingestion_fetch_duration_seconds_count{modality="gravity"} 3
`,
  );
  assert.equal(reg.contentType, "text/plain; version=0.0.4; charset=utf-8");
});

Deno.test("render() escapes backslash, quote and newline in label values and help", async () => {
  const reg = new MetricsRegistry();
  reg.counter({ name: "gam_x_total", help: 'A \\ help\nwith "quotes"', labelNames: ["path"] })
    .inc({ path: 'C:\\data\n"q"' });
  const text = await reg.render();
  assert.match(text, /^# HELP gam_x_total A \\\\ help\\nwith "quotes"$/m);
  assert.match(text, /^gam_x_total\{path="C:\\\\data\\n\\"q\\""\} 1$/m);
});

Deno.test("registering the same name twice returns the same metric when compatible", () => {
  const reg = new MetricsRegistry();
  const a = reg.counter({ name: "gam_a_total", help: "A.", labelNames: ["x", "y"] });
  const b = reg.counter({ name: "gam_a_total", help: "A again.", labelNames: ["y", "x"] });
  assert.equal(a, b);
  const h1 = reg.histogram({ name: "gam_h_seconds", help: "H.", buckets: [1, 2] });
  assert.equal(reg.histogram({ name: "gam_h_seconds", help: "H.", buckets: [1, 2] }), h1);
  assert.deepEqual(reg.names(), ["gam_a_total", "gam_h_seconds"]);
});

Deno.test("registering the same name twice throws when type, labels or buckets differ", () => {
  const reg = new MetricsRegistry();
  reg.counter({ name: "gam_a_total", help: "A.", labelNames: ["x"] });
  assert.throws(
    () => reg.counter({ name: "gam_a_total", help: "A.", labelNames: ["x", "z"] }),
    /"gam_a_total" is already registered and its labels are \[x\], not \[x, z\]/,
  );
  reg.gauge({ name: "gam_g_bytes", help: "G." });
  assert.throws(
    () => reg.histogram({ name: "gam_g_bytes", help: "G.", buckets: [1] }),
    /is a gauge, not a histogram/,
  );
  reg.histogram({ name: "gam_h_seconds", help: "H.", buckets: [1, 2] });
  assert.throws(
    () => reg.histogram({ name: "gam_h_seconds", help: "H.", buckets: [1, 3] }),
    /its buckets are \[1, 2\], not \[1, 3\]/,
  );
});

Deno.test("metric names must have the gam_ prefix, snake_case and base units", () => {
  const reg = new MetricsRegistry();
  const bad: [() => unknown, RegExp][] = [
    [() => reg.counter({ name: "fetch_total", help: "h" }), /starting with "gam_"/],
    [() => reg.counter({ name: "gam_fetchTotal_total", help: "h" }), /snake_case/],
    [() => reg.counter({ name: "gam_fetches", help: "h" }), /must end in "_total"/],
    [() => reg.gauge({ name: "gam_runs_total", help: "h" }), /suffix "_total" is reserved/],
    [() => reg.gauge({ name: "gam_points_count", help: "h" }), /suffix "_count" is reserved/],
    [
      () => reg.histogram({ name: "gam_fetch_ms", help: "h" }),
      /"_ms" is not a base unit; use _seconds/,
    ],
    [() => reg.gauge({ name: "gam_cache_size_megabytes", help: "h" }), /use _bytes/],
    [() => reg.gauge({ name: "gam_nan_percent", help: "h" }), /use _ratio/],
    [() => reg.gauge({ name: "gam_x_bytes", help: " " }), /non-empty help/],
  ];
  for (const [fn, re] of bad) {
    assert.throws(fn, (e: unknown) => e instanceof MetricError && re.test(e.message));
  }
});

Deno.test("label names are validated and histograms cannot use le", () => {
  const reg = new MetricsRegistry();
  assert.throws(
    () => reg.counter({ name: "gam_a_total", help: "h", labelNames: ["bad-name"] }),
    /Invalid label name "bad-name"/,
  );
  assert.throws(
    () => reg.counter({ name: "gam_a_total", help: "h", labelNames: ["__x"] }),
    /not starting with "__"/,
  );
  assert.throws(
    () => reg.counter({ name: "gam_a_total", help: "h", labelNames: ["a", "a"] }),
    /declared twice/,
  );
  assert.throws(
    () => reg.histogram({ name: "gam_h_seconds", help: "h", labelNames: ["le"] }),
    /cannot have a label "le"/,
  );
  assert.throws(
    () => reg.histogram({ name: "gam_h_seconds", help: "h", buckets: [1, 1] }),
    /strictly increasing, got 1 then 1/,
  );
  assert.throws(
    () => reg.histogram({ name: "gam_h_seconds", help: "h", buckets: [1, Infinity] }),
    /finite number/,
  );
  assert.deepEqual(reg.names(), []);
});

Deno.test("updates reject unknown, missing or non-string labels and invalid values", () => {
  const reg = new MetricsRegistry();
  const c = reg.counter({ name: "gam_a_total", help: "h", labelNames: ["modality"] });
  // deno-lint-ignore no-explicit-any
  const anyC = c as any;
  assert.throws(
    () => anyC.inc({ modality: "g", extra: "x" }),
    /Unknown label "extra" for "gam_a_total"; declared labels: modality/,
  );
  assert.throws(() => anyC.inc({}), /Label "modality" of "gam_a_total" is missing/);
  assert.throws(() => anyC.inc(), /needs labels \{modality\}/);
  assert.throws(
    () => c.inc({ modality: "g" }, -1),
    /can only increase by a finite value >= 0, got -1/,
  );
  const h = reg.histogram({ name: "gam_h_seconds", help: "h", buckets: [1] });
  assert.throws(() => h.observe(NaN), /needs a finite observation, got NaN/);
  const g = reg.gauge({ name: "gam_g_ratio", help: "h" });
  // deno-lint-ignore no-explicit-any
  assert.throws(() => (g as any).set({ modality: "x" }, 1), /declared labels: \(none\)/);
});

Deno.test("gauge collect callbacks run at render and startTimer observes seconds", async () => {
  const reg = new MetricsRegistry();
  let depth = 7;
  reg.gauge({ name: "gam_serve_queue_depth", help: "Queue.", collect: (g) => g.set(depth) });
  assert.match(await reg.render(), /^gam_serve_queue_depth 7$/m);
  depth = 2;
  assert.match(await reg.render(), /^gam_serve_queue_depth 2$/m);
  const h = reg.histogram({
    name: "gam_stage_duration_seconds",
    help: "S.",
    labelNames: ["stage"],
    buckets: [1e9],
  });
  const stop = h.startTimer({ stage: "grid" });
  const seconds = stop();
  assert.ok(seconds >= 0);
  assert.match(await reg.render(), /^gam_stage_duration_seconds_count\{stage="grid"\} 1$/m);
  reg.resetValues();
  assert.doesNotMatch(await reg.render(), /gam_stage_duration_seconds_count\{stage="grid"\}/);
});

Deno.test("exponentialBuckets() multiplies by the factor and rejects bad input", () => {
  assert.deepEqual(exponentialBuckets(1024, 4, 3), [1024, 4096, 16384]);
  assert.throws(() => exponentialBuckets(0, 2, 3), RangeError);
  assert.throws(() => exponentialBuckets(1, 1, 3), RangeError);
  assert.throws(() => exponentialBuckets(1, 2, 0), RangeError);
});

Deno.test("promtool check metrics accepts every metric type with tricky label values", async (t) => {
  const promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
  if (!promtool) {
    // An ignored step: the test runner lists it as skipped with this reason.
    await t.step({
      name: "promtool is not installed (Debian package prometheus)",
      ignore: true,
      fn: () => {},
    });
    return;
  }
  const reg = new MetricsRegistry();
  const fetches = reg.counter({
    name: "gam_ingestion_fetch_total",
    help: "Fetches by modality, plugin and outcome.",
    labelNames: ["modality", "plugin", "outcome"],
  });
  for (const plugin of ['quo"te', "back\\slash", "new\nline", "ünïcödé µGal", "", "a,b=c{d}"]) {
    fetches.inc({ modality: "gravity", plugin, outcome: "ok" });
  }
  reg.counter({ name: "gam_runs_total", help: "Runs started." }).inc(0);
  reg.gauge({
    name: "gam_ingestion_circuit_state",
    help: "0 closed, 1 half-open, 2 open.",
    labelNames: ["modality"],
  })
    .set({ modality: "magnetic" }, 2);
  reg.gauge({ name: "gam_grid_nan_ratio", help: "NaN share." }).set(NaN);
  reg.gauge({ name: "gam_temperature_celsius", help: "Negative infinity." }).set(-Infinity);
  const dur = reg.histogram({
    name: "gam_ingestion_fetch_duration_seconds",
    help: "Duration of one fetch in seconds.",
    labelNames: ["modality"],
  });
  dur.observe({ modality: "gravity" }, 0.42);
  dur.observe({ modality: 'ma"g' }, 120);
  reg.histogram({
    name: "gam_cache_entry_size_bytes",
    help: "Cache entry sizes in bytes.",
    buckets: exponentialBuckets(1024, 4, 6),
  }).observe(5e6);
  reg.histogram({ name: "gam_empty_seconds", help: "Never observed.", labelNames: ["x"] });
  const text = await reg.render();
  for (const type of ["counter", "gauge", "histogram"]) {
    assert.match(text, new RegExp(`# TYPE \\S+ ${type}`));
  }
  await t.step("promtool exits 0 with no findings", async () => {
    const child = new Deno.Command(promtool, {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(text));
    await w.close();
    const out = await child.output();
    const report = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `promtool rejected:\n${report}\n--- input ---\n${text}`);
    assert.equal(report.trim(), "", `promtool findings:\n${report}`);
  });
});

Deno.test("defaultRegistry is one shared MetricsRegistry", () => {
  assert.ok(defaultRegistry instanceof MetricsRegistry);
});

Deno.test("the metric names planned in issues 5 and 9 pass the naming rules", () => {
  const reg = new MetricsRegistry();
  for (
    const name of [
      "gam_ingestion_fetch_total",
      "gam_ingestion_retries_total",
      "gam_ingestion_circuit_transitions_total",
      "gam_ingestion_bulkhead_rejections_total",
      "gam_ingestion_rate_limited_total",
      "gam_run_total",
      "gam_cache_hits_total",
    ]
  ) reg.counter({ name, help: "h" });
  reg.gauge({ name: "gam_ingestion_circuit_state", help: "h" });
  reg.gauge({ name: "gam_cache_hit_ratio", help: "h" });
  reg.gauge({ name: "gam_serve_queue_depth", help: "h" });
  reg.histogram({ name: "gam_ingestion_fetch_duration_seconds", help: "h" });
  reg.histogram({ name: "gam_stage_duration_seconds", help: "h" });
  assert.equal(reg.names().length, 12);
});
