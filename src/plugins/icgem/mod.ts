/**
 * The `icgem` source plugin: gravity-field functionals from the ICGEM Calculation Service
 * (GFZ Potsdam) over HTTPS, as a grid for the requested bbox. The response body is an ICGEM
 * GDF grid, parsed with `src/formats/gdf.ts` and cropped to the bbox.
 *
 * Request: `GET <baseUrl>?modeltype=longtime&model=<model>&functional=<functional>` +
 * `&height=<m>&gridstep=<deg>&longitude_from=<W>&longitude_to=<E>&latitude_from=<S>` +
 * `&latitude_to=<N>&refsys=WGS84&tide=tide_free&format=gdf`. When the modality has an auth
 * profile, its secret is sent as `Authorization: Bearer <secret>`.
 *
 * Params: `model` (default `EIGEN-6C4`), `functional` (default `gravity_disturbance`),
 * `gridStep` degrees (default 0.1), `height` metres above the ellipsoid (default 0),
 * `baseUrl` (default `https://icgem.gfz-potsdam.de/calcgrid`), `licence`/`citation`
 * (defaults below).
 *
 * @module
 */
import {
  displayUrl,
  fetchBytes,
  type FetchRequest,
  type PluginManifest,
  type PluginOptions,
  type RawData,
  type SourcePlugin,
} from "@gam/pipeline/plugin";
import { normalizeUnit, parseGdf } from "@gam/pipeline/plugin/readers";
import { cropGrid } from "../file/read.ts";

/** Default endpoint of the ICGEM Calculation Service. */
export const ICGEM_URL = "https://icgem.gfz-potsdam.de/calcgrid";

/**
 * Manifest of the `icgem` plugin.
 *
 * @example Usage
 * ```ts
 * import { manifest } from "./mod.ts";
 * manifest.permissions.net; // ["icgem.gfz-potsdam.de"]
 * ```
 */
/**
 * DOIs of gravity field models, by upper-case ICGEM model name: a fetch of one of them records
 * the model's DOI; other models get the service paper's ({@linkcode manifest}`.doi`).
 */
const MODEL_DOIS: Record<string, string> = {
  "EIGEN-6C4": "10.5880/icgem.2015.1", // Foerste et al. (2014), GFZ Data Services
};

export const manifest: PluginManifest = {
  id: "icgem",
  version: "1.0.0",
  apiVersion: "1.0.0",
  modalities: ["gravity"],
  description: "Gravity functionals of global models from the ICGEM Calculation Service (GDF)",
  licence: "CC-BY-4.0 (ICGEM model data; see the model's own licence)",
  citation: "Ince, E. S. et al. (2019): ICGEM - 15 years of successful collection and " +
    "distribution of global gravitational models, associated services and future plans. " +
    "Earth Syst. Sci. Data 11, 647-674",
  doi: "10.5194/essd-11-647-2019",
  permissions: { net: ["icgem.gfz-potsdam.de"], read: [] },
};

/**
 * The request URL for params and a bbox.
 *
 * @example Usage
 * ```ts
 * import { icgemUrl } from "./mod.ts";
 * icgemUrl({}, [10, 45, 11, 46]).searchParams.get("model"); // "EIGEN-6C4"
 * ```
 */
export function icgemUrl(params: Record<string, unknown>, bbox: readonly number[]): URL {
  const str = (k: string, d: string) => {
    const v = params[k];
    if (v === undefined) return d;
    if (typeof v !== "string" || v === "") {
      throw new RangeError(
        `icgem: params.${k} must be a non-empty string, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  };
  const num = (k: string, d: number, ok: (v: number) => boolean, rule: string) => {
    const v = params[k];
    if (v === undefined) return d;
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) {
      throw new RangeError(`icgem: params.${k} must be ${rule}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const u = new URL(str("baseUrl", ICGEM_URL));
  const q = u.searchParams;
  q.set("modeltype", "longtime");
  q.set("model", str("model", "EIGEN-6C4"));
  q.set("functional", str("functional", "gravity_disturbance"));
  q.set("height", String(num("height", 0, (v) => v >= -1e4 && v <= 1e6, "a height in metres")));
  q.set("gridstep", String(num("gridStep", 0.1, (v) => v > 0 && v <= 10, "in (0, 10] degrees")));
  q.set("longitude_from", String(bbox[0]));
  q.set("longitude_to", String(bbox[2]));
  q.set("latitude_from", String(bbox[1]));
  q.set("latitude_to", String(bbox[3]));
  q.set("refsys", "WGS84");
  q.set("tide", "tide_free");
  q.set("format", "gdf");
  return u;
}

/**
 * Creates the plugin.
 *
 * @example Usage
 * ```ts ignore
 * import { createPlugin } from "./mod.ts";
 * const p = createPlugin({ params: {}, allowInsecureHttp: [] });
 * ```
 */
export function createPlugin(options: PluginOptions): SourcePlugin {
  return {
    async fetch(req: FetchRequest): Promise<RawData> {
      const url = icgemUrl(req.params, req.bbox);
      // The run's trace reaches the source's logs (W3C Trace Context).
      const headers: Record<string, string> = { traceparent: req.traceparent };
      if (options.auth) headers.authorization = `Bearer ${options.auth}`;
      const { body } = await fetchBytes(url, {
        signal: req.signal,
        allowInsecureHttp: options.allowInsecureHttp,
        headers,
      });
      const shown = displayUrl(url);
      const g = parseGdf(new TextDecoder().decode(body), shown);
      const grid = cropGrid(g, req.bbox, shown);
      const licence = typeof req.params.licence === "string"
        ? req.params.licence
        : manifest.licence;
      const citation = typeof req.params.citation === "string"
        ? req.params.citation
        : `${manifest.citation}; model ${g.header.modelname ?? url.searchParams.get("model")}`;
      const model = g.header.modelname ?? url.searchParams.get("model") ?? "";
      const doi = typeof req.params.doi === "string"
        ? req.params.doi
        : MODEL_DOIS[model.toUpperCase()] ?? manifest.doi;
      return {
        source: { plugin: manifest.id, version: manifest.version },
        modality: req.modality,
        kind: "grid",
        bbox: req.bbox,
        units: normalizeUnit(g.unit ?? "mGal", { modality: req.modality }),
        crs: "EPSG:4326",
        metadata: {
          retrievedAt: new Date().toISOString(),
          licence,
          citation,
          ...(doi ? { doi } : {}),
          sourceUrl: shown,
          extra: {
            model: g.header.modelname,
            functional: url.searchParams.get("functional"),
            heightOverEllipsoid: g.header.height_over_ell,
          },
        },
        grid,
      };
    },
  };
}
