import assert from "node:assert/strict";
import { decode } from "fast-png";
import type { ProcessedGrid } from "../contracts/mod.ts";
import { balance, viridis } from "./colormap.ts";
import { colourLimits, gridPng, histogram, histogramPng } from "./png.ts";
import { renderReport, type ReportGrid } from "./report_html.ts";

function grid(nx: number, ny: number): ProcessedGrid {
  const values = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) values[j * nx + i] = j; // grows north
  values[0] = NaN;
  return {
    lat: Float64Array.from({ length: ny }, (_, j) => 45 + j * 0.1),
    lon: Float64Array.from({ length: nx }, (_, i) => 10 + i * 0.1),
    values,
    units: "mGal",
    crs: "EPSG:4326",
    resolution: { lon: 0.1, lat: 0.1 },
    registration: "gridline",
    provenance: [],
  };
}

Deno.test("viridis and balance map the ends and the middle to the published colours", () => {
  // matplotlib's viridis: 0 -> #440154, 1 -> #fde725; the polynomial fit is within 4/255.
  const near = (a: number[], b: number[]) => a.every((v, k) => Math.abs(v - b[k]) <= 4);
  assert.ok(near(viridis(0), [68, 1, 84]), `${viridis(0)}`);
  assert.ok(near(viridis(1), [253, 231, 37]), `${viridis(1)}`);
  assert.ok(near(viridis(0.5), [33, 145, 140]), `${viridis(0.5)}`);
  assert.deepEqual(balance(0.5), [255, 255, 255]);
  assert.deepEqual(balance(0), [33, 102, 172]);
});

Deno.test("gridPng() draws north up with NaN transparent", () => {
  const g = grid(4, 3);
  const img = gridPng(g.values, 4, 3, { limits: [0, 2] });
  const png = decode(img.bytes);
  assert.equal(png.width, 4);
  assert.equal(png.height, 3);
  const px = (x: number, y: number) =>
    Array.from(png.data.slice((y * 4 + x) * 4, (y * 4 + x) * 4 + 4));
  assert.deepEqual(px(1, 0), [...viridis(1), 255], "top row is the northernmost (largest) values");
  assert.deepEqual(px(1, 2), [...viridis(0), 255]);
  assert.equal(px(0, 2)[3], 0, "the NaN cell (south-west corner) is transparent");
});

Deno.test("gridPng() subsamples grids larger than maxSide", () => {
  const img = gridPng(new Float64Array(2000 * 1000).fill(1), 2000, 1000, { maxSide: 400 });
  assert.equal(img.width, 400);
  assert.equal(img.height, 200);
});

Deno.test("colourLimits() uses robust percentiles and survives constant or empty data", () => {
  const v = Float64Array.from({ length: 1000 }, (_, i) => i);
  v[999] = 1e9; // one spike does not stretch the scale
  const [lo, hi] = colourLimits(v);
  assert.ok(lo >= 19 && lo <= 21 && hi >= 977 && hi <= 979, `${lo} ${hi}`);
  assert.deepEqual(colourLimits([NaN, NaN]), [0, 1]);
  const [a, b] = colourLimits([5, 5, 5]);
  assert.ok(b > a);
});

Deno.test("histogram() counts finite values into equal bins", () => {
  const h = histogram([0, 0.5, 1, 2, NaN, 4], 4);
  assert.deepEqual(h.counts, [2, 1, 1, 1]);
  assert.deepEqual(h.edges, [0, 1, 2, 3, 4]);
  assert.equal(decode(histogramPng(h.counts, 40, 20).bytes).width, 40);
});

