/**
 * The proj4-based CRS transforms against GDAL: `tests/data/crs/control_points.csv` holds
 * points transformed by `gdaltransform` (GDAL 3.6.2; the command is
 * `scripts/fixtures/crs_control_points.sh`). Tolerance 1e-8 degrees (about 1 mm).
 */
import assert from "node:assert/strict";
import {
  fromLonLat,
  isProjectedCrs,
  projDefinition,
  toLonLat,
  UnsupportedCrsError,
} from "./crs.ts";

const TOLERANCE_DEG = 1e-8;

const rows = (await Deno.readTextFile(
  new URL("../../tests/data/crs/control_points.csv", import.meta.url),
)).trim().split("\n").slice(1).map((l) => {
  const [crs, x, y, lon, lat] = l.split(",");
  return { crs, x: Number(x), y: Number(y), lon: Number(lon), lat: Number(lat) };
});

Deno.test("toLonLat() agrees with gdaltransform on UTM north and south, MGA, BNG and NZTM control points", () => {
  const families = new Set(rows.map((r) => r.crs));
  assert.ok(families.size >= 7, `control points for ${[...families].join(", ")}`);
  for (const crs of families) {
    const pts = rows.filter((r) => r.crs === crs);
    const { lon, lat } = toLonLat(
      crs,
      Float64Array.from(pts, (p) => p.x),
      Float64Array.from(pts, (p) => p.y),
    );
    pts.forEach((p, i) => {
      const err = Math.max(Math.abs(lon[i] - p.lon), Math.abs(lat[i] - p.lat));
      assert.ok(err <= TOLERANCE_DEG, `${crs} (${p.x}, ${p.y}): off by ${err} degrees`);
    });
  }
});

Deno.test("fromLonLat() gives back gdaltransform's input to a centimetre", () => {
  for (const crs of new Set(rows.map((r) => r.crs))) {
    const pts = rows.filter((r) => r.crs === crs);
    const { x, y } = fromLonLat(
      crs,
      Float64Array.from(pts, (p) => p.lon),
      Float64Array.from(pts, (p) => p.lat),
    );
    pts.forEach((p, i) => {
      assert.ok(
        Math.abs(x[i] - p.x) < 1e-2 && Math.abs(y[i] - p.y) < 1e-2,
        `${crs} ${x[i]} ${y[i]}`,
      );
    });
  }
});

Deno.test("projDefinition() refuses CRSs it does not know, naming the supported ones", () => {
  for (const bad of ["EPSG:32661", "EPSG:9999", "utm33", "EPSG:28347"]) {
    assert.throws(
      () => projDefinition(bad),
      (e: unknown) =>
        e instanceof UnsupportedCrsError && e.crs === bad && /EPSG:326zz\/327zz/.test(e.message),
    );
  }
  assert.equal(isProjectedCrs("EPSG:4326"), false);
  assert.equal(isProjectedCrs("EPSG:2193"), true);
  const nan = toLonLat("EPSG:32633", new Float64Array([NaN]), new Float64Array([1]));
  assert.ok(Number.isNaN(nan.lon[0]) && Number.isNaN(nan.lat[0]));
});
