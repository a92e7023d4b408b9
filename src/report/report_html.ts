/**
 * `report.html`: a self-contained page (no network requests: images are inline `data:` PNGs,
 * styles inline, no scripts) describing a run: for every grid a colour-mapped image with
 * colour bar, lat/lon axes and anomaly markers, a histogram, the QC table, per-stage timings
 * and the provenance.
 *
 * @module
 */
import { encodeBase64 } from "./_base64.ts";
import type { Anomaly, ProcessedGrid } from "../contracts/mod.ts";
import { isEdgeAnomaly } from "../contracts/schemas.ts";
import { viridis } from "./colormap.ts";
import type { LineSummary } from "../formats/mod.ts";
import { colourBarPng, gridPng, histogram, histogramPng, type PngImage } from "./png.ts";

/** QC figures shown for a grid. */
export interface ReportQc {
  /** Fraction of cells with data support, [0, 1]. */
  completeness?: number;
  /** Support distance of `completeness`, km (measured from the input points). */
  supportKm?: number;
  /** Nodes with a value but no datum within `supportKm`. */
  extrapolated?: number;
  /** Largest distance from a node to the nearest datum, km. */
  maxDistanceKm?: number;
  /** Seams found: surveys, level offset (data units), flagged. */
  seams?: { between: string; offset: number; gradientJump?: number; flagged: boolean }[];
}

/** One grid of the report. */
export interface ReportGrid {
  /** Title, e.g. `"gravity / fine"`. */
  title: string;
  grid: ProcessedGrid;
  anomalies: Anomaly[];
  qc?: ReportQc;
}

/** One stage timing row. */
export interface ReportStage {
  branch: string;
  stage: string;
  version: string;
  durationSeconds: number;
  outcome: string;
  error?: string;
}

/** One modality of the report. */
export interface ReportModality {
  modality: string;
  outcome: "ok" | "failed" | "interrupted";
  error?: string;
  pointsIn?: number;
  outliersRemoved?: number;
  cache?: string;
  durationSeconds: number;
  stages: ReportStage[];
  grids: ReportGrid[];
  /** The survey's flight lines (name, kind, readings), in code order; absent or empty: none. */
  lines?: readonly LineSummary[];
  /** CRS the survey's coordinates were delivered in, when transformed to EPSG:4326. */
  sourceCrs?: string;
}

/** Everything the report shows. */
export interface ReportInput {
  runId: string;
  startedAt: string;
  finishedAt: string;
  bbox: readonly number[];
  modalities: ReportModality[];
  /** The run manifest, shown as JSON. */
  provenance: unknown;
  /**
   * Anomalies numbered on each map, the strongest (see {@linkcode rankAnomalies}); the rest
   * are small unlabelled markers.
   * @default 20
   */
  labelTop?: number;
  /**
   * Rows of each grid's anomaly table, the strongest; the full list follows in a collapsed
   * `<details>` (and is in `anomalies.geojson`).
   * @default 20
   */
  tableRows?: number;
}

/**
 * Anomalies strongest first: by confidence, then by |peak| (the `peak` attribute, the
 * amplitude), edge anomalies after the others. Returns indexes into `anomalies`.
 *
 * @example Usage
 * ```ts
 * import { rankAnomalies } from "./report_html.ts";
 * const a = (confidence: number, peak: number) =>
 *   ({ lon: 0, lat: 0, depth: 0, confidence, type: "positive", attributes: { peak } });
 * rankAnomalies([a(0.5, 10), a(0.9, 1), a(0.5, -30)]); // [1, 2, 0]
 * ```
 */
