/**
 * The `synthetic` source plugin: a deterministic, seeded survey over any bbox, the offline
 * default source of `gam run`. Gravity (mGal) from buried spheres and prisms, magnetic
 * total-field anomaly (nT) from induced dipoles (see `model.ts`, whose functions are the
 * truth for tests), sampled at scattered stations or along east-west flight lines, with
 * Gaussian noise and occasional spikes.
 *
 * Params (all optional):
 * - `seed` (integer, default 42): same seed, bbox and params give the same survey.
 * - `layout`: `"stations"` (default) or `"lines"`.
 * - `stations`: number of stations (default 2000).
 * - `lineSpacing`, `sampleSpacing`: degrees between lines / readings along a line
 *   (defaults: 1/50 and 1/500 of the bbox height and width).
 * - `height`: observation height above the surface, metres (default 0 for stations,
 *   120 for lines).
 * - `noise`: standard deviation of the Gaussian noise in the modality's unit (default 0.05
 *   mGal / 0.5 nT); `spikeRate`: fraction of readings replaced by spikes (default 0.002),
 *   spikes are ±(20..50) times `noise` (at least ±5 units).
 * - `inclination`, `declination`: inducing field, degrees (default 60, 5).
 *
 * @module
 */
import type {
  Bbox,
  FetchRequest,
  PluginManifest,
  RawData,
  SourcePlugin,
} from "@gam/pipeline/plugin";
import { gravityAt, magneticAt, mulberry32, syntheticModel } from "./model.ts";

export { gravityAt, magneticAt, syntheticModel } from "./model.ts";

/**
 * Manifest of the `synthetic` plugin.
 *
 * @example Usage
 * ```ts
 * import { manifest } from "./mod.ts";
 * manifest.modalities; // ["gravity", "magnetic"]
 * ```
 */
export const manifest: PluginManifest = {
  id: "synthetic",
  version: "1.0.0",
  apiVersion: "1.0.0",
  modalities: ["gravity", "magnetic"],
  description: "Deterministic seeded synthetic gravity and magnetic survey over any bbox",
  licence: "CC0-1.0",
  citation: "GAM synthetic survey (spheres, prisms and dipoles; seeded)",
  permissions: { net: [], read: [] },
};

/** Parsed params of the synthetic survey. */
export interface SyntheticParams {
  /** Seed. */
  seed: number;
  /** Layout. */
  layout: "stations" | "lines";
  /** Number of stations. */
  stations: number;
  /** Degrees between flight lines. */
  lineSpacing?: number;
  /** Degrees between readings along a line. */
  sampleSpacing?: number;
  /** Observation height, metres. */
  height?: number;
  /** Noise standard deviation, modality units. */
  noise?: number;
  /** Fraction of spikes. */
  spikeRate: number;
  /** Inclination, degrees. */
  inclination: number;
  /** Declination, degrees. */
  declination: number;
}

const KNOWN = new Set([
  "seed",
  "layout",
  "stations",
  "lineSpacing",
  "sampleSpacing",
  "height",
  "noise",
  "spikeRate",
  "inclination",
  "declination",
]);

/**
 * Validates and fills the params; throws a `RangeError` naming the param.
 *
 * @example Usage
 * ```ts
 * import { parseSyntheticParams } from "./mod.ts";
 * parseSyntheticParams({ seed: 7, layout: "lines" }).layout; // "lines"
 * ```
 */
