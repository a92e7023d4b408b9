/**
 * Readers of survey files for plugins, part of the plugin API (same version as
 * `@gam/pipeline/plugin`): ICGEM GDF grids, GeoTIFF and netCDF grids, delimited point tables
 * (read by the numeric core), and unit names. A separate entry point because the table reader
 * loads the WebAssembly core: a plugin that reads no files does not load it.
 *
 * Import it as `@gam/pipeline/plugin/readers`.
 *
 * @example Parse a GDF grid
 * ```ts
 * import { parseGdf } from "./readers.ts";
 * const g = parseGdf("unit mgal\nend_of_head\n0 0 1\n1 0 2\n0 1 3\n1 1 4\n", "t.gdf");
 * g.values.length; // 4
 * ```
 *
 * @module
 */
export {
  AsegGdfDefinitionError,
  type AsegGdfField,
  parseAsegGdfDefinition,
  readAsegGdf,
  type ReadAsegGdfOptions,
  type SurveyColumns,
} from "../formats/aseg_gdf.ts";
export {
  fromLonLat,
  isProjectedCrs,
  projDefinition,
  toLonLat,
  UnsupportedCrsError,
} from "../formats/crs.ts";
export { readGeosoftXyz, type ReadGeosoftXyzOptions } from "../formats/geosoft_xyz.ts";
export { type GdfGrid, GdfSyntaxError, parseGdf } from "../formats/gdf.ts";
export {
  GeoTiffReadError,
  type GeoTiffReadGrid,
  parseGeoTiffGrid,
} from "../formats/geotiff_read.ts";
export {
  LineDictionary,
  type LineSummary,
  pickLines,
  summariseLines,
} from "../formats/line_dictionary.ts";
export { NetcdfError, type NetcdfGrid, parseNetcdfGrid } from "../formats/netcdf.ts";
export {
  type ColumnRef,
  type Delimiter,
  parseTable,
  readTable,
  type ReadTableOptions,
  type Table,
  TableError,
  TableSyntaxError,
  type TextColumn,
} from "../formats/table.ts";
export { isKnownUnit, knownUnits, normalizeUnit, UnitError } from "../units/mod.ts";
export { datasetDoi } from "../datasets/registry.ts";