export function rankAnomalies(anomalies: readonly Anomaly[]): number[] {
  const amp = (a: Anomaly) => {
    const p = a.attributes?.peak;
    return typeof p === "number" && Number.isFinite(p) ? Math.abs(p) : 0;
  };
  return anomalies.map((_, i) => i).sort((i, j) => {
    const a = anomalies[i], b = anomalies[j];
    return Number(isEdgeAnomaly(a)) - Number(isEdgeAnomaly(b)) ||
      b.confidence - a.confidence || amp(b) - amp(a) || i - j;
  });
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const dataUri = (png: PngImage) => `data:image/png;base64,${encodeBase64(png.bytes)}`;
const fmt = (v: number | undefined | null, digits = 3) =>
  v === undefined || v === null || !Number.isFinite(v)
    ? "–"
    : Number(v.toPrecision(digits)).toString();

/** Longer side of a drawn map, CSS pixels (smaller grid images are enlarged to it). */
const MIN_MAP_SIDE = 480;

/** An axis label: `23.5°S`, `0°`, `26°E`. */
const degrees = (v: number, positive: string, negative: string) =>
  v === 0 ? "0°" : `${Math.abs(v)}°${v > 0 ? positive : negative}`;

/**
 * Significant digits that keep the ends of a range `lo..hi` apart (at least 4): a range of
 * 1,900 mGal around 977,000 mGal needs 6 (`975563` to `977463`), not `975600` to `977500`.
 */
function rangeDigits(lo: number, hi: number): number {
  const span = Math.abs(hi - lo), size = Math.max(Math.abs(lo), Math.abs(hi));
  if (!(span > 0) || !Number.isFinite(size)) return 4;
  return Math.min(15, Math.max(4, Math.ceil(Math.log10(size / span)) + 3));
}

/** Anomaly attributes as `key: value` pairs, numbers to 4 significant digits. */
const attributes = (a: Record<string, unknown>) =>
  Object.entries(a).map(([k, v]) =>
    `${k}: ${typeof v === "number" ? fmt(v, 4) : JSON.stringify(v)}`
  )
    .join(", ");

function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Number(v.toFixed(10)));
  }
  return out;
}

