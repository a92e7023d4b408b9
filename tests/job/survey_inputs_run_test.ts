/**
 * A delivered survey through a real `gam run` (issue 20): a CSV in UTM zone 32N metres with
 * named, segmented flight lines and tie lines, read by the sandboxed `file` plugin with
 * `crs: EPSG:32632` and `tiePrefix: T`, Hampel along the lines. The run's database (embedded)
 * holds the survey's source CRS and its lines; the report lists them.
 */
import assert from "node:assert/strict";
import { openDatabase } from "../../src/persistence/mod.ts";
import { fromLonLat } from "../../src/formats/mod.ts";
import { fileSurveyConfig, runConfig, writeConfig } from "./_file_survey.ts";

Deno.test("gam run reads named lines in projected coordinates, persists and reports them", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-survey-" }));
  try {
    const segments: [string, number][] = [["FL1-1", 300], ["FL1-2", 200], ["FL2-1", 500], [
      "T100",
      150,
    ]];
    const rows = ["line,easting,northing,mag"];
    const counts: Record<string, number> = {};
    let k = 0;
    for (const [name, n] of segments) {
      const lon = new Float64Array(n), lat = new Float64Array(n);
      for (let i = 0; i < n; i++, k++) {
        const tie = name.startsWith("T");
        lon[i] = tie ? 10.5 : 10.05 + 0.9 * (i / n);
        lat[i] = tie ? 45.05 + 0.9 * (i / n) : 45.1 + 0.25 * Math.floor(k / 500) + 0.01 * (k % 3);
      }
      const { x, y } = fromLonLat("EPSG:32632", lon, lat);
      for (let i = 0; i < n; i++) {
        const v = 40 * Math.sin(3 * lon[i]) + 25 * Math.cos(2 * lat[i]) + (i % 5) * 0.1;
        rows.push(`${name},${x[i].toFixed(2)},${y[i].toFixed(2)},${v.toFixed(3)}`);
      }
      counts[name] = n;
    }
    await Deno.writeTextFile(`${dir}/survey.csv`, rows.join("\n") + "\n");
    const config = fileSurveyConfig(dir, {
      bbox: [10, 45, 11, 46],
      params: {
        path: `${dir}/survey.csv`,
        columns: { lon: "easting", lat: "northing", value: "mag", line: "line" },
        crs: "EPSG:32632",
        tiePrefix: "T",
        units: "nT",
        licence: "CC0-1.0",
        citation: "synthetic test survey",
      },
      read: [`${dir}/survey.csv`],
      definition:
        "outlier(method=hampel, halfWindow=5, threshold=6) -> grid(method=block-mean, spacing=0.05) -> qc",
      maxNanRatio: 0.95,
    });
    await writeConfig(`${dir}/gam.yaml`, config);
    const out = await runConfig(dir, `${dir}/gam.yaml`);
    assert.equal(out.code, 0, out.stdout + out.stderr.slice(-3000));
    const summary = JSON.parse(out.stdout);
    const runId = summary.runId as string;
    const mag = summary.modalities.find((m: { modality: string }) => m.modality === "magnetic");
    assert.equal(mag.pointsIn, k);

    const html = await Deno.readTextFile(`${dir}/out/runs/${runId}/report.html`);
    assert.match(html, /Coordinates delivered in EPSG:32632, transformed to EPSG:4326/);
    assert.match(html, /Flight lines: 4 \(3 lines, 1 tie lines\)/);
    assert.match(html, /<td>FL1-2<\/td><td>line<\/td><td>200<\/td>/);

    const db = await openDatabase({ url: "", dataDir: `${dir}/out/db` });
    try {
      const [survey] = await db.sql.query<{ id: number; source_crs: string }>(
        "SELECT id, source_crs FROM surveys WHERE run_id = $1 AND modality = 'magnetic'",
        [runId],
      );
      assert.equal(survey.source_crs, "EPSG:32632");
      const lines = await db.repo.surveyLines(Number(survey.id));
      assert.deepEqual(
        lines.map((l) => [l.name, l.kind, l.readings]),
        segments.map(([name]) => [name, name.startsWith("T") ? "tie" : "line", counts[name]]),
      );
    } finally {
      await db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