Deno.test("renderReport() is self-contained: inline PNGs, no external URLs or scripts", () => {
  const html = renderReport({
    runId: "run-1",
    startedAt: "2026-11-25T00:00:00Z",
    finishedAt: "2026-11-25T00:00:05Z",
    bbox: [10, 45, 10.3, 45.2],
    modalities: [{
      modality: "gravity",
      outcome: "ok",
      pointsIn: 100,
      outliersRemoved: 2,
      cache: "miss",
      durationSeconds: 1.5,
      stages: [{
        branch: "main",
        stage: "grid",
        version: "1.0.0",
        durationSeconds: 0.5,
        outcome: "ok",
      }],
      grids: [{
        title: "gravity / main",
        grid: grid(4, 3),
        anomalies: [{
          lon: 10.1,
          lat: 45.1,
          depth: 0,
          confidence: 0.8,
          type: "positive",
          attributes: { areaKm2: 3 },
        }],
        qc: { completeness: 0.9, seams: [{ between: "A|B", offset: 1.5, flagged: true }] },
      }],
    }, {
      modality: "magnetic",
      outcome: "failed",
      error: "plugin <x> refused",
      durationSeconds: 0.1,
      stages: [],
      grids: [],
    }],
    provenance: { config: "sha256:abc" },
  });
  assert.ok(!/<script/i.test(html));
  assert.ok(!/(src|href)="(https?:)?\/\//.test(html), "no network URLs");
  assert.equal(
    (html.match(/data:image\/png;base64,/g) ?? []).length,
    3,
    "map, colour bar and histogram",
  );
  assert.match(html, /plugin &#60;x&#62; refused/, "errors are escaped");
  assert.match(html, /completeness<\/th><td>90\.0 %/);
  assert.match(html, /<circle /);
  assert.match(html, /sha256:abc/);
});

Deno.test("renderReport() draws cells centred on their nodes, enlarged, with hemisphere labels", () => {
  const g = grid(5, 3); // nodes 10.0..10.4 °E, 45.0..45.2 °N, every 0.1°
  const html = renderReport({
    runId: "run-2",
    startedAt: "",
    finishedAt: "",
    bbox: [10, 45, 10.4, 45.2],
    modalities: [{
      modality: "gravity",
      outcome: "ok",
      durationSeconds: 1,
      stages: [],
      grids: [{
        title: "g",
        grid: g,
        anomalies: [{
          lon: 10.2,
          lat: 45.1,
          depth: 0,
          confidence: 0.5,
          type: "negative",
          attributes: { peak: -1.23456789 },
        }],
      }],
    }],
    provenance: {},
  });
  const map =
    /<image href="data:[^"]*" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/
      .exec(html);
  assert.ok(map, "the map image is in the SVG");
  const [x0, y0, w, h] = map.slice(1).map(Number);
  const trueAspect = (5 / 3) * Math.cos((45.1 * Math.PI) / 180); // 0.5 x 0.3 degrees at 45.1°N
  assert.ok(
    Math.max(w, h) >= 480 && Math.abs(w / h - trueAspect) < 0.01,
    `enlarged to ${w} x ${h}, true proportion`,
  );
  // The image spans 9.95..10.45 °E: the 10°E tick is half a cell (1/10 of the width) inside.
  const tick = /<line x1="([\d.]+)"[^>]*\/><text [^>]*>10°E<\/text>/.exec(html);
  assert.ok(tick, "a 10°E tick");
  assert.ok(Math.abs(Number(tick[1]) - (x0 + w / 10)) < 1e-6, `tick at ${tick[1]}`);
  // The anomaly at the central node is drawn at the centre of the image.
  const c = /<circle cx="([\d.]+)" cy="([\d.]+)"/.exec(html);
  assert.ok(c);
  assert.ok(
    Math.abs(Number(c[1]) - (x0 + w / 2)) < 1e-6 && Math.abs(Number(c[2]) - (y0 + h / 2)) < 1e-6,
  );
  assert.match(html, />45\.1°N</);
  assert.match(html, /peak: -1\.235/, "attributes rounded to 4 significant digits");
});

Deno.test("renderReport() labels colour limits of a large-offset field with enough digits", () => {
  const g = grid(10, 10);
  g.values = Float64Array.from(g.values, (v) => 977_013 + v * 100); // 977013..977913 mGal
  const html = renderReport({
    runId: "run-3",
    startedAt: "",
    finishedAt: "",
    bbox: [10, 45, 10.9, 45.9],
    modalities: [{
      modality: "gravity",
      outcome: "ok",
      durationSeconds: 1,
      stages: [],
      grids: [{ title: "g", grid: g, anomalies: [] }],
    }],
    provenance: {},
  });
  const [lo, hi] = colourLimits(g.values);
  assert.equal(lo, 977_013);
  assert.equal(hi, 977_913);
  assert.match(html, /colour limits 977013 to 977913 mGal/);
  assert.match(html, /Histogram, 977013 to 977913 mGal/);
});

function reportOf(g: ProcessedGrid, anomalies: ReportGrid["anomalies"] = []): string {
  return renderReport({
    runId: "run-p",
    startedAt: "",
    finishedAt: "",
    bbox: [g.lon[0], g.lat[0], g.lon[g.lon.length - 1], g.lat[g.lat.length - 1]],
    modalities: [{
      modality: "magnetic",
      outcome: "ok",
      durationSeconds: 1,
      stages: [],
      grids: [{ title: "m", grid: g, anomalies }],
    }],
    provenance: {},
  });
}

Deno.test("renderReport() draws a 1 x 1 degree box at 45°N cos(45°) as wide as high", () => {
  const n = 101, g = grid(n, n); // axes set to 10..11 °E, 44.5..45.5 °N at 0.01°
  g.lat = Float64Array.from({ length: n }, (_, j) => 44.5 + j * 0.01);
  g.lon = Float64Array.from({ length: n }, (_, i) => 10 + i * 0.01);
  g.resolution = { lon: 0.01, lat: 0.01 };
  const html = reportOf(g);
  const map = /<image href="data:[^"]*" x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="([\d.]+)"/
    .exec(html);
  assert.ok(map);
  const aspect = Number(map[1]) / Number(map[2]);
  assert.ok(Math.abs(aspect - Math.cos(Math.PI / 4)) < 0.01, `pixel aspect ${aspect}`);
  assert.match(html, />longitude</);
  assert.match(html, />latitude</);
});