function gridFigure(g: ReportGrid, labelTop: number, tableRows: number): string {
  const { grid } = g;
  const nx = grid.lon.length, ny = grid.lat.length;
  const img = gridPng(grid.values, nx, ny);
  const bar = colourBarPng(16, 256);
  // Each value is drawn as a cell centred on its node, so the image spans half a cell beyond
  // the first and last nodes; axes and markers use the same extent.
  const dLon = nx > 1 ? (grid.lon[nx - 1] - grid.lon[0]) / (nx - 1) : grid.resolution.lon;
  const dLat = ny > 1 ? (grid.lat[ny - 1] - grid.lat[0]) / (ny - 1) : grid.resolution.lat;
  const lon0 = grid.lon[0] - dLon / 2, lon1 = grid.lon[nx - 1] + dLon / 2;
  const lat0 = grid.lat[0] - dLat / 2, lat1 = grid.lat[ny - 1] + dLat / 2;
  // A projected grid's axes are eastings and northings in metres: true aspect without the
  // cosine of latitude, ticks labelled in metres.
  const projected = grid.crs !== "EPSG:4326";
  const { width: w, height: h } = mapSize(
    lon1 - lon0,
    lat1 - lat0,
    projected ? 0 : (lat0 + lat1) / 2,
    img,
  );
  const tick = (t: number, pos: string, neg: string) =>
    projected ? `${t} m${pos}` : degrees(t, pos, neg);
  const ml = 64, mt = 12, mb = 40, mr = 90;
  const W = ml + w + mr, H = mt + h + mb;
  const x = (lon: number) => ml + ((lon - lon0) / (lon1 - lon0 || 1)) * w;
  const y = (lat: number) => mt + h - ((lat - lat0) / (lat1 - lat0 || 1)) * h;
  const xt = niceTicks(lon0, lon1).map((t) =>
    `<line x1="${x(t)}" x2="${x(t)}" y1="${mt + h}" y2="${mt + h + 5}" stroke="#333"/>` +
    `<text x="${x(t)}" y="${mt + h + 18}" text-anchor="middle">${tick(t, "E", "W")}</text>`
  ).join("");
  const yt = niceTicks(lat0, lat1).map((t) =>
    `<line x1="${ml - 5}" x2="${ml}" y1="${y(t)}" y2="${y(t)}" stroke="#333"/>` +
    `<text x="${ml - 8}" y="${y(t) + 4}" text-anchor="end">${tick(t, "N", "S")}</text>`
  ).join("");
  // Edge anomalies (in the band FFT transforms disturb) are drawn grey and dashed. The
  // strongest `labelTop` get a circle and their rank; the others a small unlabelled dot, drawn
  // first so the labelled ones stay on top.
  const order = rankAnomalies(g.anomalies);
  const rank = new Int32Array(g.anomalies.length);
  order.forEach((i, r) => (rank[i] = r + 1));
  const marker = (i: number) => {
    const a = projected
      ? {
        ...g.anomalies[i],
        // On a projected grid's map: the anomaly's easting and northing (attributes x, y).
        lon: g.anomalies[i].attributes?.x as number,
        lat: g.anomalies[i].attributes?.y as number,
      }
      : g.anomalies[i];
    const colour = isEdgeAnomaly(a) ? "#777" : "#e8112d";
    const title = `<title>#${rank[i]} ${esc(a.type)}${isEdgeAnomaly(a) ? " (edge)" : ""} ` +
      `confidence ${fmt(a.confidence, 2)}</title>`;
    if (rank[i] > labelTop) {
      return `<g class="minor"><circle cx="${x(a.lon)}" cy="${
        y(a.lat)
      }" r="2.5" fill="${colour}" ` +
        `fill-opacity="0.7"/>${title}</g>`;
    }
    const dash = isEdgeAnomaly(a) ? ` stroke-dasharray="3 2"` : "";
    return `<g><circle cx="${x(a.lon)}" cy="${
      y(a.lat)
    }" r="7" fill="none" stroke="${colour}" stroke-width="2"${dash}/>` +
      `<text x="${x(a.lon) + 9}" y="${y(a.lat) - 6}" fill="${colour}" font-weight="bold">${
        rank[i]
      }</text>${title}</g>`;
  };
  const markers = [...order].reverse().map(marker).join("");
  const bx = ml + w + 18, bh = h;
  const [lo, hi] = img.limits;
  const digits = rangeDigits(lo, hi);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-size="11" ` +
    `font-family="sans-serif" role="img" aria-label="${esc(g.title)} map">` +
    `<image href="${
      dataUri(img)
    }" x="${ml}" y="${mt}" width="${w}" height="${h}" preserveAspectRatio="none" style="image-rendering:pixelated"/>` +
    `<rect x="${ml}" y="${mt}" width="${w}" height="${h}" fill="none" stroke="#333"/>${xt}${yt}` +
    `<text x="${ml + w / 2}" y="${H - 4}" text-anchor="middle">longitude</text>` +
    `<text transform="translate(12 ${
      mt + h / 2
    }) rotate(-90)" text-anchor="middle">latitude</text>` +
    markers +
    `<image href="${
      dataUri(bar)
    }" x="${bx}" y="${mt}" width="16" height="${bh}" preserveAspectRatio="none"/>` +
    `<rect x="${bx}" y="${mt}" width="16" height="${bh}" fill="none" stroke="#333"/>` +
    `<text x="${bx + 20}" y="${mt + 8}">${fmt(hi, digits)}</text>` +
    `<text x="${bx + 20}" y="${mt + bh}">${fmt(lo, digits)}</text>` +
    `<text x="${bx + 20}" y="${mt + bh / 2}">${esc(grid.units)}</text></svg>`;
  const hist = histogram(grid.values);
  const histDigits = rangeDigits(hist.edges[0], hist.edges[hist.edges.length - 1]);
  // Bars take the map's colour at their bin centre, so the histogram doubles as a legend of
  // the clipped colour scale.
  const bins = hist.counts.length, binWidth = (hist.edges[bins] - hist.edges[0]) / (bins || 1);
  const histImg = histogramPng(hist.counts, 320, 120, (t) => {
    const centre = hist.edges[0] + (Math.round(t * (bins - 1)) + 0.5) * binWidth;
    return viridis(Math.min(1, Math.max(0, (centre - lo) / (hi - lo || 1))));
  });
  const histSvg = histogramSvg(hist, histImg, grid.units, g.title);
  let nan = 0;
  for (let i = 0; i < grid.values.length; i++) if (grid.values[i] !== grid.values[i]) nan++;
  const qcRows = [
    [
      "grid",
      `${ny} × ${nx} (${grid.registration}, ` +
      (grid.crs === "EPSG:4326"
        ? `${grid.resolution.lon}°)`
        : `${grid.resolution.lon} m, ${grid.crs})`),
    ],
    ["NaN ratio", fmt(nan / grid.values.length, 3)],
    [
      "completeness",
      g.qc?.completeness === undefined ? "–" : `${(g.qc.completeness * 100).toFixed(1)} %` +
        (g.qc.supportKm === undefined ? "" : ` (data within ${fmt(g.qc.supportKm)} km)`),
    ],
    ...(g.qc?.extrapolated === undefined ? [] : [
      ["extrapolated", `${g.qc.extrapolated} nodes`],
      ["distance to data", `max ${fmt(g.qc.maxDistanceKm)} km`],
    ]),
    [
      "seams flagged",
      g.qc?.seams ? `${g.qc.seams.filter((s) => s.flagged).length} of ${g.qc.seams.length}` : "–",
    ],
    [
      "anomalies",
      `${g.anomalies.filter((a) => !isEdgeAnomaly(a)).length}` +
      (g.anomalies.some(isEdgeAnomaly)
        ? ` (+${g.anomalies.filter(isEdgeAnomaly).length} at the edge)`
        : ""),
    ],
  ].map(([k, v]) => `<tr><th>${k}</th><td>${esc(v)}</td></tr>`).join("");
  const seams = (g.qc?.seams ?? []).map((s) =>
    `<tr><td>${esc(s.between)}</td><td>${fmt(s.offset)}</td><td>${fmt(s.gradientJump)}</td><td>${
      s.flagged ? "yes" : "no"
    }</td></tr>`
  ).join("");
  const row = (i: number) => {
    const a = g.anomalies[i];
    return `<tr><td>${rank[i]}</td><td>${esc(a.type)}${isEdgeAnomaly(a) ? " (edge)" : ""}</td><td>${
      fmt(a.lon, 6)
    }</td><td>${fmt(a.lat, 6)}</td>` +
      `<td>${fmt(a.confidence, 2)}</td><td>${esc(attributes(a.attributes))}</td></tr>`;
  };
  const head = "<tr><th>#</th><th>type</th><th>lon</th><th>lat</th><th>confidence</th>" +
    "<th>attributes</th></tr>";
  const top = order.slice(0, tableRows).map(row).join("");
  const anomalies = top === ""
    ? ""
    : `<h4>Anomalies${
      order.length > tableRows ? ` (the ${tableRows} strongest of ${order.length})` : ""
    }</h4><table>${head}${top}</table>` +
      (order.length > tableRows
        ? `<details><summary>all ${order.length} anomalies (also in anomalies.geojson)</summary>` +
          `<table>${head}${order.map(row).join("")}</table></details>`
        : "");
  return `<section class="grid"><h3>${esc(g.title)}</h3><div class="row"><figure>${svg}` +
    `<figcaption>${esc(g.title)}: colour limits ${fmt(lo, digits)} to ${fmt(hi, digits)} ${
      esc(grid.units)
    } ` +
    `(2nd–98th percentile); red circles numbered by strength mark the ${
      Math.min(labelTop, g.anomalies.length)
    } strongest anomalies, small dots the others, grey (dashed) ones anomalies in the ` +
    `edge band that FFT transforms disturb (not counted). Drawn in true proportion: a degree ` +
    `of longitude is cos(latitude) as wide as a degree of latitude at the map's centre.` +
    `</figcaption></figure>` +
    `<div><table class="kv">${qcRows}</table><figure>${histSvg}<figcaption>Histogram, ` +
    `${fmt(hist.edges[0], histDigits)} to ${fmt(hist.edges[hist.edges.length - 1], histDigits)} ${
      esc(grid.units)
    }</figcaption></figure></div></div>` +
    (seams
      ? `<h4>Seams</h4><table><tr><th>between</th><th>offset</th><th>gradient jump</th><th>flagged</th></tr>${seams}</table>`
      : "") +
    anomalies +
    `</section>`;
}

