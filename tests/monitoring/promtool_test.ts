/**
 * The Prometheus files in monitoring/prometheus/ checked by the real promtool (Debian
 * `prometheus`): configuration, rules, and the unit tests of every alert; the Alertmanager
 * configuration by amtool (Debian `prometheus-alertmanager`); and every `gam_` metric the rules
 * read is one the code registers.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { ROOT } from "../_gam_cli.ts";

const PROM = `${ROOT}monitoring/prometheus/`;

async function promtool(...args: string[]): Promise<{ ok: boolean; text: string }> {
  const out = await new Deno.Command("promtool", {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { ok: out.success, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

async function srcFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await srcFiles(p));
    else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) out.push(p);
  }
  return out;
}

Deno.test("promtool check config accepts monitoring/prometheus/prometheus.yml", async () => {
  const r = await promtool("check", "config", `${PROM}prometheus.yml`);
  assert.ok(r.ok, r.text);
  assert.match(r.text, /SUCCESS: 2 rule files found/);
});

Deno.test("promtool check rules accepts the recording and alert rules", async () => {
  const r = await promtool(
    "check",
    "rules",
    `${PROM}rules/recording.yml`,
    `${PROM}rules/alerts.yml`,
  );
  assert.ok(r.ok, r.text);
});

Deno.test("promtool test rules passes the unit tests of the alerts", async () => {
  const r = await promtool("test", "rules", `${PROM}tests/alerts_test.yml`);
  assert.ok(r.ok, r.text);
  assert.match(r.text, /SUCCESS/);
});

Deno.test("amtool check-config accepts monitoring/alertmanager/alertmanager.yml", async () => {
  const out = await new Deno.Command("amtool", {
    args: ["check-config", `${ROOT}monitoring/alertmanager/alertmanager.yml`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success, text);
  assert.match(text, /SUCCESS/);
});

Deno.test("every alert has a unit test where it fires and one where it does not", async () => {
  // deno-lint-ignore no-explicit-any
  const rules = parse(await Deno.readTextFile(`${PROM}rules/alerts.yml`)) as any;
  const alerts: string[] = rules.groups.flatMap((g: { rules: { alert?: string }[] }) =>
    g.rules.map((r) => r.alert).filter((a) => a !== undefined)
  );
  assert.ok(alerts.length >= 7, `alerts found: ${alerts.join(", ")}`);
  // deno-lint-ignore no-explicit-any
  const tests = parse(await Deno.readTextFile(`${PROM}tests/alerts_test.yml`)) as any;
  const cases: { alertname: string; exp_alerts: unknown[] }[] = tests.tests.flatMap((
    t: { alert_rule_test?: unknown[] },
  ) => t.alert_rule_test ?? []);
  for (const alert of alerts) {
    const mine = cases.filter((c) => c.alertname === alert);
    assert.ok(mine.some((c) => c.exp_alerts.length > 0), `${alert}: no firing case`);
    assert.ok(mine.some((c) => c.exp_alerts.length === 0), `${alert}: no not-firing case`);
  }
});

Deno.test("every gam_ metric the rules read is registered by the code", async () => {
  const registered = new Set<string>();
  for (const file of await srcFiles(`${ROOT}src`)) {
    for (const m of (await Deno.readTextFile(file)).matchAll(/name: "(gam_[a-z0-9_]+)"/g)) {
      registered.add(m[1]);
    }
  }
  const rules = (await Deno.readTextFile(`${PROM}rules/recording.yml`)) +
    (await Deno.readTextFile(`${PROM}rules/alerts.yml`));
  const used = new Set(
    [...rules.matchAll(/\b(gam_[a-z0-9_]+)/g)].map((m) => m[1].replace(/_(bucket|count|sum)$/, "")),
  );
  assert.ok(used.size >= 10, `metrics found in the rules: ${[...used].join(", ")}`);
  const missing = [...used].filter((u) => !registered.has(u));
  assert.deepEqual(missing, [], `metrics the rules read but no code registers: ${missing}`);
});