Deno.test("renderReport() gives the histogram a value axis with units and a count axis", () => {
  const html = reportOf(grid(20, 10));
  const hist = /<svg [^>]*aria-label="histogram of m">(.*?)<\/svg>/.exec(html);
  assert.ok(hist, "the histogram is an SVG chart");
  assert.match(hist[1], />value \(mGal\)</);
  assert.match(hist[1], />count \(nodes\)</);
  // Ticks: values 0..9 on the value axis, counts up to the largest bin on the count axis.
  assert.ok((hist[1].match(/<line /g) ?? []).length >= 4, "ticks on both axes");
  assert.match(hist[1], />0</);
});

Deno.test("renderReport() leaves edge anomalies out of the counts and draws them dashed", () => {
  const a = (edge: boolean) => ({
    lon: 10.5,
    lat: 45.5,
    depth: 0,
    confidence: 0.9,
    type: "positive",
    attributes: edge ? { edge: true } : {},
  });
  const html = reportOf(grid(10, 10), [a(false), a(true), a(true)]);
  assert.match(html, /anomalies<\/th><td>1 \(\+2 at the edge\)/);
  assert.equal((html.match(/stroke-dasharray/g) ?? []).length, 2);
  assert.match(html, /<td>1<\/td><td>1\.00 s<\/td>/, "summary table counts 1");
});

Deno.test("renderReport() shows extrapolated nodes and the distance to data from the footprint", () => {
  const html = renderReport({
    runId: "run-q",
    startedAt: "",
    finishedAt: "",
    bbox: [10, 45, 10.9, 45.9],
    modalities: [{
      modality: "magnetic",
      outcome: "ok",
      durationSeconds: 1,
      stages: [],
      grids: [{
        title: "m",
        grid: grid(10, 10),
        anomalies: [],
        qc: { completeness: 0.872, supportKm: 1.67, extrapolated: 12, maxDistanceKm: 11.3 },
      }],
    }],
    provenance: {},
  });
  assert.match(html, /completeness<\/th><td>87\.2 % \(data within 1\.67 km\)/);
  assert.match(html, /extrapolated<\/th><td>12 nodes/);
  assert.match(html, /distance to data<\/th><td>max 11\.3 km/);
});