/**
 * Displayed size of a map in CSS pixels, in true proportion at its centre latitude (an
 * equirectangular view with standard parallel at the centre: a degree of longitude is
 * cos(latitude) times as wide as a degree of latitude), one pixel or more per grid row, the
 * longer side at least {@linkcode MIN_MAP_SIDE}.
 *
 * @param lonSpan Longitude span drawn, degrees.
 * @param latSpan Latitude span drawn, degrees.
 * @param latCentre Centre latitude, degrees.
 * @param img The grid image (one pixel per cell).
 *
 * @example Usage
 * ```ts
 * import { mapSize } from "./report_html.ts";
 * const s = mapSize(1, 1, 45, { width: 100, height: 100 }); // 1 x 1 degree at 45°N
 * s.width / s.height; // ~0.707
 * ```
 */
export function mapSize(
  lonSpan: number,
  latSpan: number,
  latCentre: number,
  img: { width: number; height: number },
): { width: number; height: number } {
  const cos = Math.max(0.01, Math.cos((latCentre * Math.PI) / 180));
  const aspect = lonSpan > 0 && latSpan > 0 ? (lonSpan * cos) / latSpan : img.width / img.height;
  let h = Math.max(1, img.height), w = h * aspect;
  const k = Math.max(1, MIN_MAP_SIDE / Math.max(w, h));
  w *= k, h *= k;
  return { width: Math.max(1, Math.round(w)), height: Math.max(1, Math.round(h)) };
}