export function parseSyntheticParams(p: Record<string, unknown>): SyntheticParams {
  for (const k of Object.keys(p)) {
    if (!KNOWN.has(k)) {
      throw new RangeError(
        `synthetic: unknown param "${k}" (known: ${[...KNOWN].join(", ")})`,
      );
    }
  }
  const num = (k: string, def: number | undefined, ok: (v: number) => boolean, rule: string) => {
    const v = p[k];
    if (v === undefined) return def;
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) {
      throw new RangeError(`synthetic: param ${k} must be ${rule}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const layout = p.layout ?? "stations";
  if (layout !== "stations" && layout !== "lines") {
    throw new RangeError(
      `synthetic: param layout must be "stations" or "lines", got ${JSON.stringify(layout)}`,
    );
  }
  return {
    seed: num("seed", 42, Number.isInteger, "an integer")!,
    layout,
    stations: num(
      "stations",
      2000,
      (v) => Number.isInteger(v) && v >= 1 && v <= 5e6,
      "an integer in [1, 5e6]",
    )!,
    lineSpacing: num("lineSpacing", undefined, (v) => v > 0, "> 0 degrees"),
    sampleSpacing: num("sampleSpacing", undefined, (v) => v > 0, "> 0 degrees"),
    height: num("height", undefined, (v) => v >= 0, ">= 0 metres"),
    noise: num("noise", undefined, (v) => v >= 0, ">= 0"),
    spikeRate: num("spikeRate", 0.002, (v) => v >= 0 && v <= 1, "in [0, 1]")!,
    inclination: num("inclination", 60, (v) => v >= -90 && v <= 90, "in [-90, 90] degrees")!,
    declination: num("declination", 5, (v) => v >= -180 && v <= 180, "in [-180, 180] degrees")!,
  };
}

/** What {@linkcode syntheticSurvey} returns: the survey and the noise-free truth. */
export interface SyntheticSurvey {
  /** The survey as RawData. */
  data: RawData & { kind: "points" };
  /** Noise-free values at the same points. */
  truth: Float64Array;
  /** Indexes of spiked readings. */
  spikes: number[];
}

/**
 * Builds the survey for a modality and bbox (pure, deterministic).
 *
 * @example Usage
 * ```ts
 * import { syntheticSurvey } from "./mod.ts";
 * const { data, truth } = syntheticSurvey("gravity", [10, 45, 11, 46], { seed: 1, stations: 100 });
 * data.points.lon.length; // 100
 * ```
 */
export function syntheticSurvey(
  modality: string,
  bbox: Bbox,
  params: Record<string, unknown> = {},
): SyntheticSurvey {
  if (modality !== "gravity" && modality !== "magnetic") {
    throw new RangeError(`synthetic: modality must be gravity or magnetic, got "${modality}"`);
  }
  const p = parseSyntheticParams(params);
  const model = syntheticModel(bbox, p.seed, p);
  // Independent streams for layout and noise, different per modality.
  const rnd = mulberry32(p.seed * 7919 + (modality === "gravity" ? 1 : 2));
  const [w, s, e, n] = bbox;
  let lon: Float64Array<ArrayBuffer>, lat: Float64Array<ArrayBuffer>;
  let line: Int32Array<ArrayBuffer> | undefined;
  if (p.layout === "stations") {
    lon = new Float64Array(p.stations);
    lat = new Float64Array(p.stations);
    for (let i = 0; i < p.stations; i++) {
      lon[i] = w + (e - w) * rnd();
      lat[i] = s + (n - s) * rnd();
    }
  } else {
    const dLine = p.lineSpacing ?? (n - s) / 50;
    const dSample = p.sampleSpacing ?? (e - w) / 500;
    const nLines = Math.max(1, Math.floor((n - s) / dLine));
    const nSamples = Math.max(1, Math.floor((e - w) / dSample));
    const total = nLines * nSamples;
    if (total > 5e6) {
      throw new RangeError(
        `synthetic: ${nLines} lines x ${nSamples} samples = ${total} readings exceeds 5e6; ` +
          `increase lineSpacing or sampleSpacing`,
      );
    }
    lon = new Float64Array(total);
    lat = new Float64Array(total);
    line = new Int32Array(total);
    for (let l = 0; l < nLines; l++) {
      const la = s + (l + 0.5) * ((n - s) / nLines);
      const reverse = l % 2 === 1; // flown back and forth
      for (let k = 0; k < nSamples; k++) {
        const i = l * nSamples + k;
        const kk = reverse ? nSamples - 1 - k : k;
        lon[i] = w + (kk + 0.5) * ((e - w) / nSamples);
        // Small, bounded wobble of the aircraft across the line.
        lat[i] = Math.min(n, Math.max(s, la + (rnd() - 0.5) * 0.05 * ((n - s) / nLines)));
        line[i] = 1000 + l;
      }
    }
  }
  const count = lon.length;
  const height = p.height ?? (p.layout === "lines" ? 120 : 0);
  const heights = new Float64Array(count).fill(height);
  const truth = new Float64Array(count);
  const f = modality === "gravity" ? gravityAt : magneticAt;
  for (let i = 0; i < count; i++) truth[i] = f(model, lon[i], lat[i], height);
  const sigma = p.noise ?? (modality === "gravity" ? 0.05 : 0.5);
  const value = new Float64Array(count);
  const spikes: number[] = [];
  for (let i = 0; i < count; i++) {
    // Box-Muller.
    const u1 = rnd() || 1e-12, u2 = rnd();
    const g = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    value[i] = truth[i] + sigma * g;
    if (rnd() < p.spikeRate) {
      const amp = Math.max(5, sigma * (20 + 30 * rnd()));
      value[i] += rnd() < 0.5 ? -amp : amp;
      spikes.push(i);
    }
  }
  const data: RawData & { kind: "points" } = {
    source: { plugin: manifest.id, version: manifest.version },
    modality,
    kind: "points",
    bbox: [...bbox] as unknown as Bbox,
    units: modality === "gravity" ? "mGal" : "nT",
    crs: "EPSG:4326",
    metadata: {
      retrievedAt: new Date().toISOString(),
      licence: manifest.licence,
      citation: `${manifest.citation}, seed ${p.seed}`,
      sourceUrl: `synthetic:${modality}?seed=${p.seed}&layout=${p.layout}`,
      extra: {
        seed: p.seed,
        layout: p.layout,
        noise: sigma,
        spikes: spikes.length,
        inclination: p.inclination,
        declination: p.declination,
      },
    },
    points: { lon, lat, value, height: heights, ...(line ? { line } : {}) },
  };
  return { data, truth, spikes };
}

/**
 * Creates the plugin.
 *
 * @example Usage
 * ```ts
 * import { createPlugin } from "./mod.ts";
 * const plugin = createPlugin();
 * const data = await plugin.fetch({
 *   modality: "gravity", bbox: [10, 45, 11, 46], params: { stations: 10 }, traceId: "t",
 *   traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", grantedHosts: [],
 *   correlationId: "c", signal: new AbortController().signal,
 * });
 * ```
 */
export function createPlugin(): SourcePlugin {
  return {
    fetch(req: FetchRequest): Promise<RawData> {
      return Promise.resolve(syntheticSurvey(req.modality, req.bbox, req.params).data);
    },
  };
}