Deno.test("renderReport() lists the survey's named flight lines and its delivered CRS", () => {
  const html = renderReport({
    runId: "r",
    startedAt: "",
    finishedAt: "",
    bbox: [10, 45, 11, 46],
    provenance: {},
    modalities: [{
      modality: "magnetic",
      outcome: "ok",
      durationSeconds: 1,
      stages: [],
      grids: [],
      sourceCrs: "EPSG:32632",
      lines: [
        { name: "FL1-1", kind: "line", readings: 60 },
        { name: "FL1-2", kind: "line", readings: 4 },
        { name: "T100", kind: "tie", readings: 5 },
        { name: "<b>", kind: "line", readings: 80 },
      ],
    }],
  });
  assert.match(html, /Coordinates delivered in EPSG:32632, transformed to EPSG:4326/);
  assert.match(
    html,
    /Flight lines: 4 \(3 lines, 1 tie lines\); readings per line 4 to 80 \(median 5\)/,
  );
  assert.match(html, /<details><summary>all 4 lines<\/summary>/);
  assert.match(html, /<td>FL1-2<\/td><td>line<\/td><td>4<\/td>/);
  assert.match(html, /<td>&#60;b&#62;<\/td>/, "names are escaped");
});

Deno.test("renderReport() numbers the 20 strongest of 300 anomalies, dots the rest, tables 20 and folds all", () => {
  const g = grid(40, 30);
  const anomalies = Array.from({ length: 300 }, (_, i) => ({
    lon: 10 + (i % 40) * 0.1,
    lat: 45 + Math.floor(i / 40) * 0.1,
    depth: 0,
    // Confidence ties in pairs, broken by |peak|: the order is known without sorting here.
    confidence: 1 - Math.floor(i / 2) / 300,
    type: i % 2 ? "negative" : "positive",
    attributes: { peak: i % 2 ? -(1000 - i) : 10 },
  }));
  const html = renderReport({
    runId: "r",
    startedAt: "",
    finishedAt: "",
    bbox: [10, 45, 14, 48],
    provenance: {},
    modalities: [{
      modality: "magnetic",
      outcome: "ok",
      durationSeconds: 1,
      stages: [],
      grids: [{ title: "magnetic / main", grid: g, anomalies }],
    }],
  });
  const labels = [...html.matchAll(/font-weight="bold">(\d+)<\/text>/g)].map((m) => Number(m[1]));
  assert.deepEqual(labels.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.equal([...html.matchAll(/<g class="minor">/g)].length, 280);
  // Rank 1 is anomaly 1 (confidence 1, |peak| 999 beats anomaly 0's 10): its title says so.
  assert.match(html, /<title>#1 negative confidence 1<\/title>/);
  assert.match(html, /<h4>Anomalies \(the 20 strongest of 300\)<\/h4>/);
  const [shown, folded] = html.split("<details><summary>all 300 anomalies");
  assert.equal([...shown.matchAll(/<tr><td>\d+<\/td>/g)].length, 20);
  assert.ok(folded !== undefined, "the full list is in a collapsed section");
  assert.equal([...folded.split("</details>")[0].matchAll(/<tr><td>\d+<\/td>/g)].length, 300);
  const few = renderReport({
    runId: "r",
    startedAt: "",
    finishedAt: "",
    bbox: [10, 45, 14, 48],
    provenance: {},
    labelTop: 3,
    tableRows: 50,
    modalities: [{
      modality: "magnetic",
      outcome: "ok",
      durationSeconds: 1,
      stages: [],
      grids: [{ title: "m", grid: g, anomalies: anomalies.slice(0, 30) }],
    }],
  });
  assert.equal([...few.matchAll(/font-weight="bold">/g)].length, 3);
  assert.ok(!few.includes("<details><summary>all"), "no fold when the table holds them all");
});