/**
 * The histogram as an SVG chart: the bar image, a value axis labelled with the units and a
 * count axis.
 */
function histogramSvg(
  hist: { edges: number[]; counts: number[] },
  img: PngImage,
  units: string,
  title: string,
): string {
  const ml = 52, mt = 8, mb = 36, mr = 12;
  const w = img.width, h = img.height, W = ml + w + mr, H = mt + h + mb;
  const lo = hist.edges[0] ?? 0, hi = hist.edges[hist.edges.length - 1] ?? 1;
  const max = Math.max(1, ...hist.counts);
  const x = (v: number) => ml + ((v - lo) / (hi - lo || 1)) * w;
  const y = (c: number) => mt + h - (c / max) * (h - 1);
  const digits = rangeDigits(lo, hi);
  const xt = hist.counts.length === 0
    ? ""
    : niceTicks(lo, hi, 4).map((t) =>
      `<line x1="${x(t)}" x2="${x(t)}" y1="${mt + h}" y2="${mt + h + 4}" stroke="#333"/>` +
      `<text x="${x(t)}" y="${mt + h + 15}" text-anchor="middle">${fmt(t, digits)}</text>`
    ).join("");
  const yt = niceTicks(0, max, 3).filter((t) => Number.isInteger(t)).map((t) =>
    `<line x1="${ml - 4}" x2="${ml}" y1="${y(t)}" y2="${y(t)}" stroke="#333"/>` +
    `<text x="${ml - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`
  ).join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-size="11" ` +
    `font-family="sans-serif" role="img" aria-label="histogram of ${esc(title)}">` +
    `<image href="${dataUri(img)}" x="${ml}" y="${mt}" width="${w}" height="${h}"/>` +
    `<path d="M${ml} ${mt}V${mt + h}H${ml + w}" fill="none" stroke="#333"/>${xt}${yt}` +
    `<text x="${ml + w / 2}" y="${H - 4}" text-anchor="middle">value (${esc(units)})</text>` +
    `<text transform="translate(12 ${mt + h / 2}) rotate(-90)" text-anchor="middle">` +
    `count (nodes)</text></svg>`;
}

/**
 * The survey's delivered CRS and flight lines: a one-line summary (counts of lines and tie
 * lines, readings per line) and the whole line list in a collapsed `<details>`.
 */
function surveySection(m: ReportModality): string {
  const parts: string[] = [];
  if (m.sourceCrs) {
    parts.push(`<p>Coordinates delivered in ${esc(m.sourceCrs)}, transformed to EPSG:4326.</p>`);
  }
  const lines = m.lines ?? [];
  if (lines.length > 0) {
    const ties = lines.filter((l) => l.kind === "tie").length;
    const counts = lines.map((l) => l.readings).sort((a, b) => a - b);
    const median = counts[Math.floor((counts.length - 1) / 2)];
    const rows = lines.map((l) =>
      `<tr><td>${esc(l.name)}</td><td>${esc(l.kind ?? "–")}</td><td>${l.readings}</td></tr>`
    ).join("");
    parts.push(
      `<p>Flight lines: ${lines.length}` +
        (lines.some((l) => l.kind !== undefined)
          ? ` (${lines.length - ties} lines, ${ties} tie lines)`
          : "") +
        `; readings per line ${counts[0]} to ${counts[counts.length - 1]} (median ${median}).</p>` +
        `<details><summary>all ${lines.length} lines</summary><table><tr><th>line</th>` +
        `<th>kind</th><th>readings</th></tr>${rows}</table></details>`,
    );
  }
  return parts.join("");
}

/**
 * Renders the report page.
 *
 * @example Usage
 * ```ts
 * import { renderReport } from "./report_html.ts";
 * const html = renderReport({ runId: "r1", startedAt: "", finishedAt: "", bbox: [0, 0, 1, 1], modalities: [], provenance: {} });
 * ```
 */
export function renderReport(input: ReportInput): string {
  const labelTop = input.labelTop ?? 20;
  const tableRows = input.tableRows ?? 20;
  const summary = input.modalities.map((m) =>
    `<tr class="${m.outcome}"><td>${esc(m.modality)}</td><td>${esc(m.outcome)}</td><td>${
      m.pointsIn ?? "–"
    }</td>` +
    `<td>${m.outliersRemoved ?? "–"}</td><td>${
      esc(m.cache ?? "–")
    }</td><td>${m.grids.length}</td>` +
    `<td>${
      m.grids.reduce((n, g) => n + g.anomalies.filter((a) => !isEdgeAnomaly(a)).length, 0)
    }</td><td>${m.durationSeconds.toFixed(2)} s</td>` +
    `<td>${esc(m.error ?? "")}</td></tr>`
  ).join("");
  const sections = input.modalities.map((m) => {
    const total = m.stages.reduce((s, r) => s + r.durationSeconds, 0) || 1;
    const stages = m.stages.map((s) =>
      `<tr><td>${esc(s.branch)}</td><td>${esc(s.stage)}</td><td>${esc(s.version)}</td>` +
      `<td>${s.durationSeconds.toFixed(3)} s</td><td><span class="bar" style="width:${
        Math.round((s.durationSeconds / total) * 200)
      }px"></span></td><td>${esc(s.outcome)}${s.error ? `: ${esc(s.error)}` : ""}</td></tr>`
    ).join("");
    return `<section><h2>${esc(m.modality)}</h2>` + surveySection(m) +
      m.grids.map((g) => gridFigure(g, labelTop, tableRows)).join("") +
      `<h3>Stage timings</h3><table><tr><th>branch</th><th>stage</th><th>version</th><th>time</th><th>share</th><th>outcome</th></tr>${stages}</table></section>`;
  }).join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">` +
    `<title>GAM run ${esc(input.runId)}</title><style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}
tr.failed td{background:#fde8e8}.row{display:flex;gap:24px;flex-wrap:wrap}figure{margin:0}
figcaption{font-size:12px;color:#555;max-width:640px}.bar{display:inline-block;height:10px;background:#3b528b}
pre{background:#f6f6f6;padding:8px;overflow:auto;max-height:480px;font-size:12px}.kv th{width:110px}
</style></head><body><h1>GAM run ${esc(input.runId)}</h1>` +
    `<p>Started ${esc(input.startedAt)}, finished ${esc(input.finishedAt)}; bbox [${
      input.bbox.join(", ")
    }] (minLon, minLat, maxLon, maxLat).</p>` +
    `<table><tr><th>modality</th><th>outcome</th><th>points in</th><th>outliers removed</th><th>cache</th>` +
    `<th>grids</th><th>anomalies</th><th>time</th><th>error</th></tr>${summary}</table>${sections}` +
    `<h2>Provenance</h2><details open><summary>run manifest</summary><pre>${
      esc(JSON.stringify(input.provenance, null, 2))
    }</pre></details></body></html>`;
}
