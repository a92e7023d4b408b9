/**
 * Projected coordinate reference systems: survey eastings and northings (metres) to and from
 * EPSG:4326 longitude and latitude, with the `proj4` package (proj4js, the JavaScript port of
 * PROJ's projections). The EPSG definitions are PROJ strings as GDAL 3.6 writes them
 * (`gdalsrsinfo -o proj4 EPSG:<code>`), plus each datum's shift to WGS 84 where GDAL uses a
 * Helmert transformation for it (`+towgs84`):
 *
 * - `EPSG:326zz` / `EPSG:327zz`: WGS 84 / UTM zone zz north / south (zz 1 to 60);
 * - `EPSG:283zz`: GDA94 / MGA zone zz (zz 48 to 58; GDA94 to WGS 84 as the null shift);
 * - `EPSG:27700`: OSGB36 / British National Grid, with the OSGB36 to WGS 84 Helmert
 *   (446.448, -125.157, 542.06 m; 0.15, 0.247, 0.842"; -20.489 ppm): about 2 m against OSTN15,
 *   which proj4js cannot apply;
 * - `EPSG:2193`: NZGD2000 / New Zealand Transverse Mercator 2000 (NZGD2000 to WGS 84 as null);
 * - `EPSG:3857`: WGS 84 / Pseudo-Mercator.
 *
 * Checked against `gdaltransform` for control points in every family
 * (`tests/data/crs/control_points.csv`, made by `scripts/fixtures/crs_control_points.sh`).
 *
 * @module
 */
import proj4 from "proj4";

/**
 * A CRS this project cannot transform: not an `EPSG:<code>` or not in the supported list.
 *
 * @example Usage
 * ```ts
 * import { UnsupportedCrsError, toLonLat } from "./crs.ts";
 * try {
 *   toLonLat("EPSG:9999", new Float64Array([0]), new Float64Array([0]));
 * } catch (e) {
 *   if (e instanceof UnsupportedCrsError) console.log(e.crs); // "EPSG:9999"
 * }
 * ```
 */
export class UnsupportedCrsError extends RangeError {
  /** The CRS as given. */
  readonly crs: string;
  /** @param crs The CRS as given. */
  constructor(crs: string) {
    super(
      `CRS ${JSON.stringify(crs)} is not supported; expected EPSG:4326, EPSG:326zz/327zz ` +
        `(WGS 84 / UTM north/south, zz 1-60), EPSG:283zz (GDA94 / MGA, zz 48-58), ` +
        `EPSG:27700 (British National Grid), EPSG:2193 (NZTM2000) or EPSG:3857`,
    );
    this.name = "UnsupportedCrsError";
    this.crs = crs;
  }
}

/**
 * The PROJ string of a supported CRS, or throws {@linkcode UnsupportedCrsError}.
 *
 * @param crs `"EPSG:<code>"`.
 *
 * @example Usage
 * ```ts
 * import { projDefinition } from "./crs.ts";
 * projDefinition("EPSG:32633"); // "+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs"
 * ```
 */
export function projDefinition(crs: string): string {
  const m = /^EPSG:(\d+)$/.exec(crs);
  if (!m) throw new UnsupportedCrsError(crs);
  const code = Number(m[1]);
  if (code === 4326) return "+proj=longlat +datum=WGS84 +no_defs";
  if (code >= 32601 && code <= 32660) {
    return `+proj=utm +zone=${code - 32600} +datum=WGS84 +units=m +no_defs`;
  }
  if (code >= 32701 && code <= 32760) {
    return `+proj=utm +zone=${code - 32700} +south +datum=WGS84 +units=m +no_defs`;
  }
  if (code >= 28348 && code <= 28358) {
    return `+proj=utm +zone=${code - 28300} +south +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 ` +
      `+units=m +no_defs`;
  }
  if (code === 27700) {
    return "+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 " +
      "+ellps=airy +towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs";
  }
  if (code === 2193) {
    return "+proj=tmerc +lat_0=0 +lon_0=173 +k=0.9996 +x_0=1600000 +y_0=10000000 " +
      "+ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs";
  }
  if (code === 3857) {
    return "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 " +
      "+units=m +nadgrids=@null +wktext +no_defs";
  }
  throw new UnsupportedCrsError(crs);
}

/**
 * Whether `crs` is a projected CRS this project supports (metres), not EPSG:4326.
 *
 * @example Usage
 * ```ts
 * import { isProjectedCrs } from "./crs.ts";
 * isProjectedCrs("EPSG:27700"); // true
 * isProjectedCrs("EPSG:4326"); // false
 * ```
 */
export function isProjectedCrs(crs: string): boolean {
  return crs !== "EPSG:4326" && projDefinition(crs) !== "";
}

type Converter = { forward(p: number[]): number[]; inverse(p: number[]): number[] };

function converter(crs: string): Converter {
  return proj4(projDefinition(crs), projDefinition("EPSG:4326")) as unknown as Converter;
}

/**
 * Eastings and northings in `crs` (metres) to EPSG:4326 longitudes and latitudes (degrees).
 * NaN coordinates stay NaN.
 *
 * @param crs The source CRS, `"EPSG:<code>"`.
 * @param x Eastings, metres.
 * @param y Northings, metres.
 * @throws {UnsupportedCrsError} for a CRS not supported.
 *
 * @example Usage
 * ```ts
 * import { toLonLat } from "./crs.ts";
 * const { lon, lat } = toLonLat("EPSG:32633", new Float64Array([500000]), new Float64Array([5000000]));
 * lon[0]; // 15 (the zone's central meridian)
 * ```
 */
export function toLonLat(
  crs: string,
  x: Float64Array,
  y: Float64Array,
): { lon: Float64Array<ArrayBuffer>; lat: Float64Array<ArrayBuffer> } {
  const c = converter(crs);
  const lon = new Float64Array(x.length), lat = new Float64Array(x.length);
  const p = [0, 0];
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) {
      lon[i] = lat[i] = NaN;
      continue;
    }
    p[0] = x[i];
    p[1] = y[i];
    const r = c.forward(p);
    lon[i] = r[0];
    lat[i] = r[1];
  }
  return { lon, lat };
}

/**
 * EPSG:4326 longitudes and latitudes (degrees) to eastings and northings in `crs` (metres).
 *
 * @param crs The target CRS, `"EPSG:<code>"`.
 * @param lon Longitudes, degrees.
 * @param lat Latitudes, degrees.
 * @throws {UnsupportedCrsError} for a CRS not supported.
 *
 * @example Usage
 * ```ts
 * import { fromLonLat } from "./crs.ts";
 * const { x } = fromLonLat("EPSG:32633", new Float64Array([15]), new Float64Array([45]));
 * Math.round(x[0]); // 500000
 * ```
 */
export function fromLonLat(
  crs: string,
  lon: Float64Array,
  lat: Float64Array,
): { x: Float64Array<ArrayBuffer>; y: Float64Array<ArrayBuffer> } {
  const c = converter(crs);
  const x = new Float64Array(lon.length), y = new Float64Array(lon.length);
  const p = [0, 0];
  for (let i = 0; i < lon.length; i++) {
    if (!Number.isFinite(lon[i]) || !Number.isFinite(lat[i])) {
      x[i] = y[i] = NaN;
      continue;
    }
    p[0] = lon[i];
    p[1] = lat[i];
    const r = c.inverse(p);
    x[i] = r[0];
    y[i] = r[1];
  }
  return { x, y };
}
