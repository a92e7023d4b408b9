/**
 * The `file` source plugin: local survey files. Tables (CSV/TSV/whitespace), ASEG-GDF2
 * (`.dat` + `.dfn`) and Geosoft XYZ (`.xyz`), gzip transparently, become points with their
 * flight lines (text names, a dictionary; tie lines where the format or `tiePrefix` says);
 * ICGEM GDF, netCDF classic and GeoTIFF grids become grids. Only points (grid nodes) inside the
 * requested bbox are returned.
 *
 * Params: `path` (required; the configuration must grant `permissions.read` for it, and for an
 * ASEG-GDF2 `.dat` its `.dfn` too), `format`, `columns` `{lon, lat, value, height?, line?}`,
 * `definition` (ASEG-GDF2), `channels` (Geosoft XYZ), `tiePrefix`, `delimiter`, `header`,
 * `units`, `variable`, `licence` and `citation` (required: the data's own terms). See `read.ts`.
 *
 * @example Config section
 * ```yaml
 * source:
 *   plugin: file
 *   params:
 *     path: surveys/south-africa-gravity.ast.gz
 *     columns: { lat: 1, lon: 2, height: 3, value: 4 }
 *     units: mGal
 *     licence: Public domain
 *     citation: NOAA NCEI regional gravity data for Africa
 *   permissions: { read: [surveys/south-africa-gravity.ast.gz] }
 * ```
 *
 * @module
 */
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import type { FetchRequest, PluginManifest, RawData, SourcePlugin } from "@gam/pipeline/plugin";
import { checkSurveyParams, readSurveyFile, SurveyFileError } from "./read.ts";

export { cropGrid, detectFormat, readSurveyFile, SurveyFileError } from "./read.ts";
export type { SurveyFileParams, SurveyFormat } from "./read.ts";

/**
 * Manifest of the `file` plugin. It reads only the path in its params, which the
 * configuration grants with `permissions.read`.
 *
 * @example Usage
 * ```ts
 * import { manifest } from "./mod.ts";
 * manifest.id; // "file"
 * ```
 */
export const manifest: PluginManifest = {
  id: "file",
  version: "1.0.0",
  apiVersion: "1.0.0",
  modalities: ["gravity", "gravity_gradient", "magnetic"],
  description:
    "Local survey files: CSV/TSV/whitespace tables, ASEG-GDF2, Geosoft XYZ (gzip), ICGEM GDF, netCDF, GeoTIFF",
  licence: "as declared in params.licence",
  citation: "as declared in params.citation",
  permissions: { net: [], read: [] },
};

/**
 * Creates the plugin.
 *
 * @example Usage
 * ```ts
 * import { createPlugin } from "./mod.ts";
 * import { fetchDataset } from "../../datasets/mod.ts";
 * const data = await createPlugin().fetch({
 *   modality: "gravity", bbox: [150, 16, 164, 28], correlationId: "c", traceId: "t",
 *   grantedHosts: [],
 *   traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
 *   params: { path: await fetchDataset("icgem-sample.gdf"), licence: "GFZ", citation: "ICGEM" },
 *   signal: new AbortController().signal,
 * });
 * ```
 */
export function createPlugin(): SourcePlugin {
  return {
    async fetch(req: FetchRequest): Promise<RawData> {
      const path = req.params.path;
      if (typeof path !== "string" || path === "") {
        throw new SurveyFileError("file: params.path is required (the survey file to read)");
      }
      const { path: _p, ...rest } = req.params;
      const params = checkSurveyParams(rest, "file");
      // No path resolution here: Deno.cwd() needs a read grant on the working folder.
      return await readSurveyFile(path, params, {
        source: { plugin: manifest.id, version: manifest.version },
        modality: req.modality,
        bbox: req.bbox,
        sourceUrl: isAbsolute(path) ? pathToFileURL(path).href : `file:${path}`,
      });
    },
  };
}
