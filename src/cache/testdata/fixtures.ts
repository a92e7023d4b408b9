/**
 * Deterministic test data for the cache tests (seeded, no I/O).
 *
 * @module
 */
import type { ProcessedGrid, RawData } from "../../contracts/mod.ts";
import { mulberry32 as rng } from "../../plugins/in_process.ts";

/** Mulberry32: a small seeded PRNG, uniform in [0, 1). */

/** `n` gravity survey points in `[16, -35, 33, -22]` with flight lines and a few NaN readings. */
export function syntheticPoints(n: number, seed = 42): RawData {
  const r = rng(seed);
  const lon = new Float64Array(n), lat = new Float64Array(n), value = new Float64Array(n);
  const height = new Float64Array(n), line = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    lon[i] = 16 + 17 * r();
    lat[i] = -35 + 13 * r();
    value[i] = i % 97 === 0 ? NaN : 980000 + 50 * Math.sin(lon[i]) + r();
    height[i] = 300 + 10 * r();
    line[i] = Math.floor(i / 100);
  }
  return {
    source: { plugin: "synthetic", version: "1.0.0" },
    modality: "gravity",
    kind: "points",
    bbox: [16, -35, 33, -22],
    units: "mGal",
    crs: "EPSG:4326",
    metadata: {
      sourceUrl: "synthetic://seed/" + seed,
      retrievedAt: "2026-11-25T12:00:00.000Z",
      licence: "CC0-1.0",
      citation: "GAM synthetic survey",
      extra: { seed },
    },
    points: { lon, lat, value, height, line },
  };
}

/** A `nlat x nlon` float32 grid over `[16, -35, 33, -22]` with a NaN hole. */
export function syntheticGrid(nlat: number, nlon: number, seed = 7): ProcessedGrid {
  const r = rng(seed);
  const dlat = 13 / (nlat - 1), dlon = 17 / (nlon - 1);
  const lat = Float64Array.from({ length: nlat }, (_, i) => -35 + i * dlat);
  const lon = Float64Array.from({ length: nlon }, (_, j) => 16 + j * dlon);
  const values = new Float32Array(nlat * nlon);
  for (let i = 0; i < values.length; i++) values[i] = i % 1013 === 5 ? NaN : 100 * r() - 50;
  return {
    modality: "gravity",
    lat,
    lon,
    values,
    units: "mGal",
    crs: "EPSG:4326",
    resolution: { lon: dlon, lat: dlat },
    registration: "gridline",
    bbox: [16, -35, 33, -22],
    provenance: [{
      step: "grid",
      version: "1.0.0",
      params: { method: "idw" },
      at: "2026-11-25T12:00:00.000Z",
    }],
  };
}
