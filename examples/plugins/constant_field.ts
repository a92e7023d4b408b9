/**
 * A complete third-party GAM source plugin: a regular grid of a constant value (param
 * `value`, default 1) at `spacing` degrees over the requested bbox. No permissions needed.
 *
 * It imports only the plugin API, `@gam/pipeline/plugin`, which the host maps to its own copy
 * when it runs the plugin.
 *
 * @module
 */
import {
  type FetchRequest,
  gridData,
  type PluginManifest,
  type PluginOptions,
  type RawData,
  type SourcePlugin,
} from "@gam/pipeline/plugin";

/** The manifest: validated by the host before any code of the plugin runs a fetch. */
export const manifest: PluginManifest = {
  id: "constant-field",
  version: "1.1.0",
  apiVersion: "1.1.0",
  modalities: ["gravity", "magnetic"],
  description: "A constant grid over the bbox (example plugin)",
  licence: "CC0-1.0",
  citation: "GAM example plugin",
  permissions: { net: [], read: [] },
};

/** The factory: no side effects at import, all work in fetch(). */
export function createPlugin(_options: PluginOptions): SourcePlugin {
  return {
    fetch(req: FetchRequest): Promise<RawData> {
      const spacing = typeof req.params.spacing === "number" ? req.params.spacing : 0.1;
      const value = typeof req.params.value === "number" ? req.params.value : 1;
      const [w, s, e, n] = req.bbox;
      const axis = (a: number, b: number) => {
        const k = Math.floor((b - a) / spacing + 1e-9) + 1;
        return Float64Array.from({ length: k }, (_, i) => a + i * spacing);
      };
      const lon = axis(w, e), lat = axis(s, n);
      return Promise.resolve(gridData(req, {
        manifest,
        units: req.modality === "magnetic" ? "nT" : "mGal",
        lat,
        lon,
        values: new Float64Array(lat.length * lon.length).fill(value),
      }));
    },
  };
}
