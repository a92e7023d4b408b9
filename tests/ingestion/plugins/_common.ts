/**
 * Helpers shared by the test plugins: a manifest factory and a one-point `RawData`.
 *
 * @module
 */
import type { RawData } from "../../../src/contracts/mod.ts";
import type { FetchRequest, PluginManifest } from "../../../src/plugin/mod.ts";

/** A valid manifest for test plugin `id`, with overrides. */
export function testManifest(id: string, extra: Partial<PluginManifest> = {}): PluginManifest {
  return {
    id,
    version: "1.0.0",
    apiVersion: "1.0.0",
    modalities: ["gravity", "magnetic"],
    description: `Test plugin ${id}`,
    licence: "CC0-1.0",
    citation: "GAM tests",
    permissions: { net: [], read: [] },
    ...extra,
  };
}

/** One point at the centre of the request's bbox (or at `at`). */
export function onePoint(
  manifest: PluginManifest,
  req: FetchRequest,
  at?: [number, number],
): RawData {
  const [w, s, e, n] = req.bbox;
  const [lon, lat] = at ?? [(w + e) / 2, (s + n) / 2];
  return {
    source: { plugin: manifest.id, version: manifest.version },
    modality: req.modality,
    kind: "points",
    bbox: req.bbox,
    units: req.modality === "magnetic" ? "nT" : "mGal",
    crs: "EPSG:4326",
    metadata: {
      retrievedAt: new Date().toISOString(),
      licence: manifest.licence,
      citation: manifest.citation,
    },
    points: {
      lon: new Float64Array([lon]),
      lat: new Float64Array([lat]),
      value: new Float64Array([1.5]),
    },
  };
}
