/**
 * The run report: PNG images of grids (colour maps, colour bars, histograms) and the
 * self-contained `report.html`.
 *
 * @example Usage
 * ```ts
 * import { gridPng } from "./mod.ts";
 * const png = gridPng(new Float64Array([0, 1, 2, 3]), 2, 2);
 * ```
 *
 * @module
 */
export * from "./colormap.ts";
export * from "./png.ts";
export * from "./report_html.ts";
